"""Signed, expiring, single-use links for password reset and email verification.

No table is needed: a reset token carries a fingerprint of the current password hash, so it
dies once the password changes; a verification token names the email it verifies and dies
once that email is verified.
"""

from __future__ import annotations

import hashlib
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from osnova.errors import NotFound
from osnova.i18n import N_
from osnova.models import User

RESET_SALT = "osnova.password-reset"
VERIFY_SALT = "osnova.email-verify"
INVALID_LINK = N_("This link is invalid or has expired.")


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def _password_fingerprint(user: User) -> str:
    material = f"{user.password_hash or ''}:{user.session_version}"
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def make_reset_token(*, secret_key: str, user: User) -> str:
    return _serializer(secret_key, RESET_SALT).dumps(
        {"uid": user.id, "fp": _password_fingerprint(user)}
    )


def make_verify_token(*, secret_key: str, user: User) -> str:
    return _serializer(secret_key, VERIFY_SALT).dumps({"uid": user.id, "email": user.email})


def _load(secret_key: str, salt: str, token: str, max_age: int) -> dict[str, Any]:
    try:
        payload = _serializer(secret_key, salt).loads(token, max_age=max_age)
    except BadSignature as exc:  # also covers SignatureExpired
        raise NotFound(INVALID_LINK) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int):
        raise NotFound(INVALID_LINK)
    return payload


def user_for_reset_token(
    *, session: Session, secret_key: str, token: str, max_age_seconds: int
) -> User:
    payload = _load(secret_key, RESET_SALT, token, max_age_seconds)
    user = _active_user(session, payload)
    if payload.get("fp") != _password_fingerprint(user):
        raise NotFound(INVALID_LINK)
    return user


def user_for_verify_token(
    *, session: Session, secret_key: str, token: str, max_age_seconds: int
) -> User:
    payload = _load(secret_key, VERIFY_SALT, token, max_age_seconds)
    user = _active_user(session, payload)
    if user.email != payload.get("email") or user.email_verified_at is not None:
        raise NotFound(INVALID_LINK)
    return user


def _active_user(session: Session, payload: dict[str, Any]) -> User:
    """The active account a link was made for; a deleted or deactivated one voids the link."""
    user = session.get(User, payload["uid"])
    if user is None or not user.is_active:
        raise NotFound(INVALID_LINK)
    return user
