"""The moderation list: every order pages through every row once, ties included, on every
database; filters narrow it as the ORM would; changes are audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.errors import InvalidInput, PermissionDenied
from osnova.models import AuditEvent, Item, User
from osnova.services import item_moderation
from osnova.services.item_moderation import ItemFilter, ItemOrder
from tests.support.factories import ItemFactory, UserFactory

SAME_MOMENT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def moderator(session: Session) -> User:
    return UserFactory(username="mod", role="moderator")


@pytest.fixture
def many_items(session: Session) -> list[Item]:
    """Items that share timestamps and titles, as an import makes them."""
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob", is_active=False)
    made = []
    for n in range(23):
        made.append(
            ItemFactory(
                owner=ann if n % 3 else bob,
                title=f"title {n % 5}",
                created_at=SAME_MOMENT if n < 12 else SAME_MOMENT + timedelta(days=n),
                is_public=n % 2 == 0,
                image=f"{n}.png" if n % 4 == 0 else None,
            )
        )
    return made


def every_page(session: Session, actor: User, filters: ItemFilter, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = item_moderation.list_items(
            session=session, actor=actor, filters=filters, cursor=cursor, limit=limit
        )
        seen += [item.id for item in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("order", list(ItemOrder))
def test_each_order_pages_through_every_item_once(
    session: Session, moderator: User, many_items: list[Item], order: ItemOrder
) -> None:
    rows = session.scalars(select(Item)).all()
    if order is ItemOrder.NEWEST:
        expected = sorted(rows, key=lambda i: (i.created_at, i.id), reverse=True)
    elif order is ItemOrder.OLDEST:
        expected = sorted(rows, key=lambda i: (i.created_at, i.id))
    else:
        expected = sorted(rows, key=lambda i: (i.title, i.id))
    seen = every_page(session, moderator, ItemFilter(order=order), limit=4)
    assert seen == [item.id for item in expected]


def test_filters_narrow_the_list_as_the_orm_does(
    session: Session, moderator: User, many_items: list[Item]
) -> None:
    rows = session.scalars(select(Item)).all()
    first_day = (SAME_MOMENT + timedelta(days=14)).date()
    last_day = (SAME_MOMENT + timedelta(days=18)).date()
    filters = ItemFilter(
        owner="ANN", is_public=True, has_image=True, created_from=date(2026, 11, 1)
    )
    expected = [
        i.id for i in rows if i.owner.username == "ann" and i.is_public and i.image is not None
    ]
    assert sorted(every_page(session, moderator, filters, limit=3)) == sorted(expected)
    in_range = ItemFilter(created_from=first_day, created_to=last_day, has_image=False)
    expected = [
        i.id for i in rows if first_day <= i.created_at.date() <= last_day and i.image is None
    ]
    assert sorted(every_page(session, moderator, in_range, limit=2)) == sorted(expected)
    assert every_page(session, moderator, ItemFilter(owner="nobody"), limit=5) == []


def test_words_find_items_through_the_full_text_index(session: Session, moderator: User) -> None:
    wanted = ItemFactory(title="Brass desk lamp", is_public=False)
    ItemFactory(title="Oak table")
    found = every_page(session, moderator, ItemFilter(q="lamp"), limit=5)
    assert found == [wanted.id]


def test_a_forged_cursor_is_refused(session: Session, moderator: User) -> None:
    for order, cursor in [(ItemOrder.TITLE, "12_!!"), (ItemOrder.NEWEST, "not-a-cursor")]:
        with pytest.raises(InvalidInput):
            item_moderation.list_items(
                session=session, actor=moderator, filters=ItemFilter(order=order), cursor=cursor
            )


def test_unpublishing_audits_each_item_it_changes(
    session: Session, moderator: User, many_items: list[Item]
) -> None:
    public = [i.id for i in many_items if i.is_public][:3]
    private = next(i.id for i in many_items if not i.is_public)
    changed = item_moderation.unpublish(
        session=session, actor=moderator, item_ids=[*public, private], remote_addr="10.0.0.9"
    )
    session.commit()
    assert changed == 3
    assert not any(session.get(Item, i).is_public for i in public)  # type: ignore[union-attr]
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "item.unpublish"))
    assert sorted((e.target, e.actor_id, e.remote_addr) for e in events) == sorted(
        (f"item:{i}", moderator.id, "10.0.0.9") for i in public
    )


def test_plain_users_can_neither_list_nor_unpublish(session: Session) -> None:
    user = UserFactory()
    item = ItemFactory()
    with pytest.raises(PermissionDenied):
        item_moderation.list_items(session=session, actor=user, filters=ItemFilter())
    with pytest.raises(PermissionDenied):
        item_moderation.unpublish(session=session, actor=user, item_ids=[item.id])
