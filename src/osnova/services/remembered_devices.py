"""Remembered devices: browsers that stay signed in without a password for a while.

"Keep me signed in" gives the browser a random secret in a cookie; the database keeps its
sha256, the account, when it was made and last used, and when it expires (at most 30 days
on, never extended). The owner sees the list on the account page and can forget any of
them. Every device of an account is forgotten when its password, email or role changes,
and whenever all its sessions end (sign-out, deactivation).

Times are passed in (``now``) rather than read here, so the doors decide what "now" is
and tests can move it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from osnova.database import MAX_ROW_ID
from osnova.errors import NotFound
from osnova.i18n import N_
from osnova.models import USER_AGENT_MAX, RememberedDevice, User
from osnova.services import audit
from osnova.services.tokens import hash_secret

SECRET_BYTES = 32
MAX_SECRET_LENGTH = 128
# last_used_at is refreshed at most this often, so browsing does not write on every page.
LAST_USED_RESOLUTION = timedelta(minutes=1)
DEVICE_NOT_FOUND = N_("There is no such remembered device.")


@dataclass(frozen=True)
class IssuedDevice:
    """A new remembered device and the secret for its cookie, kept nowhere else."""

    device: RememberedDevice
    secret: str


def remember(
    *,
    session: Session,
    user: User,
    user_agent: str,
    now: datetime,
    days: int,
    remote_addr: str | None = None,
) -> IssuedDevice:
    """Remember a browser of ``user`` for ``days`` days; the account's expired rows go."""
    session.execute(
        delete(RememberedDevice).where(
            RememberedDevice.user_id == user.id, RememberedDevice.expires_at <= now
        )
    )
    secret = secrets.token_urlsafe(SECRET_BYTES)
    device = RememberedDevice(
        user=user,
        token_hash=hash_secret(secret),
        user_agent=user_agent[:USER_AGENT_MAX],
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(device)
    session.flush()
    audit.record(
        session=session,
        action="device.remember",
        actor=user,
        target=f"device:{device.id}",
        remote_addr=remote_addr,
        details={"expires_at": device.expires_at.isoformat()},
    )
    return IssuedDevice(device=device, secret=secret)


def _touch(device: RememberedDevice, now: datetime) -> None:
    if now - device.last_used_at >= LAST_USED_RESOLUTION:
        device.last_used_at = now


def resume(*, session: Session, secret: str, now: datetime) -> RememberedDevice | None:
    """The live device whose cookie holds ``secret``, its owner loaded; None otherwise.

    None for an unknown or forgotten secret, an expired device (whose row then goes) and a
    deactivated account.
    """
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    device = session.scalar(
        select(RememberedDevice)
        .where(RememberedDevice.token_hash == hash_secret(secret))
        .options(joinedload(RememberedDevice.user))
    )
    if device is None:
        return None
    if device.expires_at <= now:
        session.delete(device)
        return None
    if not device.user.is_active:
        return None
    _touch(device, now)
    return device


def still_remembered(*, session: Session, device_id: int, user_id: int, now: datetime) -> bool:
    """Whether the device a session came from is still remembered for ``user_id``.

    A session started on a remembered device ends with it, so forgetting a lost phone signs
    it out at once rather than when its session would have timed out.
    """
    device = session.get(RememberedDevice, device_id) if 0 < device_id <= MAX_ROW_ID else None
    if device is None or device.user_id != user_id or device.expires_at <= now:
        return False
    _touch(device, now)
    return True


def forget_secret(*, session: Session, secret: str) -> None:
    """Forget the device whose cookie holds ``secret``, if any: its browser is replacing it."""
    if secret and len(secret) <= MAX_SECRET_LENGTH:
        session.execute(
            delete(RememberedDevice).where(RememberedDevice.token_hash == hash_secret(secret))
        )


def list_devices(*, session: Session, user: User, now: datetime) -> list[RememberedDevice]:
    """``user``'s live remembered devices, the most recently used first."""
    query = select(RememberedDevice).where(
        RememberedDevice.user_id == user.id, RememberedDevice.expires_at > now
    )
    order = (RememberedDevice.last_used_at.desc(), RememberedDevice.id.desc())
    return list(session.scalars(query.order_by(*order)))


def forget(*, session: Session, user: User, device_id: int, remote_addr: str | None) -> None:
    """Forget one of ``user``'s own devices; anyone else's is NotFound."""
    device = session.get(RememberedDevice, device_id) if 0 < device_id <= MAX_ROW_ID else None
    if device is None or device.user_id != user.id:
        raise NotFound(DEVICE_NOT_FOUND)
    session.delete(device)
    audit.record(
        session=session,
        action="device.forget",
        actor=user,
        target=f"device:{device_id}",
        remote_addr=remote_addr,
    )


def forget_all(*, session: Session, user: User) -> None:
    """Forget every device of ``user`` (a password, email or role change, a sign-out)."""
    session.execute(delete(RememberedDevice).where(RememberedDevice.user_id == user.id))


def forget_all_on_request(*, session: Session, user: User, remote_addr: str | None) -> None:
    """Forget every device of ``user`` because they asked to, for the audit trail."""
    forget_all(session=session, user=user)
    audit.record(session=session, action="device.forget_all", actor=user, remote_addr=remote_addr)


def end_all_sessions(*, session: Session, user: User) -> None:
    """End every session of ``user``: cookies of the old session version stop working and
    no remembered device can start a new one."""
    user.session_version += 1
    forget_all(session=session, user=user)
