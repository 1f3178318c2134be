"""Reading the audit trail: filtered, newest first, in keyset pages or as a streamed CSV file.

``audit`` writes events; this module only reads them (an export is itself recorded). Each
filter seeks one index of migration 0006. Dates are UTC days; an action ending in ``.*``
matches every action that starts with what precedes the star (``import.*``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from osnova.models import USERNAME_MAX, AuditEvent, User
from osnova.services import audit, cursors, keyset, policy
from osnova.services.transfer.formats import escape_cell

PAGE_SIZE = 50
EXPORT_BATCH = 2_000
ACTION_MAX, TARGET_MAX = 64, 255
# The actions the application records, offered as suggestions in the filter.
KNOWN_ACTIONS = (
    "account.activate",
    "account.deactivate",
    "account.delete",
    "account.register",
    "account.role",
    "email.change",
    "email.verify",
    "export.audit",
    "export.items",
    "export.users",
    "import.*",
    "import.items",
    "import.users",
    "item.delete",
    "item.moderate",
    "item.unpublish",
    "login.*",
    "login.failure",
    "login.success",
    "logout",
    "password.change",
    "password.reset",
    "token.create",
    "token.revoke",
    "token.revoke_all",
)
CSV_COLUMNS = ("id", "at", "action", "actor", "actor_id", "target", "remote_addr", "details")


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""  # a username
    target: str = ""  # such as user:12 or item:40
    since: date | None = None
    until: date | None = None  # inclusive: the whole day


@dataclass(frozen=True, slots=True)
class ListedEvent:
    id: int
    at: datetime
    action: str
    actor_id: int | None
    actor_username: str | None
    target: str | None
    remote_addr: str | None
    details: dict[str, Any] | None


@dataclass(frozen=True)
class AuditPage:
    events: list[ListedEvent]
    next_cursor: str | None


COLUMNS = (
    AuditEvent.id.label("id"),
    AuditEvent.at.label("at"),
    AuditEvent.action.label("action"),
    AuditEvent.actor_id.label("actor_id"),
    User.username.label("actor_username"),
    AuditEvent.target.label("target"),
    AuditEvent.remote_addr.label("remote_addr"),
    AuditEvent.details.label("details"),
)
NEWEST_FIRST = keyset.Order(AuditEvent.at, AuditEvent.id, "at", "id")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _require_reader(actor: policy.Actor) -> None:
    if not policy.can(actor, policy.Permission.VIEW_ACTIVITY):
        raise policy.denied()


def _filtered(session: Session, filters: AuditFilter) -> Select[*tuple[Any, ...]] | None:
    """The trail's query, or None when it cannot match anything (an unknown actor)."""
    query = select(*COLUMNS).outerjoin(User, User.id == AuditEvent.actor_id)
    action = filters.action.strip()[:ACTION_MAX]
    if action.endswith(".*"):
        query = query.where(AuditEvent.action.startswith(action[:-1], autoescape=True))
    elif action:
        query = query.where(AuditEvent.action == action)
    if filters.actor:
        actor_id = session.scalar(
            select(User.id).where(User.username == filters.actor.strip().lower()[:USERNAME_MAX])
        )
        if actor_id is None:
            return None
        query = query.where(AuditEvent.actor_id == actor_id)
    if filters.target:
        query = query.where(AuditEvent.target == filters.target.strip()[:TARGET_MAX])
    if filters.since is not None:
        query = query.where(AuditEvent.at >= day_start(filters.since))
    if filters.until is not None:
        query = query.where(AuditEvent.at < day_start(filters.until + timedelta(days=1)))
    return query


def list_events(
    *,
    session: Session,
    actor: policy.Actor,
    filters: AuditFilter,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    """A page of events matching ``filters``, newest first, after ``cursor``."""
    _require_reader(actor)
    after = cursors.decode(cursor) if cursor else None
    query = _filtered(session, filters)
    if query is None:
        return AuditPage([], None)
    rows, last = keyset.fetch_page(
        session,
        query,
        NEWEST_FIRST,
        after=(after.created_at, after.id) if after else None,
        limit=limit,
    )
    events = [ListedEvent(**row._mapping) for row in rows]
    return AuditPage(events, cursors.encode(*last) if last else None)


def export_csv(
    *,
    session: Session,
    actor: User,
    filters: AuditFilter,
    remote_addr: str | None = None,
) -> Iterator[bytes]:
    """Every event matching ``filters`` as CSV, newest first, read in batches as it is sent.

    The export is recorded (``export.audit``, committed by the caller before the body is
    read). Cells a spreadsheet would run as a formula are escaped as in every export.
    """
    _require_reader(actor)
    audit.record(
        session=session,
        action="export.audit",
        actor=actor,
        remote_addr=remote_addr,
        details={k: str(v) for k, v in asdict(filters).items() if v},
    )
    return _csv_chunks(session, filters)


def _csv_chunks(session: Session, filters: AuditFilter) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    query = _filtered(session, filters)
    after: tuple[Any, int] | None = None
    while query is not None:
        rows, after = keyset.fetch_page(
            session, query, NEWEST_FIRST, after=after, limit=EXPORT_BATCH
        )
        for row in rows:
            event = ListedEvent(**row._mapping)
            writer.writerow([_cell(value) for value in _csv_row(event)])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        if after is None:
            break
    if buffer.tell():
        yield buffer.getvalue().encode()


def _csv_row(event: ListedEvent) -> tuple[object, ...]:
    details = orjson.dumps(event.details or {}, option=orjson.OPT_SORT_KEYS).decode()
    return (
        event.id,
        event.at.isoformat(),
        event.action,
        event.actor_username or "",
        event.actor_id if event.actor_id is not None else "",
        event.target or "",
        event.remote_addr or "",
        details,
    )


def _cell(value: object) -> object:
    return escape_cell(value) if isinstance(value, str) else value
