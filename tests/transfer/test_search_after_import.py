"""Imported rows are found by the searches at once, whichever way the import wrote them, rows
written after an import too, and a refused import leaves the searches as they were."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from osnova.models import User
from osnova.services import account_list, items
from osnova.services.account_list import AccountFilter
from osnova.services.transfer import OnConflict
from tests.support.factories import ItemFactory, UserFactory
from tests.transfer.helpers import import_text

USERS = (
    "email,username,is_active,role,full_name\r\n"
    "wren@example.org,wren,true,user,Wren Quillfeather\r\n"
    "olha@example.org,olha,true,user,Ольга Гайдамака\r\n"
)
ITEMS = "owner,title,description,is_public,external_id\nwren,Brass astrolabe,old,true,\n"


def accounts_found(session: Session, admin: User, q: str) -> list[str]:
    page = account_list.list_accounts(session=session, actor=admin, filters=AccountFilter(q=q))
    return sorted(account.username for account in page.accounts)


def titles_found(session: Session, q: str) -> list[str]:
    return [item.title for item in items.list_items(session=session, actor=None, q=q).items]


# ERROR takes the direct load (rows straight into the table), SKIP the staged import.
@pytest.mark.parametrize("on_conflict", [OnConflict.ERROR, OnConflict.SKIP])
def test_imported_accounts_and_items_are_found_and_later_ones_too(
    session: Session, on_conflict: OnConflict
) -> None:
    admin = UserFactory(role="admin")
    assert import_text(session, "users", USERS, on_conflict=on_conflict).created == 2
    assert import_text(session, "items", ITEMS, on_conflict=on_conflict).created == 1
    assert accounts_found(session, admin, "quillfeather") == ["wren"]
    assert accounts_found(session, admin, "гайдамака") == ["olha"]
    assert titles_found(session, "astrolabe") == ["Brass astrolabe"]
    # Rows written after an import are indexed as they are written.
    UserFactory(username="later", full_name="Zephyr Latecomer")
    ItemFactory(title="Copper sextant", is_public=True)
    session.commit()
    assert accounts_found(session, admin, "latecomer") == ["later"]
    assert titles_found(session, "sextant") == ["Copper sextant"]


@pytest.mark.parametrize("on_conflict", [OnConflict.ERROR, OnConflict.SKIP])
def test_a_refused_import_leaves_the_searches_as_they_were(
    session: Session, on_conflict: OnConflict
) -> None:
    admin = UserFactory(role="admin")
    broken = USERS + "nobody,not-an-email,true,user,Nobody Anywhere\r\n"
    assert not import_text(session, "users", broken, on_conflict=on_conflict).ok
    assert accounts_found(session, admin, "quillfeather") == []
    UserFactory(username="after", full_name="Wren Quillfeather")
    session.commit()
    assert accounts_found(session, admin, "quillfeather") == ["after"]
