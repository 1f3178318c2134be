"""Changing an account's email address, so that a stolen session or token cannot take it over.

An account holder's change needs the current password and waits, pending, until the owner of
the new address follows the link mailed to it; the old address is told at once and can
cancel the change (or undo it, once confirmed), which also ends every session and revokes
every API token of the account. An admin's change applies at once; both addresses are told.
Whenever the address does change, every remembered device of the account is forgotten: the
address can reset the password, so each browser must sign in with it again.

Asking for an address that another account uses looks like any other request: the mail to
that address says so instead of carrying a link, so the answer cannot be used to probe
which addresses have accounts. The door commits, then queues the mail (``http.account_mail``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.database import is_constraint_violation, utcnow
from osnova.errors import Conflict, FieldError, InvalidInput
from osnova.i18n import N_
from osnova.models import User
from osnova.security import verify_password
from osnova.services import audit, remembered_devices, tokens
from osnova.services.account_links import CancelLink

WRONG_PASSWORD = N_("The current password is not correct.")
PASSWORD_NEEDED = N_("Enter your current password to change your email address.")
ADDRESS_UNUSABLE = N_("This email address cannot be used.")
OWN_ADDRESS_BY_ADMIN = N_(
    "Change your own email address from your account: it needs your password."
)


@dataclass(frozen=True)
class EmailChange:
    """A change asked for or made: what the mail about it needs to know."""

    user_id: int
    old_email: str
    new_email: str
    requested_at: datetime


class CancelOutcome(StrEnum):
    CANCELLED = "cancelled"  # the change was still pending; it will not happen
    RESTORED = "restored"  # it had been confirmed; the old address is the account's again
    SECURED = "secured"  # confirmed, and the old address is another account's now


def request_change(
    *,
    session: Session,
    settings: Settings,
    user: User,
    new_email: str,
    current_password: str | None,
    remote_addr: str | None,
) -> EmailChange | None:
    """Keep ``new_email`` pending for ``user``; None when it already is the account's email.

    Asking again (for the same address or another) replaces the pending change, and the
    links mailed for the earlier one stop working.
    """
    if new_email == user.email:
        return None
    check_current_password(settings=settings, user=user, current_password=current_password)
    requested_at = utcnow()
    user.pending_email = new_email
    user.email_change_requested_at = requested_at
    audit.record(
        session=session,
        action="email.change.request",
        actor=user,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
        details={"from": user.email, "to": new_email},
    )
    return EmailChange(user.id, user.email, new_email, requested_at)


def check_current_password(*, settings: Settings, user: User, current_password: str | None) -> None:
    """InvalidInput on ``current_password`` unless it is ``user``'s password.

    A form whose new address is refused checks the password too, so both errors show at once.
    """
    if not current_password:
        raise InvalidInput([FieldError("current_password", PASSWORD_NEEDED)], PASSWORD_NEEDED)
    if not verify_password(settings, user.password_hash, current_password):
        raise InvalidInput([FieldError("current_password", WRONG_PASSWORD)], WRONG_PASSWORD)


def confirm_change(*, session: Session, user: User, remote_addr: str | None) -> EmailChange:
    """Make the pending address the account's email (its owner has just proven it is theirs)."""
    new_email, requested_at = user.pending_email, user.email_change_requested_at
    if new_email is None or requested_at is None:
        raise InvalidInput([FieldError("email", ADDRESS_UNUSABLE)], ADDRESS_UNUSABLE)
    if address_taken(session=session, email=new_email, user_id=user.id):
        raise Conflict(ADDRESS_UNUSABLE)
    old_email = user.email
    user.email = new_email
    user.email_verified_at = utcnow()
    _forget_pending(user)
    remembered_devices.forget_all(session=session, user=user)
    _flush_or_conflict(session)
    audit.record(
        session=session,
        action="email.change.confirm",
        actor=user,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
        details={"from": old_email, "to": new_email},
    )
    return EmailChange(user.id, old_email, new_email, requested_at)


def withdraw_change(*, session: Session, user: User, remote_addr: str | None) -> bool:
    """The account holder drops their own pending change; False when none was pending."""
    if user.pending_email is None:
        return False
    details = {"to": user.pending_email, "by": "account"}
    _forget_pending(user)
    audit.record(
        session=session,
        action="email.change.cancel",
        actor=user,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
        details=details,
    )
    return True


def cancel_from_old_address(
    *, session: Session, link: CancelLink, remote_addr: str | None
) -> CancelOutcome:
    """The old address says "not me": the change is cancelled or undone, and every session
    and API token of the account ends, since whoever asked for it may hold one."""
    user = link.user
    _forget_pending(user)
    remembered_devices.end_all_sessions(session=session, user=user)
    tokens.revoke_all(session=session, user=user)
    outcome = CancelOutcome.CANCELLED
    if link.confirmed:
        if not address_taken(session=session, email=link.old_email, user_id=user.id):
            user.email = link.old_email
            user.email_verified_at = utcnow()  # the cancel link was read at this address
            outcome = CancelOutcome.RESTORED
        else:
            outcome = CancelOutcome.SECURED
    _flush_or_conflict(session)
    audit.record(
        session=session,
        action="email.change.cancel",
        actor=user,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
        details={"to": link.new_email, "by": "old-address", "outcome": outcome.value},
    )
    return outcome


def change_by_admin(
    *, session: Session, actor: User, user: User, new_email: str, remote_addr: str | None
) -> EmailChange | None:
    """An admin's change applies at once (the address is unconfirmed until its owner
    confirms it) and drops any pending change; None when nothing changes. The caller has
    checked the actor's right. An admin's own address goes through ``request_change``."""
    if new_email == user.email:
        return None
    if actor.id == user.id:
        raise InvalidInput([FieldError("email", OWN_ADDRESS_BY_ADMIN)], OWN_ADDRESS_BY_ADMIN)
    if address_taken(session=session, email=new_email, user_id=user.id):
        raise Conflict(ADDRESS_UNUSABLE, [FieldError("email", ADDRESS_UNUSABLE)])
    old_email = user.email
    user.email = new_email
    user.email_verified_at = None
    _forget_pending(user)
    remembered_devices.forget_all(session=session, user=user)
    _flush_or_conflict(session)
    audit.record(
        session=session,
        action="email.change",
        actor=actor,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
        details={"from": old_email, "to": new_email},
    )
    return EmailChange(user.id, old_email, new_email, utcnow())


def address_taken(*, session: Session, email: str, user_id: int) -> bool:
    """Whether an account other than ``user_id`` uses ``email``."""
    query = select(User.id).where(User.email == email, User.id != user_id)
    return session.scalar(query) is not None


def forget_expired(*, session: Session, settings: Settings, now: datetime) -> int:
    """Drop pending changes whose confirmation link has expired; how many."""
    cutoff = now - timedelta(hours=settings.email_change_link_hours)
    result = session.execute(
        update(User)
        .where(User.email_change_requested_at < cutoff)
        .values(pending_email=None, email_change_requested_at=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _forget_pending(user: User) -> None:
    user.pending_email = None
    user.email_change_requested_at = None


def _flush_or_conflict(session: Session) -> None:
    try:
        session.flush()
    except DBAPIError as exc:
        if not is_constraint_violation(exc):
            raise
        # Another account took the address between the check and the write.
        raise Conflict(ADDRESS_UNUSABLE) from exc
