"""Accounts as their holders see them: registration, profile, passwords, verification.

Every function takes the session (and the acting user where rights matter) explicitly. The
caller commits, or rolls back on a raised error; a refused change leaves nothing half-written.
Signing in lives in ``sign_in``; changing the email, in ``email_changes``; what admins do to
accounts, in ``account_admin``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.database import is_constraint_violation, utcnow
from osnova.errors import Conflict, FieldError, InvalidInput, NotFound
from osnova.i18n import N_
from osnova.models import USERNAME_MAX, Role, User
from osnova.schemas import AccountUpdate, UserCreate
from osnova.security import hash_password, verify_password
from osnova.services import audit, email_changes, remembered_devices, tokens
from osnova.services.email_changes import EmailChange
from osnova.services.passwords import PasswordOwner, check_new_password, password_problem

USERNAME_TAKEN = N_("This username is taken.")
WRONG_CURRENT_PASSWORD = N_("The current password is not correct.")


@dataclass(frozen=True)
class Registration:
    """What registering did. ``user`` is None when the email already had an account."""

    user: User | None
    existing: User | None


def _owner(user: User) -> PasswordOwner:
    return PasswordOwner(username=user.username, email=user.email, full_name=user.full_name)


def create_user(
    *, session: Session, settings: Settings, data: UserCreate, role: Role = Role.USER
) -> User:
    """Insert a user whose password (if any) passes the rules.

    A taken username or email is a Conflict and leaves nothing behind.
    """
    if data.password:
        owner = PasswordOwner(username=data.username, email=data.email, full_name=data.full_name)
        check_new_password(data.password, owner=owner, min_score=settings.password_min_score)
    return _insert_user(session=session, settings=settings, data=data, role=role)


def _insert_user(*, session: Session, settings: Settings, data: UserCreate, role: Role) -> User:
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
        # A race lost to a concurrent insert; the door rolls back on the Conflict.
        raise Conflict(N_("This username or email is already taken.")) from exc
    return user


def registration_problems(
    *,
    session: Session,
    settings: Settings,
    username: str | None,
    owner: PasswordOwner,
    password: str,
) -> list[FieldError]:
    """Every reason the password rules and the stored accounts give against a registration,
    found together, so a form shows a weak password and a taken username at once.

    ``username`` is None when the schema refused it (then it is not looked up). A taken
    email is never a problem here (see ``register``).
    """
    errors = []
    problem = password_problem(password, owner=owner, min_score=settings.password_min_score)
    if problem is not None:
        errors.append(FieldError("password", problem))
    if (
        username is not None
        and session.scalar(select(User.id).where(User.username == username)) is not None
    ):
        errors.append(FieldError("username", USERNAME_TAKEN))
    return errors


def refusal(errors: list[FieldError]) -> InvalidInput | Conflict:
    """The error to raise for ``errors``: a Conflict when each is a clash with stored data
    (a taken username), else InvalidInput listing them all."""
    if all(error.message == USERNAME_TAKEN for error in errors):
        return Conflict(errors[0].message, errors)
    invalid = next(error for error in errors if error.message != USERNAME_TAKEN)
    return InvalidInput(errors, invalid.message)


def register(
    *, session: Session, settings: Settings, data: UserCreate, remote_addr: str | None
) -> Registration:
    """Self-registration as a plain user.

    A taken email is not reported: the caller answers as for a new account and mails the
    address's owner instead, so registration cannot probe which emails have accounts.
    Usernames are public (profiles), so a taken one is reported, with any password problem.
    """
    password = data.password or ""
    owner = PasswordOwner(username=data.username, email=data.email, full_name=data.full_name)
    errors = registration_problems(
        session=session, settings=settings, username=data.username, owner=owner, password=password
    )
    if errors:
        raise refusal(errors)
    existing = session.scalar(select(User).where(User.email == data.email))
    if existing is not None:
        hash_password(settings, password)  # same cost as a real registration
        return Registration(user=None, existing=existing)
    user = _insert_user(session=session, settings=settings, data=data, role=Role.USER)
    audit.record(session=session, action="account.register", actor=user, remote_addr=remote_addr)
    return Registration(user=user, existing=None)


def _set_password(*, session: Session, settings: Settings, user: User, password: str) -> None:
    user.password_hash = hash_password(settings, password)
    remembered_devices.end_all_sessions(session=session, user=user)
    tokens.revoke_all(session=session, user=user)


def new_password_problems(
    *, settings: Settings, user: User, password: str, field: str = "password"
) -> list[FieldError]:
    """Why ``user`` may not choose ``password`` (empty when they may), named on ``field``."""
    problem = password_problem(password, owner=_owner(user), min_score=settings.password_min_score)
    return [] if problem is None else [FieldError(field, problem)]


def password_change_problems(
    *, settings: Settings, user: User, current_password: str, new_password: str
) -> list[FieldError]:
    """A wrong current password and a weak new one, found together."""
    errors = []
    if not verify_password(settings, user.password_hash, current_password):
        errors.append(FieldError("current_password", WRONG_CURRENT_PASSWORD))
    errors += new_password_problems(
        settings=settings, user=user, password=new_password, field="new_password"
    )
    return errors


def change_password(
    *,
    session: Session,
    settings: Settings,
    user: User,
    current_password: str,
    new_password: str,
    remote_addr: str | None,
) -> None:
    """Needs the current password; ends every session and remembered device, revokes API
    tokens (the door starts a new session for the browser that asked)."""
    errors = password_change_problems(
        settings=settings, user=user, current_password=current_password, new_password=new_password
    )
    if errors:
        raise InvalidInput(errors, errors[0].message)
    _set_password(session=session, settings=settings, user=user, password=new_password)
    audit.record(session=session, action="password.change", actor=user, remote_addr=remote_addr)


def reset_password(
    *, session: Session, settings: Settings, user: User, new_password: str, remote_addr: str | None
) -> None:
    check_new_password(new_password, owner=_owner(user), min_score=settings.password_min_score)
    _set_password(session=session, settings=settings, user=user, password=new_password)
    audit.record(session=session, action="password.reset", actor=user, remote_addr=remote_addr)


def accept_invitation(
    *, session: Session, settings: Settings, user: User, new_password: str, remote_addr: str | None
) -> None:
    """The invited person's first password; the invitation reached their address, so it is
    confirmed too."""
    check_new_password(new_password, owner=_owner(user), min_score=settings.password_min_score)
    _set_password(session=session, settings=settings, user=user, password=new_password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    audit.record(
        session=session, action="account.invitation_accepted", actor=user, remote_addr=remote_addr
    )


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


def update_account(
    *,
    session: Session,
    settings: Settings,
    user: User,
    changes: AccountUpdate,
    remote_addr: str | None,
) -> EmailChange | None:
    """Apply the fields of ``changes`` that are set; the email change asked for, if any.

    A new email needs the current password and stays pending until its owner confirms it
    (``email_changes``); a wrong password changes nothing at all.
    """
    change = None
    if changes.email is not None:
        change = email_changes.request_change(
            session=session,
            settings=settings,
            user=user,
            new_email=changes.email,
            current_password=changes.current_password,
            remote_addr=remote_addr,
        )
    if changes.full_name is not None:
        update_profile(session=session, user=user, full_name=changes.full_name)
    return change


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
