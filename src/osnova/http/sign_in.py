"""The sign-in sequence both HTTP doors use, with its per-account brute-force throttle.

Failures against one account are counted in Flask-Limiter's storage (memory, or Redis when
``OSNOVA_REDIS_URL`` is set, so every worker and host sees the same count); a success clears
them. Per-IP limits are plain ``@limiter.limit`` decorators on the views.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext
from limits import RateLimitItem, parse
from werkzeug.exceptions import TooManyRequests

from osnova.errors import InvalidInput
from osnova.extensions import current_settings, db, limiter
from osnova.models import User
from osnova.services import sign_in as sign_in_service


def password_sign_in(*, login: str, password: str, remote_addr: str | None) -> User:
    """The active account for ``login`` and ``password``, its failure count cleared.

    Raises ``TooManyRequests`` (with Retry-After) while the account is throttled, and
    ``InvalidCredentials`` after counting a failure. The audit record of either outcome is
    committed; on success the caller commits what it adds (a session, a token).
    """
    session = db.session()
    known = sign_in_service.find_by_login(session=session, login=login)
    key = f"user:{known.id}" if known is not None else f"login:{login.strip().lower()}"
    retry_after = login_retry_after(key)
    if retry_after is not None:
        raise TooManyRequests(
            gettext("Too many failed sign-ins. Try again later."), retry_after=retry_after
        )
    try:
        user = sign_in_service.authenticate(
            session=session,
            settings=current_settings(),
            login=login,
            password=password,
            remote_addr=remote_addr,
        )
    except sign_in_service.InvalidCredentials:
        session.commit()  # keep the audit record of the failure
        record_login_failure(key)
        raise
    clear_login_failures(key)
    return user


@contextmanager
def password_checked(user: User) -> Iterator[None]:
    """Around a service call that checks ``user``'s current password (an email change).

    The password is guessed against the same count as a sign-in: while the account is
    throttled the call is refused with 429, and a wrong password counts as a failure, so a
    stolen session or token cannot be used to try passwords faster than the login form.
    """
    key = f"user:{user.id}"
    retry_after = login_retry_after(key)
    if retry_after is not None:
        raise TooManyRequests(
            gettext("Too many failed sign-ins. Try again later."), retry_after=retry_after
        )
    try:
        yield
    except InvalidInput as error:
        if any(problem.field == "current_password" for problem in error.errors):
            record_login_failure(key)
        raise


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
