"""Full-text search that never chokes on hostile input, and cursors that never skip or repeat."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from osnova.errors import InvalidInput
from osnova.models import Item, Role, User
from osnova.schemas import ItemUpdate
from osnova.services import cursors, item_moderation, items, search
from osnova.services.item_moderation import ItemFilter
from tests.support.factories import ItemFactory, UserFactory

TITLES = [
    "100% cotton shirt",
    "snake_case names",
    'a "quoted" word',
    "star * shaped lamp",
    "Книга про Київ",
    "Old map of Lviv",
    "or 1 equals 1",
]


def found(session: Session, q: str) -> set[str]:
    return {item.title for item in items.list_items(session=session, actor=None, q=q).items}


@pytest.fixture
def catalogue(session: Session) -> None:
    owner = UserFactory()
    for title in TITLES:
        ItemFactory(owner=owner, title=title, description="", is_public=True)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", set()),
        ("_", set()),
        ("' OR 1=1--", {"or 1 equals 1"}),
        ('"', set()),
        ("*", set()),
        ('"quoted', {'a "quoted" word'}),
        ("cotton", {"100% cotton shirt"}),
        ("книга", {"Книга про Київ"}),
        ("Київ", {"Книга про Київ"}),
        ("КИЇВ книга", {"Книга про Київ"}),
        ("lviv map", {"Old map of Lviv"}),
        ("lviv cotton", set()),
        ("x\x00y", set()),
    ],
)
def test_search_returns_only_matching_rows_for_any_input(
    session: Session, backend: str, q: str, expected: set[str]
) -> None:
    if backend == "mariadb" and q == "' OR 1=1--":
        expected = set()  # InnoDB does not index words under three letters ("or", "1")
    assert found(session, q) == expected


def test_search_follows_updates_and_deletions(session: Session) -> None:
    item = ItemFactory(title="Brass compass", description="", is_public=True)
    assert found(session, "compass") == {"Brass compass"}
    items.update_item(
        session=session, actor=item.owner, item_id=item.id, data=ItemUpdate(title="Brass kettle")
    )
    session.commit()
    assert found(session, "compass") == set()
    assert found(session, "kettle") == {"Brass kettle"}
    items.delete_item(session=session, actor=item.owner, item_id=item.id)
    session.commit()
    assert found(session, "kettle") == set()


def test_search_looks_at_descriptions_too(session: Session) -> None:
    ItemFactory(title="Lamp", description="Made of green glass", is_public=True)
    assert found(session, "glass") == {"Lamp"}


def add_items(session: Session, owner: User, count: int, start: datetime, prefix: str) -> None:
    """Many rows in one statement; some share a timestamp so ties are broken by id."""
    rows = [
        {
            "owner_id": owner.id,
            "title": f"{prefix} {n}",
            "description": "",
            "is_public": True,
            "created_at": start + timedelta(milliseconds=n // 3),
            "updated_at": start,
        }
        for n in range(count)
    ]
    session.execute(insert(Item), rows)
    session.commit()


def test_walking_every_cursor_returns_each_item_once_while_items_are_added(
    session: Session,
) -> None:
    owner = UserFactory()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    add_items(session, owner, 10_000, start, "first")
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = items.list_items(session=session, actor=None, cursor=cursor, limit=100)
        seen.extend(item.title for item in page.items)
        pages += 1
        if pages % 10 == 0:  # newer items arrive while someone is paging
            add_items(session, owner, 25, datetime.now(UTC), f"late {pages}")
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    first = [title for title in seen if title.startswith("first ")]
    assert len(first) == 10_000
    assert len(set(first)) == 10_000
    assert not [title for title in seen if title.startswith("late ")]


def test_items_sharing_a_timestamp_page_in_id_order_without_gaps(session: Session) -> None:
    """An import gives thousands of items one timestamp: the cursor's two-part query must
    walk them newest id first, then go on to older timestamps, exactly as one sort would."""
    owner = UserFactory()
    same = datetime(2026, 3, 1, tzinfo=UTC)
    moments = [same + timedelta(seconds=1), *[same] * 45, same - timedelta(seconds=1)]
    rows = [
        {"owner_id": owner.id, "title": f"{n}", "description": "", "is_public": True}
        | {"created_at": moment, "updated_at": moment}
        for n, moment in enumerate(moments)
    ]
    session.execute(insert(Item), rows)
    session.commit()
    expected = [
        title
        for (title,) in session.execute(
            select(Item.title).order_by(Item.created_at.desc(), Item.id.desc())
        )
    ]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = items.list_items(session=session, actor=None, cursor=cursor, limit=7)
        seen.extend(item.title for item in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert seen[0] == "0"  # the newer one
    assert seen[1:46] == [str(n) for n in range(45, 0, -1)]  # the tie, newest id first
    assert seen[-1] == "46"  # the older one


def test_a_total_is_counted_only_when_asked(session: Session) -> None:
    owner = UserFactory()
    add_items(session, owner, 30, datetime(2026, 1, 1, tzinfo=UTC), "row")
    assert items.list_items(session=session, actor=None, limit=5).total is None
    page = items.list_items(session=session, actor=None, limit=5, include_total=True)
    assert (len(page.items), page.total) == (5, 30)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "x" * 500,
        "MjAyNi0wMS0wMVQwMDowMDowMHwtNQ",
        "1795521600000000",
        "_41",
        "17955216000000000_41",
        "1795521600000000_-41",
        "1795521600000000_41\n",
        "\uff11_\uff11",
    ],
)
def test_a_malformed_cursor_is_invalid_input(session: Session, cursor: str) -> None:
    ItemFactory(is_public=True)
    if not cursor:  # an empty cursor means "from the start"
        assert items.list_items(session=session, actor=None, cursor=cursor).items
        return
    with pytest.raises(InvalidInput) as caught:
        items.list_items(session=session, actor=None, cursor=cursor)
    assert caught.value.errors[0].field == "cursor"


@pytest.mark.parametrize(
    ("cursor", "listed"),
    [
        ("9999999999999999_9999999999999999999", ["2026", "2025"]),  # 2286, beyond any id
        ("1767225600000000_0", ["2025"]),  # 2026-01-01T00:00:00Z
        ("0_1", []),
        ("-9999999999999999_1", []),  # 1653
    ],
)
def test_every_cursor_of_the_published_shape_lists_the_rows_after_it(
    session: Session, cursor: str, listed: list[str]
) -> None:
    assert re.fullmatch(cursors.ITEM_CURSOR, cursor)
    for year in (2025, 2026):
        ItemFactory(title=str(year), is_public=True, created_at=datetime(year, 6, 1, tzinfo=UTC))
    page = items.list_items(session=session, actor=None, cursor=cursor)
    assert [item.title for item in page.items] == listed


def test_a_cursor_is_the_timestamp_in_microseconds_and_the_id(session: Session) -> None:
    owner = UserFactory()
    add_items(session, owner, 3, datetime(2026, 11, 24, 12, tzinfo=UTC), "row")
    page = items.list_items(session=session, actor=None, limit=2)
    last = page.items[-1]
    assert page.next_cursor == f"1795521600{last.created_at.microsecond:06d}_{last.id}"
    assert re.fullmatch(cursors.ITEM_CURSOR, page.next_cursor)


def test_the_page_size_is_kept_between_1_and_100(session: Session) -> None:
    owner = UserFactory()
    add_items(session, owner, 120, datetime(2026, 1, 1, tzinfo=UTC), "row")
    assert len(items.list_items(session=session, actor=None, limit=1000).items) == 100
    assert len(items.list_items(session=session, actor=None, limit=0).items) == 1


def walk(list_page: Callable[[str | None], tuple[list[str], str | None]]) -> list[str]:
    """Every title a list gives, following its cursors to the end."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        titles, cursor = list_page(cursor)
        seen += titles
        if cursor is None:
            return seen


