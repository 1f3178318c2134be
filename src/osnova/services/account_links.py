"""Signed, expiring, single-use links for password reset, invitations, email verification and
email changes.

No table is needed: a reset token carries a fingerprint of the current password hash, so it
dies once the password changes (an invitation is the same for an account without a password
yet, under a salt of its own: it lives days, not minutes); a verification token names the
email it verifies and dies once that email is verified. An email change's links carry a
fingerprint of the pending address and the moment it was asked for: the confirmation link
dies once the change is confirmed, cancelled or asked for again; the cancel link, once it
has been used (or the address changed again). Neither shows the new address in the URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from osnova.errors import NotFound
from osnova.i18n import N_
from osnova.models import User

RESET_SALT = "osnova.password-reset"
INVITATION_SALT = "osnova.invitation"
VERIFY_SALT = "osnova.email-verify"
EMAIL_CHANGE_SALT = "osnova.email-change"
EMAIL_CANCEL_SALT = "osnova.email-change-cancel"
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


def make_invitation_token(*, secret_key: str, user: User) -> str:
    return _serializer(secret_key, INVITATION_SALT).dumps(
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


def user_for_invitation_token(
    *, session: Session, secret_key: str, token: str, max_age_seconds: int
) -> User:
    """The invited account, while it has not chosen a password with this link."""
    payload = _load(secret_key, INVITATION_SALT, token, max_age_seconds)
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


def _change_fingerprint(address: str, requested_at: datetime) -> str:
    material = f"{address}|{requested_at.isoformat()}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def make_email_change_token(*, secret_key: str, user: User) -> str:
    """The link to the pending address that makes it the account's email."""
    if user.pending_email is None or user.email_change_requested_at is None:
        raise ValueError("no email change is pending")
    fingerprint = _change_fingerprint(user.pending_email, user.email_change_requested_at)
    return _serializer(secret_key, EMAIL_CHANGE_SALT).dumps({"uid": user.id, "fp": fingerprint})


def user_for_email_change_token(
    *, session: Session, secret_key: str, token: str, max_age_seconds: int
) -> User:
    """The account whose pending change this link confirms (it is still pending)."""
    payload = _load(secret_key, EMAIL_CHANGE_SALT, token, max_age_seconds)
    user = _active_user(session, payload)
    if user.pending_email is None or user.email_change_requested_at is None:
        raise NotFound(INVALID_LINK)
    if payload.get("fp") != _change_fingerprint(user.pending_email, user.email_change_requested_at):
        raise NotFound(INVALID_LINK)
    return user


def make_email_cancel_token(
    *, secret_key: str, user_id: int, old_email: str, new_email: str, requested_at: datetime
) -> str:
    """The link to the old address that cancels a change, or undoes it once confirmed."""
    payload = {
        "uid": user_id,
        "old": old_email,
        "at": requested_at.isoformat(),
        "fp": _change_fingerprint(new_email, requested_at),
    }
    return _serializer(secret_key, EMAIL_CANCEL_SALT).dumps(payload)


@dataclass(frozen=True)
class CancelLink:
    """What a valid cancel link refers to: a change still pending, or one already confirmed."""

    user: User
    old_email: str
    new_email: str
    confirmed: bool


def change_for_cancel_token(
    *, session: Session, secret_key: str, token: str, max_age_seconds: int
) -> CancelLink:
    payload = _load(secret_key, EMAIL_CANCEL_SALT, token, max_age_seconds)
    user = _active_user(session, payload)
    old_email, at, fingerprint = payload.get("old"), payload.get("at"), payload.get("fp")
    if not (isinstance(old_email, str) and isinstance(at, str) and isinstance(fingerprint, str)):
        raise NotFound(INVALID_LINK)
    requested_at = user.email_change_requested_at
    pending = user.pending_email
    if (
        pending is not None
        and requested_at is not None
        and requested_at.isoformat() == at
        and _change_fingerprint(pending, requested_at) == fingerprint
    ):
        return CancelLink(user=user, old_email=old_email, new_email=pending, confirmed=False)
    try:
        asked_at = datetime.fromisoformat(at)
    except ValueError as exc:
        raise NotFound(INVALID_LINK) from exc
    if user.email != old_email and _change_fingerprint(user.email, asked_at) == fingerprint:
        return CancelLink(user=user, old_email=old_email, new_email=user.email, confirmed=True)
    raise NotFound(INVALID_LINK)


def _active_user(session: Session, payload: dict[str, Any]) -> User:
    """The active account a link was made for; a deleted or deactivated one voids the link."""
    user = session.get(User, payload["uid"])
    if user is None or not user.is_active:
        raise NotFound(INVALID_LINK)
    return user
