"""The admin's list of accounts: every order pages through every account once, ties and
accounts that never signed in included, on every database; filters narrow it as Python would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from osnova.errors import InvalidInput, PermissionDenied
from osnova.models import Role, User
from osnova.services import account_list, account_search
from osnova.services.account_list import AccountFilter, AccountOrder
from tests.support.factories import UserFactory

SAME_MOMENT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def admin(session: Session) -> User:
    return UserFactory(username="boss", role="admin", created_at=SAME_MOMENT - timedelta(days=9))


@pytest.fixture
def people(session: Session, admin: User) -> list[User]:
    """Accounts that share join and sign-in moments, as an import makes them; a third never
    signed in."""
    made = [admin]
    for n in range(17):
        made.append(
            UserFactory(
                username=f"person{n:02d}",
                full_name=f"Person Number {n}",
                role=(Role.USER, Role.MODERATOR, Role.ADMIN)[n % 3].value,
                is_active=n % 4 != 0,
                email_verified_at=SAME_MOMENT if n % 2 else None,
                created_at=SAME_MOMENT if n < 8 else SAME_MOMENT + timedelta(days=n),
                last_login_at=None if n % 3 == 0 else SAME_MOMENT + timedelta(hours=n % 5),
            )
        )
    return made


def every_page(session: Session, actor: User, filters: AccountFilter, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = account_list.list_accounts(
            session=session, actor=actor, filters=filters, cursor=cursor, limit=limit
        )
        seen += [account.id for account in page.accounts]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def by_last_sign_in(user: User) -> tuple[Any, ...]:
    """Latest sign-in first, then those who never signed in; newest id first among equals."""
    moment = user.last_login_at.timestamp() if user.last_login_at else 0.0
    return (user.last_login_at is None, -moment, -user.id)


EXPECTED: dict[AccountOrder, tuple[Callable[[User], Any], bool]] = {
    AccountOrder.NEWEST: (lambda u: (u.created_at, u.id), True),
    AccountOrder.OLDEST: (lambda u: (u.created_at, u.id), False),
    AccountOrder.USERNAME: (lambda u: u.username, False),
    AccountOrder.USERNAME_DESC: (lambda u: u.username, True),
    AccountOrder.LAST_SIGN_IN: (by_last_sign_in, False),
}


@pytest.mark.parametrize("order", list(AccountOrder))
@pytest.mark.parametrize("limit", [1, 4, 6])
def test_each_order_pages_through_every_account_once(
    session: Session, admin: User, people: list[User], order: AccountOrder, limit: int
) -> None:
    listed = every_page(session, admin, AccountFilter(order=order), limit)
    key, reverse = EXPECTED[order]
    assert listed == [u.id for u in sorted(people, key=key, reverse=reverse)]


def test_filters_narrow_the_list_as_their_names_say(
    session: Session, admin: User, people: list[User]
) -> None:
    def ids(**chosen: Any) -> set[int]:
        return set(every_page(session, admin, AccountFilter(**chosen), 5))

    assert ids(role=Role.MODERATOR) == {u.id for u in people if u.role == "moderator"}
    assert ids(is_active=False) == {u.id for u in people if not u.is_active}
    assert ids(verified=True) == {u.id for u in people if u.email_verified_at is not None}
    assert ids(q="NUMBER 1") == {u.id for u in people if "number 1" in u.full_name.lower()}
    assert ids(q="person07@") == {people[8].id}  # the email
    assert ids(q="%") == set()  # a wildcard is a character like any other
    person = people[8]
    across = f"{person.username[-2:]}{person.email[:2]}"  # the end of one field, the next's start
    assert ids(q=across) == set()
    assert ids(q="rso_") == set()  # so is the single-character wildcard
    assert ids(q='r "n') == set()  # and a quote, which the full-text syntax would read
    both = ids(role=Role.ADMIN, is_active=True, order=AccountOrder.LAST_SIGN_IN)
    assert both == {u.id for u in people if u.role == "admin" and u.is_active}


def test_a_forged_cursor_is_invalid_input_and_only_admins_list(
    session: Session, admin: User, people: list[User]
) -> None:
    for order in AccountOrder:
        with pytest.raises(InvalidInput):
            account_list.list_accounts(
                session=session, actor=admin, filters=AccountFilter(order=order), cursor="x_!"
            )
    with pytest.raises(PermissionDenied):
        account_list.list_accounts(session=session, actor=people[2], filters=AccountFilter())


@pytest.mark.parametrize("cap", [1, 1_000])
@pytest.mark.parametrize("order", list(AccountOrder))
def test_a_search_lists_the_same_pages_whether_its_matches_are_few_or_many(
    *,
    session: Session,
    admin: User,
    people: list[User],
    monkeypatch: pytest.MonkeyPatch,
    order: AccountOrder,
    cap: int,
) -> None:
    """Few matches are fetched through the trigram index, many by walking the order; the cap
    between the two is lowered here so both ways run, and both list what Python finds."""
    monkeypatch.setattr(account_search, "MANY_MATCHES", cap)
    listed = every_page(session, admin, AccountFilter(q="number 1", order=order), 2)
    key, reverse = EXPECTED[order]
    found = [u for u in people if "number 1" in u.full_name.lower()]
    assert listed == [u.id for u in sorted(found, key=key, reverse=reverse)]


def test_the_search_follows_renames_and_deletions_and_folds_case_in_every_script(
    session: Session, admin: User
) -> None:
    def found(q: str) -> list[str]:
        page = account_list.list_accounts(session=session, actor=admin, filters=AccountFilter(q=q))
        return [account.username for account in page.accounts]

    olena = UserFactory(username="olena", full_name="Олена Ковальчук")
    assert found("ковальчук") == ["olena"]
    olena.full_name = "Олена Шевчук"
    olena.username = "olena_s"
    session.commit()
    assert found("ковальчук") == []
    assert found("шевчук") == ["olena_s"]
    assert found("lena_") == ["olena_s"]
    session.delete(olena)
    session.commit()
    assert found("шевчук") == []
