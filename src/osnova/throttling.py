"""Per-account brute-force protection on top of Flask-Limiter's storage.

Per-IP limits are plain ``@limiter.limit`` decorators on the views. Failures against one
account are counted here, in the same storage (memory, or Redis when ``OSNOVA_REDIS_URL``
is set, so every worker and host sees the same count).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse

from osnova.extensions import current_settings, limiter


def _failure_limit() -> RateLimitItem:
    return parse(current_settings().login_failures_per_account)


def _identifiers(account_key: str) -> tuple[str, str, str]:
    # Flask-Limiter prefixes only its own keys; these share the deployment's namespace too.
    return (current_settings().rate_limit_key_prefix, "login-failures", account_key)


def login_retry_after(account_key: str) -> int | None:
    """Seconds until ``account_key`` may try again, or None when it may try now."""
    item = _failure_limit()
    if limiter.limiter.test(item, *_identifiers(account_key)):
        return None
    reset_at, _remaining = limiter.limiter.get_window_stats(item, *_identifiers(account_key))
    return max(1, math.ceil(reset_at - time.time()))


def record_login_failure(account_key: str) -> None:
    limiter.limiter.hit(_failure_limit(), *_identifiers(account_key))


def clear_login_failures(account_key: str) -> None:
    limiter.limiter.clear(_failure_limit(), *_identifiers(account_key))