@pytest.mark.parametrize("cap", [10_000, 3], ids=["few-matches", "many-matches"])
def test_a_search_lists_the_same_pages_whether_its_matches_are_few_or_many(
    session: Session, backend: str, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    """A search starts from its matches when they are few and walks the list's order when they
    are many; the cap between the two is lowered here so both ways run, and must agree with one
    sort of the matching rows: public list, one owner's list, and the moderators' list."""
    for dialect in search.MANY_MATCHES:
        monkeypatch.setitem(search.MANY_MATCHES, dialect, cap)
    owner, other = UserFactory(), UserFactory()
    gone = UserFactory(is_active=False)
    moderator = UserFactory(role=Role.MODERATOR)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    rows = [
        {
            "owner_id": (owner, other, gone)[n % 3].id,
            "title": f"{'brass lamp' if n % 4 else 'oak chair'} {n}",
            "description": "",
            "is_public": n % 5 != 0,
            "created_at": start + timedelta(seconds=n // 4),  # ties, broken by id
            "updated_at": start,
        }
        for n in range(60)
    ]
    session.execute(insert(Item), rows)
    session.commit()
    expected = {
        how: [
            title
            for (title,) in session.execute(
                select(Item.title)
                .join(Item.owner)
                .where(Item.title.contains("lamp"), condition)
                .order_by(Item.created_at.desc(), Item.id.desc())
            )
        ]
        for how, condition in {
            "public": Item.is_public.is_(True) & User.is_active.is_(True),
            "owner": Item.owner_id == owner.id,
            "all": Item.id > 0,
        }.items()
    }
    if backend != "mariadb":  # MariaDB always starts from its FULLTEXT index
        frequency = search.how_many(session, backend, search.match_text("lamp", backend) or "")
        assert frequency is (search.Matching.MANY if cap == 3 else search.Matching.FEW)

    def public(cursor: str | None) -> tuple[list[str], str | None]:
        page = items.list_items(session=session, actor=None, q="lamp", cursor=cursor, limit=7)
        return [item.title for item in page.items], page.next_cursor

    def owners(cursor: str | None) -> tuple[list[str], str | None]:
        page = items.list_items(
            session=session, actor=owner, q="lamp", owner=owner.username, cursor=cursor, limit=4
        )
        return [item.title for item in page.items], page.next_cursor

    def moderators(cursor: str | None) -> tuple[list[str], str | None]:
        page = item_moderation.list_items(
            session=session, actor=moderator, filters=ItemFilter(q="lamp"), cursor=cursor, limit=6
        )
        return [item.title for item in page.items], page.next_cursor

    assert walk(public) == expected["public"]
    assert walk(owners) == expected["owner"]
    assert walk(moderators) == expected["all"]
    total = items.list_items(session=session, actor=None, q="lamp", include_total=True).total
    assert total == len(expected["public"])
