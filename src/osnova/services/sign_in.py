"""Signing in and out: the password check, its audit trail and ending every session.

The throttle that guards it against guessing is HTTP's business (``osnova.http.sign_in``):
a terminal or a job never signs in.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.database import utcnow
from osnova.errors import PermissionDenied
from osnova.i18n import N_
from osnova.models import EMAIL_MAX, User
from osnova.security import hash_password, needs_rehash, verify_password
from osnova.services import audit, remembered_devices

INVALID_CREDENTIALS = N_("Invalid username, email or password.")


class InvalidCredentials(PermissionDenied):
    """Wrong login or password; deliberately silent about which."""


def find_by_login(*, session: Session, login: str) -> User | None:
    """The account whose username or email is ``login`` (any case), active or not."""
    login = login.strip().lower()
    if not login or len(login) > EMAIL_MAX:
        return None
    column = User.email if "@" in login else User.username
    return session.scalar(select(User).where(column == login))


def authenticate(
    *, session: Session, settings: Settings, login: str, password: str, remote_addr: str | None
) -> User:
    """The active account matching ``login`` and ``password``; InvalidCredentials otherwise.

    Unknown accounts cost one dummy hash verification, so timing does not tell them apart.
    A hash made with older parameters is upgraded on the way.
    """
    user = find_by_login(session=session, login=login)
    password_hash = user.password_hash if user is not None else None
    if not verify_password(settings, password_hash, password) or user is None or not user.is_active:
        audit.record(
            session=session,
            action="login.failure",
            actor=user,
            remote_addr=remote_addr,
            details={"login": login[:64]},
        )
        raise InvalidCredentials(INVALID_CREDENTIALS)
    if password_hash is not None and needs_rehash(settings, password_hash):
        user.password_hash = hash_password(settings, password)
    user.last_login_at = utcnow()
    audit.record(session=session, action="login.success", actor=user, remote_addr=remote_addr)
    return user


def logout(*, session: Session, user: User, remote_addr: str | None) -> None:
    """End every session of ``user`` and forget every remembered device."""
    remembered_devices.end_all_sessions(session=session, user=user)
    audit.record(session=session, action="logout", actor=user, remote_addr=remote_addr)
