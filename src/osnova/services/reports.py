"""The dashboard's figures: one SQL statement per panel, built with SQLAlchemy Core.

Each panel is a single SELECT of scalar subqueries, so the database answers it in one round
trip and every count is an index range count (migration 0006): no ORM objects are built and
no row leaves the database. Days are UTC days, and a day's range is ``[start, next start)``,
which every database compares the same way (no per-dialect date functions).
``tests/services/test_reports.py`` checks both panels against counts made with the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from osnova.models import ApiToken, AuditEvent, Item, User
from osnova.services import policy

ACTIVITY_DAYS = 30
IMPORT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class SiteCounts:
    accounts: int
    active_accounts: int
    items: int
    public_items: int
    sign_ins_today: int
    failed_sign_ins_today: int
    tokens_in_use: int
    imports_this_week: int  # the last seven days; dry runs are not imports


@dataclass(frozen=True)
class DayActivity:
    day: date
    sign_ups: int
    new_items: int


def _require_viewer(actor: policy.Actor) -> None:
    if not policy.can(actor, policy.Permission.VIEW_ACTIVITY):
        raise policy.denied()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _count(entity: Any, *conditions: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(entity).where(*conditions).scalar_subquery()


def site_counts(*, session: Session, actor: policy.Actor, now: datetime) -> SiteCounts:
    """The counts panel at ``now``: accounts, items, today's sign-ins, live tokens, imports."""
    _require_viewer(actor)
    today = day_start(now.astimezone(UTC).date())
    live_token = and_(
        ApiToken.revoked_at.is_(None),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        User.is_active.is_(True),
    )
    dry_run = AuditEvent.details["dry_run"].as_boolean()
    panel = select(
        _count(User).label("accounts"),
        _count(User, User.is_active.is_(True)).label("active_accounts"),
        _count(Item).label("items"),
        _count(Item, Item.is_public.is_(True)).label("public_items"),
        _count(AuditEvent, AuditEvent.action == "login.success", AuditEvent.at >= today).label(
            "sign_ins_today"
        ),
        _count(AuditEvent, AuditEvent.action == "login.failure", AuditEvent.at >= today).label(
            "failed_sign_ins_today"
        ),
        select(func.count())
        .select_from(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .where(live_token)
        .scalar_subquery()
        .label("tokens_in_use"),
        _count(
            AuditEvent,
            AuditEvent.action.startswith("import."),
            AuditEvent.at >= now - IMPORT_WINDOW,
            or_(dry_run.is_(None), dry_run.is_(False)),
        ).label("imports_this_week"),
    )
    row = session.connection().execute(panel).one()
    return SiteCounts(**{name: int(value or 0) for name, value in row._mapping.items()})


def daily_activity(
    *, session: Session, actor: policy.Actor, today: date, days: int = ACTIVITY_DAYS
) -> list[DayActivity]:
    """Sign-ups and new items on each of the ``days`` UTC days ending with ``today``."""
    _require_viewer(actor)
    first = today - timedelta(days=days - 1)
    span = [first + timedelta(days=n) for n in range(days)]

    def per_day(column: InstrumentedAttribute[datetime], prefix: str) -> list[Any]:
        return [
            _count(
                column.class_,
                column >= day_start(day),
                column < day_start(day + timedelta(days=1)),
            ).label(f"{prefix}{n}")
            for n, day in enumerate(span)
        ]

    panel = select(*per_day(User.created_at, "u"), *per_day(Item.created_at, "i"))
    row = session.connection().execute(panel).one()._mapping
    return [
        DayActivity(day, int(row[f"u{n}"] or 0), int(row[f"i{n}"] or 0))
        for n, day in enumerate(span)
    ]
