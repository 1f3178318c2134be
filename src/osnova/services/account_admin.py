"""What account managers do to other accounts: invite, list, email, roles, activation,
deletion.

Every function checks the actor's right itself, and the last active admin can be neither
demoted, deactivated nor deleted, so a site never locks its operators out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.database import utcnow
from osnova.errors import Conflict, NotFound, PermissionDenied
from osnova.i18n import N_
from osnova.models import USERNAME_MAX, ApiToken, Item, RememberedDevice, Role, User
from osnova.schemas import AccountAdminUpdate, AccountInvite, UserCreate
from osnova.services import (
    accounts,
    audit,
    email_changes,
    images,
    policy,
    remembered_devices,
    tokens,
)
from osnova.services.email_changes import EmailChange

LAST_ADMIN = N_("The last active admin cannot be demoted or deactivated.")


def count_active_admins(*, session: Session) -> int:
    query = select(func.count()).select_from(User)
    query = query.where(User.role == Role.ADMIN.value, User.is_active.is_(True))
    return session.scalar(query) or 0


def _require_account_manager(actor: User) -> None:
    if not policy.can(actor, policy.Permission.MANAGE_ACCOUNTS):
        raise PermissionDenied(N_("You are not allowed to manage accounts."))


def invite_account(
    *,
    session: Session,
    settings: Settings,
    actor: User,
    invite: AccountInvite,
    remote_addr: str | None,
) -> User:
    """Open an account without a password; the door then mails the invitation whose link
    lets the person choose one. A taken username or email is a Conflict."""
    _require_account_manager(actor)
    data = UserCreate(username=invite.username, email=invite.email, full_name=invite.full_name)
    user = accounts.create_user(session=session, settings=settings, data=data, role=invite.role)
    audit.record(
        session=session,
        action="account.invite",
        actor=actor,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
        details={"username": user.username, "role": user.role},
    )
    return user


def _guard_last_admin(*, session: Session, user: User) -> None:
    if (
        user.role == Role.ADMIN.value
        and user.is_active
        and count_active_admins(session=session) <= 1
    ):
        raise Conflict(LAST_ADMIN)


def set_role(
    *, session: Session, actor: User, user: User, role: Role, remote_addr: str | None
) -> None:
    _require_account_manager(actor)
    if role.value == user.role:
        return
    if role is not Role.ADMIN:
        _guard_last_admin(session=session, user=user)
    before = user.role
    user.role = role.value
    # New rights need a fresh sign-in on every browser that was kept signed in.
    remembered_devices.forget_all(session=session, user=user)
    audit.record(
        session=session,
        action="account.role",
        actor=actor,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
        details={"from": before, "to": role.value},
    )


def set_active(
    *, session: Session, actor: User, user: User, active: bool, remote_addr: str | None
) -> None:
    """(De)activate an account; deactivation ends its sessions and remembered devices and
    revokes its tokens."""
    _require_account_manager(actor)
    if active == user.is_active:
        return
    if not active:
        _guard_last_admin(session=session, user=user)
        remembered_devices.end_all_sessions(session=session, user=user)
        tokens.revoke_all(session=session, user=user)
    user.is_active = active
    audit.record(
        session=session,
        action="account.activate" if active else "account.deactivate",
        actor=actor,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
    )


def update_account(
    *,
    session: Session,
    actor: User,
    user: User,
    changes: AccountAdminUpdate,
    remote_addr: str | None,
) -> EmailChange | None:
    """Apply an admin's change of profile, email, role and activation as one operation;
    the email change made, if any (both addresses are to be told)."""
    _require_account_manager(actor)
    if changes.full_name is not None:
        accounts.update_profile(session=session, user=user, full_name=changes.full_name)
    change = None
    if changes.email is not None:
        change = email_changes.change_by_admin(
            session=session,
            actor=actor,
            user=user,
            new_email=changes.email,
            remote_addr=remote_addr,
        )
    if changes.role is not None:
        set_role(
            session=session, actor=actor, user=user, role=changes.role, remote_addr=remote_addr
        )
    if changes.is_active is not None:
        set_active(
            session=session,
            actor=actor,
            user=user,
            active=changes.is_active,
            remote_addr=remote_addr,
        )
    return change


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    next_cursor: str | None


def list_users(
    *, session: Session, actor: User, q: str = "", after: str | None = None, limit: int = 50
) -> UserPage:
    """Accounts ordered by username, for admins; ``after`` is the last username seen."""
    _require_account_manager(actor)
    query = select(User).order_by(User.username).limit(limit + 1)
    q = q.strip().replace("\x00", "")[:100]
    if q:
        query = query.where(
            or_(
                User.username.contains(q.lower(), autoescape=True),
                User.email.contains(q.lower(), autoescape=True),
                func.lower(User.full_name).contains(q.lower(), autoescape=True),
            )
        )
    if after:
        query = query.where(User.username > after[:USERNAME_MAX])
    users = list(session.scalars(query))
    next_cursor = users[limit - 1].username if len(users) > limit else None
    return UserPage(users=users[:limit], next_cursor=next_cursor)


def get_for_admin(*, session: Session, actor: User, username: str) -> User:
    """Any account, active or not, for an account manager; NotFound when there is none."""
    _require_account_manager(actor)
    user = session.scalar(select(User).where(User.username == username.lower()[:USERNAME_MAX]))
    if user is None:
        raise NotFound(N_("No such user."))
    return user


@dataclass(frozen=True)
class DeletionSummary:
    """What deleting an account takes with it, for the page that asks first."""

    items: int
    images: int
    live_tokens: int
    remembered_devices: int
    last_admin: bool


def deletion_summary(*, session: Session, actor: User, user: User) -> DeletionSummary:
    _require_account_manager(actor)
    owned = select(func.count()).select_from(Item).where(Item.owner_id == user.id)
    live = (
        select(func.count())
        .select_from(ApiToken)
        .where(
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
        )
    )
    devices = (
        select(func.count())
        .select_from(RememberedDevice)
        .where(RememberedDevice.user_id == user.id)
    )
    last_admin = (
        user.role == Role.ADMIN.value
        and user.is_active
        and count_active_admins(session=session) <= 1
    )
    return DeletionSummary(
        items=session.scalar(owned) or 0,
        images=session.scalar(owned.where(Item.image.is_not(None))) or 0,
        live_tokens=session.scalar(live) or 0,
        remembered_devices=session.scalar(devices) or 0,
        last_admin=last_admin,
    )


def delete_user(
    *,
    session: Session,
    settings: Settings,
    actor: User,
    user: User,
    remote_addr: str | None,
) -> None:
    """Delete an account with its items and tokens (and, once that commits, the items'
    images); the last active admin stays."""
    _require_account_manager(actor)
    _guard_last_admin(session=session, user=user)
    rules = images.ImageRules.from_settings(settings)
    for name in session.scalars(select(Item.image).where(Item.owner_id == user.id)):
        if name:
            images.forget_image(session=session, rules=rules, name=name)
    audit.record(
        session=session,
        action="account.delete",
        actor=actor,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
        details={"username": user.username},
    )
    session.delete(user)
    session.flush()
