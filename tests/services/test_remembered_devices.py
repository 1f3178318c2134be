"""Remembered devices in the database: only a hash is kept, and every path that should end
them does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.database import utcnow
from osnova.errors import NotFound
from osnova.models import RememberedDevice, Role, User
from osnova.schemas import AccountAdminUpdate
from osnova.services import account_admin, accounts, email_changes, remembered_devices, sign_in
from osnova.services.remembered_devices import IssuedDevice
from osnova.services.transfer import OnConflict
from tests.support.factories import DEFAULT_PASSWORD, DEFAULT_PASSWORD_HASH, UserFactory
from tests.transfer.helpers import import_text

NOW = utcnow()


def remember(session: Session, user: User, days: int = 30) -> IssuedDevice:
    issued = remembered_devices.remember(
        session=session, user=user, user_agent="Firefox", now=NOW, days=days
    )
    session.commit()
    return issued


def live_devices(session: Session, user: User) -> list[RememberedDevice]:
    session.expire_all()
    return remembered_devices.list_devices(session=session, user=user, now=NOW)


def test_only_a_hash_of_the_secret_is_stored(session: Session) -> None:
    issued = remember(session, UserFactory())
    stored = session.scalars(select(RememberedDevice.token_hash)).one()
    assert issued.secret not in stored
    assert len(stored) == 64


def test_a_device_resumes_until_it_expires_and_then_is_deleted(session: Session) -> None:
    user = UserFactory()
    issued = remember(session, user, days=30)
    later = NOW + timedelta(days=29, hours=23)
    device = remembered_devices.resume(session=session, secret=issued.secret, now=later)
    assert device is not None
    assert device.user == user
    assert device.last_used_at == later
    expired = NOW + timedelta(days=30)
    assert remembered_devices.resume(session=session, secret=issued.secret, now=expired) is None
    session.commit()
    assert session.scalars(select(RememberedDevice)).all() == []


@pytest.mark.parametrize("secret", ["", "nope", "x" * 10_000])
def test_unknown_secrets_resume_nothing(session: Session, secret: str) -> None:
    remember(session, UserFactory())
    assert remembered_devices.resume(session=session, secret=secret, now=NOW) is None


def test_a_deactivated_account_resumes_nothing(session: Session) -> None:
    user = UserFactory(is_active=False)
    issued = remember(session, user)
    assert remembered_devices.resume(session=session, secret=issued.secret, now=NOW) is None


def test_the_list_has_only_live_devices_of_the_account_most_recent_first(
    session: Session,
) -> None:
    user, other = UserFactory(), UserFactory()
    old = remember(session, user, days=1).device
    new = remember(session, user).device
    remember(session, other)
    old.last_used_at = NOW - timedelta(hours=1)
    session.commit()
    assert [d.id for d in live_devices(session, user)] == [new.id, old.id]
    later = remembered_devices.list_devices(session=session, user=user, now=NOW + timedelta(days=2))
    assert [d.id for d in later] == [new.id]


def test_nobody_forgets_another_accounts_device(session: Session) -> None:
    owner, other = UserFactory(), UserFactory()
    device = remember(session, owner).device
    with pytest.raises(NotFound):
        remembered_devices.forget(
            session=session, user=other, device_id=device.id, remote_addr=None
        )
    with pytest.raises(NotFound):
        remembered_devices.forget(session=session, user=owner, device_id=2**70, remote_addr=None)
    assert len(live_devices(session, owner)) == 1


def test_sign_out_ends_sessions_and_forgets_devices(session: Session) -> None:
    user = UserFactory()
    remember(session, user)
    version = user.session_version
    sign_in.logout(session=session, user=user, remote_addr=None)
    session.commit()
    assert user.session_version == version + 1
    assert live_devices(session, user) == []


def test_password_change_and_reset_forget_devices(session: Session, settings: Settings) -> None:
    user = UserFactory()
    remember(session, user)
    accounts.change_password(
        session=session,
        settings=settings,
        user=user,
        current_password=DEFAULT_PASSWORD,
        new_password="quiet harbour lanterns 7",
        remote_addr=None,
    )
    session.commit()
    assert live_devices(session, user) == []
    remember(session, user)
    accounts.reset_password(
        session=session,
        settings=settings,
        user=user,
        new_password="plum orchard at dusk 42",
        remote_addr=None,
    )
    session.commit()
    assert live_devices(session, user) == []


def test_an_email_change_forgets_devices_once_it_happens(
    session: Session, settings: Settings
) -> None:
    admin = UserFactory(role=Role.ADMIN.value)
    user = UserFactory()
    remember(session, user)
    accounts.update_profile(session=session, user=user, full_name="New Name")
    email_changes.request_change(
        session=session,
        settings=settings,
        user=user,
        new_email="new@example.org",
        current_password=DEFAULT_PASSWORD,
        remote_addr=None,
    )
    session.commit()
    assert len(live_devices(session, user)) == 1  # asked for, not yet confirmed
    email_changes.confirm_change(session=session, user=user, remote_addr=None)
    session.commit()
    assert live_devices(session, user) == []
    remember(session, user)
    email_changes.change_by_admin(
        session=session, actor=admin, user=user, new_email="other@example.org", remote_addr=None
    )
    session.commit()
    assert live_devices(session, user) == []


def test_role_change_and_deactivation_forget_devices(session: Session) -> None:
    admin = UserFactory(role=Role.ADMIN.value)
    user = UserFactory()
    remember(session, user)
    account_admin.update_account(
        session=session,
        actor=admin,
        user=user,
        changes=AccountAdminUpdate(role=Role.MODERATOR),
        remote_addr=None,
    )
    session.commit()
    assert live_devices(session, user) == []
    remember(session, user)
    account_admin.set_active(
        session=session, actor=admin, user=user, active=False, remote_addr=None
    )
    session.commit()
    assert live_devices(session, user) == []


def test_an_import_that_changes_email_or_role_or_deactivates_forgets_those_devices(
    session: Session,
) -> None:
    same = UserFactory(username="same", email="same@example.org", role="user")
    moved = UserFactory(username="moved", email="moved@example.org", role="user")
    promoted = UserFactory(username="promoted", email="promoted@example.org", role="user")
    left = UserFactory(username="left", email="left@example.org", role="user")
    for user in (same, moved, promoted, left):
        remember(session, user)
    content = (
        "username,email,role,is_active\n"
        "same,same@example.org,user,true\n"
        "moved,elsewhere@example.org,user,true\n"
        "promoted,promoted@example.org,admin,true\n"
        "left,left@example.org,user,false\n"
    )
    report = import_text(session, "users", content, on_conflict=OnConflict.UPDATE)
    assert report.ok, report.errors
    assert len(live_devices(session, same)) == 1
    assert live_devices(session, moved) == []
    assert live_devices(session, promoted) == []
    assert live_devices(session, left) == []


def test_an_import_of_a_new_password_hash_forgets_the_devices(session: Session) -> None:
    kept = UserFactory(username="kept", email="kept@example.org")
    changed = UserFactory(username="changed", email="changed@example.org")
    for user in (kept, changed):
        remember(session, user)
    new_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("another phrase")
    content = (
        "username,email,password_hash\n"
        f'kept,kept@example.org,"{DEFAULT_PASSWORD_HASH}"\n'
        f'changed,changed@example.org,"{new_hash}"\n'
    )
    report = import_text(session, "users", content, on_conflict=OnConflict.UPDATE)
    assert report.ok, report.errors
    assert len(live_devices(session, kept)) == 1
    assert live_devices(session, changed) == []
