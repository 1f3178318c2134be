"""The sign-in sequence both HTTP doors use, with its brute-force throttle.

Each attempt is counted before the password is checked, in one atomic step in Flask-Limiter's
storage (Redis when ``OSNOVA_REDIS_URL`` is set, the database otherwise: every worker and host
sees the same count). An attempt over the limit is refused with 429, even with the right
password; a success clears the count it was made under. An attempt counts against:

- the browser's device cookie (``http.device_cookie``), when it is genuine for the account and
  its own count is not used up: a device that signed in before has a lockout of its own;
- otherwise the account (or, for a login no account has, that login): the lockout every
  untrusted client shares. The API's token endpoint has no cookie and always counts here.

Per-IP limits are plain ``@limiter.limit`` decorators on the views.
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
from osnova.http.device_cookie import device_nonce
from osnova.models import User
from osnova.services import sign_in as sign_in_service


def password_sign_in(
    *, login: str, password: str, remote_addr: str | None, device_cookie: str | None
) -> User:
    """The active account for ``login`` and ``password``; the sign-in is committed.

    ``device_cookie`` is the browser's device cookie, or None for a client that has none.
    Raises ``TooManyRequests`` (with Retry-After) when the attempt is over the limit, and
    ``InvalidCredentials`` after a failure, whose audit record is committed. On success the
    caller commits what it adds (a token).
    """
    session = db.session()
    known = sign_in_service.find_by_login(session=session, login=login)
    key = count_attempt(known=known, login=login, device_cookie=device_cookie)
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
        raise
    # Committed before the count is cleared: on SQLite the counter's own connection would
    # otherwise wait for this session's write lock.
    session.commit()
    clear_attempts(key)
    return user


@contextmanager
def password_checked(user: User) -> Iterator[None]:
    """Around a service call that checks ``user``'s current password (an email change).

    The password is guessed against the same count as a sign-in: each try is counted first,
    while the account is throttled the call is refused with 429, and a right password clears
    the count as a sign-in does, so a stolen session or token cannot be used to try passwords
    faster than the login form.
    """
    key = f"user:{user.id}"
    if not _hit(key):
        raise TooManyRequests(
            gettext("Too many failed sign-ins. Try again later."), retry_after=_retry_after(key)
        )
    try:
        yield
    except InvalidInput as error:
        if not any(problem.field == "current_password" for problem in error.errors):
            clear_attempts(key)
        raise
    clear_attempts(key)


def count_attempt(*, known: User | None, login: str, device_cookie: str | None) -> str:
    """Count one attempt and return the key it counted under; TooManyRequests when over."""
    if known is not None:
        nonce = device_nonce(device_cookie, username=known.username)
        if nonce is not None and _hit(f"device:{nonce}"):
            return f"device:{nonce}"
    key = f"user:{known.id}" if known is not None else f"login:{login.strip().lower()}"
    if not _hit(key):
        raise TooManyRequests(
            gettext("Too many failed sign-ins. Try again later."), retry_after=_retry_after(key)
        )
    return key


def clear_attempts(key: str) -> None:
    limiter.limiter.clear(_attempt_limit(), *_identifiers(key))


def _attempt_limit() -> RateLimitItem:
    return parse(current_settings().login_failures_per_account)


def _identifiers(key: str) -> tuple[str, str, str]:
    # Flask-Limiter prefixes only its own keys; these share the deployment's namespace too.
    return (current_settings().rate_limit_key_prefix, "sign-in-attempts", key)


def _hit(key: str) -> bool:
    """Count an attempt under ``key``; False when it is over the limit."""
    return limiter.limiter.hit(_attempt_limit(), *_identifiers(key))


def _retry_after(key: str) -> int:
    reset_at, _remaining = limiter.limiter.get_window_stats(_attempt_limit(), *_identifiers(key))
    return max(1, math.ceil(reset_at - time.time()))
