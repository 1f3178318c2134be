"""Accounts: registration, sign-in, passwords, email verification, roles and activation.

Every function takes the session (and the acting user where rights matter) explicitly. The
caller commits; a raised error leaves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.database import is_constraint_violation, utcnow
from osnova.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from osnova.i18n import N_
from osnova.models import EMAIL_MAX, USERNAME_MAX, ApiToken, Item, Role, User
from osnova.schemas import UserCreate
from osnova.security import hash_password, needs_rehash, verify_password
from osnova.services import audit, images, policy
from osnova.services.passwords import check_new_password

INVALID_CREDENTIALS = N_("Invalid username, email or password.")
USERNAME_TAKEN = N_("This username is taken.")
LAST_ADMIN = N_("The last active admin cannot be demoted or deactivated.")


class InvalidCredentials(PermissionDenied):
    """Wrong login or password; deliberately silent about which."""


@dataclass(frozen=True)
class Registration:
    """What registering did. ``user`` is None when the email already had an account."""

    user: User | None
    existing: User | None


def create_user(
    *, session: Session, settings: Settings, data: UserCreate, role: Role = Role.USER
) -> User:
    """Insert a user; a taken username or email is a Conflict and leaves nothing behind."""
    taken = session.scalar(
        select(func.count())
        .select_from(User)
        .where(or_(User.username == data.username, User.email == data.email))
    )
    if taken:
        raise Conflict(N_("This username or email is already taken."))
    user = User(
        username=data.username,
        email=data.email,
        full_name=data.full_name,
        role=role.value,
        password_hash=hash_password(settings, data.password) if data.password else None,
    )
    session.add(user)
    try:
        session.flush()
    except DBAPIError as exc:
        if not is_constraint_violation(exc):
            raise
        session.rollback()
        raise Conflict(N_("This username or email is already taken.")) from exc
    return user


def register(
    *, session: Session, settings: Settings, data: UserCreate, remote_addr: str | None
) -> Registration:
    """Self-registration as a plain user.

    A taken email is not reported: the caller answers as for a new account and mails the
    address's owner instead, so registration cannot probe which emails have accounts.
    Usernames are public (profiles), so a taken one is reported.
    """
    password = data.password or ""
    check_new_password(password, username=data.username, email=data.email)
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise InvalidInput([FieldError("username", USERNAME_TAKEN)], USERNAME_TAKEN)
    existing = session.scalar(select(User).where(User.email == data.email))
    if existing is not None:
        hash_password(settings, password)  # same cost as a real registration
        return Registration(user=None, existing=existing)
    user = create_user(session=session, settings=settings, data=data)
    audit.record(session=session, action="account.register", actor=user, remote_addr=remote_addr)
    return Registration(user=user, existing=None)


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
    """End every session of ``user``: cookies carrying the old version stop working."""
    user.session_version += 1
    audit.record(session=session, action="logout", actor=user, remote_addr=remote_addr)


def _set_password(*, session: Session, settings: Settings, user: User, password: str) -> None:
    user.password_hash = hash_password(settings, password)
    user.session_version += 1
    _revoke_tokens(session=session, user=user)


def _revoke_tokens(*, session: Session, user: User) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def change_password(
    *,
    session: Session,
    settings: Settings,
    user: User,
    current_password: str,
    new_password: str,
    remote_addr: str | None,
) -> None:
    """Needs the current password; ends all other sessions and revokes API tokens."""
    if not verify_password(settings, user.password_hash, current_password):
        message = N_("The current password is not correct.")
        raise InvalidInput([FieldError("current_password", message)], message)
    check_new_password(new_password, username=user.username, email=user.email, field="new_password")
    _set_password(session=session, settings=settings, user=user, password=new_password)
    audit.record(session=session, action="password.change", actor=user, remote_addr=remote_addr)


def reset_password(
    *, session: Session, settings: Settings, user: User, new_password: str, remote_addr: str | None
) -> None:
    check_new_password(new_password, username=user.username, email=user.email)
    _set_password(session=session, settings=settings, user=user, password=new_password)
    audit.record(session=session, action="password.reset", actor=user, remote_addr=remote_addr)


def account_for_reset(*, session: Session, email: str) -> User | None:
    """The active account to send a reset link to, if any (the caller answers the same)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    return user if user is not None and user.is_active else None


def mark_email_verified(*, session: Session, user: User) -> None:
    user.email_verified_at = utcnow()
    audit.record(session=session, action="email.verify", actor=user)


def update_profile(*, session: Session, user: User, full_name: str) -> None:
    user.full_name = full_name
    session.flush()


def change_email(*, session: Session, user: User, email: str) -> None:
    """Switch to a new address, which then needs verifying again."""
    if email == user.email:
        return
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        message = N_("This email address cannot be used.")
        raise InvalidInput([FieldError("email", message)], message)
    user.email = email
    user.email_verified_at = None
    audit.record(session=session, action="email.change", actor=user)


def get_by_username(*, session: Session, username: str) -> User:
    """The active user with this username (any case); NotFound otherwise.

    Over-long input is answered without a query: no username can be longer than the column.
    """
    if len(username) > USERNAME_MAX:
        raise NotFound(N_("No such user."))
    user = session.scalar(select(User).where(User.username == username.lower()))
    if user is None or not user.is_active:
        raise NotFound(N_("No such user."))
    return user


def get_by_id(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def count_active_admins(*, session: Session) -> int:
    query = select(func.count()).select_from(User)
    query = query.where(User.role == Role.ADMIN.value, User.is_active.is_(True))
    return session.scalar(query) or 0


def _require_account_manager(actor: User) -> None:
    if not policy.can(actor, policy.Permission.MANAGE_ACCOUNTS):
        raise PermissionDenied(N_("You are not allowed to manage accounts."))


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
    """(De)activate an account; deactivation ends its sessions and revokes its tokens."""
    _require_account_manager(actor)
    if active == user.is_active:
        return
    if not active:
        _guard_last_admin(session=session, user=user)
        user.session_version += 1
        _revoke_tokens(session=session, user=user)
    user.is_active = active
    audit.record(
        session=session,
        action="account.activate" if active else "account.deactivate",
        actor=actor,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
    )


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
