"""What moderators and admins do to anyone's items: find them, unpublish them, delete them.

The list sees every item, private ones and those of deactivated accounts included, filtered
by words, owner, visibility, image and creation date, in one of three orders; each order and
filter is served by an index (see migration 0006), and pages are keyset pages. Every change
is audited, one event per item, so the audit trail of an item tells its whole story.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from osnova.database import MAX_ROW_ID
from osnova.models import USERNAME_MAX, Item, User
from osnova.services import audit, cursors, images, items, keyset, policy
from osnova.services.search import item_matches, owner_id_for_join

PAGE_SIZE, MAX_PAGE_SIZE = 50, 100


class ItemOrder(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    TITLE = "title"


@dataclass(frozen=True)
class ItemFilter:
    """What the list is narrowed to; every field left empty lists everything."""

    q: str = ""
    owner: str = ""
    is_public: bool | None = None
    has_image: bool | None = None
    created_from: date | None = None
    created_to: date | None = None  # inclusive: the whole day
    order: ItemOrder = ItemOrder.NEWEST


@dataclass(frozen=True, slots=True)
class ModeratedItem:
    id: int
    title: str
    is_public: bool
    image: str | None
    created_at: datetime
    owner_username: str
    owner_is_active: bool


@dataclass(frozen=True)
class ModerationPage:
    items: list[ModeratedItem]
    next_cursor: str | None


COLUMNS = (
    Item.id.label("id"),
    Item.title.label("title"),
    Item.is_public.label("is_public"),
    Item.image.label("image"),
    Item.created_at.label("created_at"),
    User.username.label("owner_username"),
    User.is_active.label("owner_is_active"),
)
ORDERS = {
    ItemOrder.NEWEST: keyset.Order(Item.created_at, Item.id, "created_at", "id"),
    ItemOrder.OLDEST: keyset.Order(Item.created_at, Item.id, "created_at", "id", False),
    ItemOrder.TITLE: keyset.Order(Item.title, Item.id, "title", "id", False),
}


def require_moderator(actor: policy.Actor) -> None:
    if not policy.can(actor, policy.Permission.MODERATE_ITEMS):
        raise policy.denied()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def list_items(
    *,
    session: Session,
    actor: policy.Actor,
    filters: ItemFilter,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> ModerationPage:
    """A page of every item matching ``filters``, in their order, after ``cursor``."""
    require_moderator(actor)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    order = ORDERS[filters.order]
    after = _position(cursor, filters.order) if cursor else None
    query = _filtered(session, filters)
    if query is None:
        return ModerationPage([], None)
    rows, last = keyset.fetch_page(session, query, order, after=after, limit=limit)
    listed = [ModeratedItem(**row._mapping) for row in rows]
    return ModerationPage(listed, _cursor(last, filters.order) if last else None)


def _filtered(session: Session, filters: ItemFilter) -> Select[*tuple[Any, ...]] | None:
    """The list's query, or None when it cannot match anything (an unknown owner, a search
    without a match)."""
    how = None
    if filters.q:
        condition, how = item_matches(filters.q, session)
        if how is None:
            return None
    dialect = session.get_bind().dialect.name
    query = select(*COLUMNS).join(User, User.id == owner_id_for_join(dialect, how))
    if how is not None:
        query = query.where(condition)
    if filters.owner:
        owner_id = session.scalar(
            select(User.id).where(User.username == filters.owner.strip().lower()[:USERNAME_MAX])
        )
        if owner_id is None:
            return None
        query = query.where(Item.owner_id == owner_id)
    if filters.is_public is not None:
        query = query.where(Item.is_public.is_(filters.is_public))
    if filters.has_image is not None:
        has = Item.image.is_not(None) if filters.has_image else Item.image.is_(None)
        query = query.where(has)
    if filters.created_from is not None:
        query = query.where(Item.created_at >= day_start(filters.created_from))
    if filters.created_to is not None:
        query = query.where(Item.created_at < day_start(filters.created_to + timedelta(days=1)))
    return query


def _position(cursor: str, order: ItemOrder) -> tuple[Any, int]:
    if order is ItemOrder.TITLE:
        return keyset.decode_text(cursor)
    position = cursors.decode(cursor)
    return position.created_at, position.id


def _cursor(last: tuple[Any, int], order: ItemOrder) -> str:
    key, row_id = last
    if order is ItemOrder.TITLE:
        return keyset.encode_text(key, row_id)
    return cursors.encode(key, row_id)


def selected_items(
    *, session: Session, actor: policy.Actor, item_ids: Iterable[int]
) -> list[ModeratedItem]:
    """The items among ``item_ids`` that exist, newest first (what a bulk action will touch)."""
    require_moderator(actor)
    wanted = sorted({i for i in item_ids if 0 < i <= MAX_ROW_ID})[:MAX_PAGE_SIZE]
    if not wanted:
        return []
    query = select(*COLUMNS).join(Item.owner).where(Item.id.in_(wanted))
    rows = session.connection().execute(query.order_by(Item.created_at.desc(), Item.id.desc()))
    return [ModeratedItem(**row._mapping) for row in rows]


def unpublish(
    *,
    session: Session,
    actor: User,
    item_ids: Iterable[int],
    remote_addr: str | None = None,
) -> int:
    """Make the public ones among ``item_ids`` private; how many changed.

    Each change is audited as ``item.unpublish``; an item already private is left alone.
    At most one page of items is changed at a time.
    """
    require_moderator(actor)
    wanted = sorted({i for i in item_ids if 0 < i <= MAX_ROW_ID})[:MAX_PAGE_SIZE]
    if not wanted:
        return 0
    found = session.scalars(select(Item).where(Item.id.in_(wanted), Item.is_public.is_(True)))
    changed = 0
    for item in found:
        item.is_public = False
        audit.record(
            session=session,
            action="item.unpublish",
            actor=actor,
            target=f"item:{item.id}",
            remote_addr=remote_addr,
            details={"owner_id": item.owner_id, "title": item.title[:80]},
        )
        changed += 1
    session.flush()
    return changed


def delete(
    *,
    session: Session,
    actor: User,
    item_id: int,
    image_rules: images.ImageRules,
    remote_addr: str | None = None,
) -> None:
    """Delete anyone's item (and, once that commits, its image); audited as ``item.delete``."""
    require_moderator(actor)
    items.delete_item(
        session=session,
        actor=actor,
        item_id=item_id,
        image_rules=image_rules,
        remote_addr=remote_addr,
    )
