"""Importing items: owners, external ids, and what a non-admin may do."""

from __future__ import annotations

from sqlalchemy.orm import Session

from osnova.models import Role
from osnova.services.transfer import Format, OnConflict
from tests.support.factories import ItemFactory, UserFactory
from tests.transfer.helpers import (
    NEW_KEY,
    errors_of,
    import_text,
    items_table,
    with_new_keys_named,
)

ITEMS = (
    "owner,title,description,is_public,external_id\n"
    "ann,Lamp,A desk lamp,true,ext-1\n"
    "bob,Chair,,false,\n"
)


def test_admin_imports_items_for_their_owners(session: Session) -> None:
    UserFactory(username="ann")
    UserFactory(username="bob")
    report = import_text(session, "items", ITEMS)
    assert report.ok, report.errors
    assert with_new_keys_named(items_table(session)) == [
        (NEW_KEY, "Chair", "", False, "bob"),
        ("ext-1", "Lamp", "A desk lamp", True, "ann"),
    ]


def test_an_unknown_owner_is_a_row_error(session: Session) -> None:
    UserFactory(username="ann")
    report = import_text(session, "items", ITEMS)
    assert errors_of(report) == [(3, "owner")]
    assert "bob" in report.errors[0].message
    assert items_table(session) == []


def test_external_id_conflicts(session: Session) -> None:
    ann = UserFactory(username="ann")
    UserFactory(username="bob")
    ItemFactory(owner=ann, title="Old lamp", external_id="ext-1")
    report = import_text(session, "items", ITEMS)
    assert errors_of(report) == [(2, "external_id")]
    report = import_text(session, "items", ITEMS, on_conflict=OnConflict.SKIP)
    assert (report.created, report.skipped) == (1, 1)
    assert [row[1] for row in items_table(session)] == ["Chair", "Old lamp"]
    report = import_text(session, "items", ITEMS, on_conflict=OnConflict.UPDATE)
    assert (report.created, report.updated) == (1, 1)
    assert [row[1] for row in items_table(session)] == ["Chair", "Chair", "Lamp"]


def test_duplicate_external_ids_in_one_file(session: Session) -> None:
    UserFactory(username="ann")
    content = "owner,title,external_id\nann,A,x\nann,B,y\nann,C,x\n"
    report = import_text(session, "items", content)
    assert errors_of(report) == [(4, "external_id")]
    assert "line 2" in report.errors[0].message
    assert items_table(session) == []


def test_a_user_imports_items_as_their_own(session: Session) -> None:
    ann = UserFactory(username="ann", role=Role.USER.value)
    report = import_text(
        session, "items", '{"title": "Mine", "is_public": true}\n', Format.JSONL, actor=ann
    )
    assert report.ok, report.errors
    assert with_new_keys_named(items_table(session)) == [(NEW_KEY, "Mine", "", True, "ann")]


def test_a_user_may_not_name_an_owner_or_an_id(session: Session) -> None:
    ann = UserFactory(username="ann", role=Role.USER.value)
    for column in ("owner", "id"):
        report = import_text(session, "items", f"title,{column}\nMine,ann\n", actor=ann)
        assert errors_of(report) == [(1, column)]
    assert items_table(session) == []


def test_a_user_may_not_update_someone_elses_item(session: Session) -> None:
    ann = UserFactory(username="ann", role=Role.USER.value)
    bob = UserFactory(username="bob")
    ItemFactory(owner=bob, title="Bob's", external_id="shared")
    report = import_text(
        session,
        "items",
        "title,external_id\nMine,shared\n",
        actor=ann,
        on_conflict=OnConflict.UPDATE,
    )
    assert errors_of(report) == [(2, "external_id")]
    assert [row[1] for row in items_table(session)] == ["Bob's"]
