"""Bulk actions on the accounts an admin ticked: deactivate them, or send them reset links.

Each account goes through the same function a single change uses (``account_admin``), so the
rules hold row by row: deactivation ends the account's sessions, remembered devices and API
tokens, and is audited once per account. A row the rules refuse (the last active admin) is
skipped with its reason and the rest go ahead: the admin sees what was done and what was not,
and nothing half-done is left behind for the skipped row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.database import MAX_ROW_ID
from osnova.errors import Conflict
from osnova.i18n import N_
from osnova.models import User
from osnova.services import account_admin, audit, policy
from osnova.services.account_list import MAX_PAGE_SIZE

DEACTIVATED_ALREADY = N_("deactivated already")
INACTIVE_NO_LINK = N_("deactivated: a reset link would not work")


@dataclass
class BulkOutcome:
    """The accounts changed, and those skipped with the reason (a message id to translate)."""

    done: list[User] = field(default_factory=list)
    skipped: list[tuple[User, str]] = field(default_factory=list)


def _chosen(session: Session, user_ids: Iterable[int]) -> list[User]:
    wanted = sorted({i for i in user_ids if 0 < i <= MAX_ROW_ID})[:MAX_PAGE_SIZE]
    if not wanted:
        return []
    return list(session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.username)))


def deactivate(
    *, session: Session, actor: User, user_ids: Iterable[int], remote_addr: str | None
) -> BulkOutcome:
    """Deactivate each chosen account that is active; the last active admin is skipped."""
    if not policy.can(actor, policy.Permission.MANAGE_ACCOUNTS):
        raise policy.denied()
    outcome = BulkOutcome()
    for user in _chosen(session, user_ids):
        if not user.is_active:
            outcome.skipped.append((user, DEACTIVATED_ALREADY))
            continue
        try:
            account_admin.set_active(
                session=session, actor=actor, user=user, active=False, remote_addr=remote_addr
            )
        except Conflict as refused:
            outcome.skipped.append((user, refused.message))
        else:
            outcome.done.append(user)
    session.flush()
    return outcome


def reset_link_recipients(
    *, session: Session, actor: User, user_ids: Iterable[int], remote_addr: str | None
) -> BulkOutcome:
    """The chosen accounts a reset link is to be mailed to (the door queues the mail once
    this commits); each is audited as ``account.reset_link``. Deactivated ones are skipped:
    their link would not open."""
    if not policy.can(actor, policy.Permission.MANAGE_ACCOUNTS):
        raise policy.denied()
    outcome = BulkOutcome()
    for user in _chosen(session, user_ids):
        if not user.is_active:
            outcome.skipped.append((user, INACTIVE_NO_LINK))
            continue
        audit.record(
            session=session,
            action="account.reset_link",
            actor=actor,
            target=f"user:{user.id}",
            remote_addr=remote_addr,
        )
        outcome.done.append(user)
    session.flush()
    return outcome
