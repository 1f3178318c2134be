"""Device cookies: a browser that signed in to an account before is not locked out with it.

OWASP's "Slow Down Online Guessing Attacks with Device Cookies": after a successful sign-in the
browser gets ``<username>:<nonce>:<signature>``, an HMAC-SHA256 of the username and a random
nonce under the secret key. Sign-in failures from a browser showing a genuine cookie for the
account count against that cookie alone; strangers share the account-wide count. Ten wrong
passwords from anywhere then lock the account for strangers, and its owner still signs in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import request
from werkzeug.wrappers import Response

from osnova.extensions import current_settings, signing_key

# Binds a signature to this use of the secret key, so it is valid for nothing else.
PURPOSE = b"osnova device cookie"
MAX_COOKIE_CHARS = 200


def cookie_name() -> str:
    # As for the session cookie: in production the browser keeps it only Secure, host-only, Path=/.
    return "__Host-device" if current_settings().is_production else "device"


def presented_cookie() -> str | None:
    """The device cookie this request carries, unchecked."""
    return request.cookies.get(cookie_name())


def device_nonce(cookie: str | None, *, username: str) -> str | None:
    """The nonce of ``cookie`` when it is genuine and was issued for ``username``, else None."""
    if not cookie or len(cookie) > MAX_COOKIE_CHARS:
        return None
    login, _, rest = cookie.partition(":")
    nonce, _, signature = rest.partition(":")
    if login != username or not nonce or not signature:
        return None
    if not hmac.compare_digest(signature, _signature(login, nonce)):
        return None
    return nonce


def set_device_cookie(response: Response, *, username: str) -> None:
    """Give the browser a new device cookie for ``username`` (a new nonce each sign-in)."""
    settings = current_settings()
    nonce = secrets.token_urlsafe(16)
    response.set_cookie(
        cookie_name(),
        f"{username}:{nonce}:{_signature(username, nonce)}",
        max_age=settings.device_cookie_days * 24 * 3600,
        path="/",
        secure=settings.is_production,
        httponly=True,
        samesite="Lax",
    )


def _signature(login: str, nonce: str) -> str:
    message = b"\0".join((PURPOSE, login.encode(), nonce.encode()))
    digest = hmac.new(signing_key().encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
