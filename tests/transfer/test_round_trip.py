"""An export re-imports to identical data, in every format, on every database."""

from __future__ import annotations

import csv
import io

import orjson
import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from osnova.models import AuditEvent, Item, User
from osnova.services.transfer import Format, OnConflict
from tests.support.factories import DEFAULT_PASSWORD_HASH, ItemFactory, UserFactory
from tests.transfer.helpers import export_bytes, import_text, items_table, users_table

AWKWARD = [
    "=1+2",
    "+cmd",
    "-dash",
    "@at",
    "\ttab",
    "'quoted",
    "''=double",
    "Ünïcödé — «лапки»",
    'comma, "quote"\r\nnewline',
    "",
]


def _seed(session: Session) -> None:
    ann = UserFactory(username="ann", full_name=AWKWARD[0], role="admin")
    bob = UserFactory(username="-bob", full_name=AWKWARD[7], is_active=False, password_hash=None)
    UserFactory(username="cy.d_e", full_name=AWKWARD[8], role="moderator")
    for number, text in enumerate(AWKWARD):
        ItemFactory(
            owner=ann if number % 2 else bob,
            title=text.strip() or "plain",
            description=text,
            is_public=bool(number % 3),
            external_id=f"x-{number}" if number % 4 else None,
        )


@pytest.mark.parametrize("fmt", list(Format))
def test_users_and_items_round_trip(session: Session, fmt: Format) -> None:
    _seed(session)
    users_before, items_before = users_table(session), items_table(session)
    assert users_before[0][5] == DEFAULT_PASSWORD_HASH or users_before[0][5] is None
    users_file = export_bytes(session, "users", fmt, include_password_hashes=True)
    items_file = export_bytes(session, "items", fmt)
    for model in (AuditEvent, Item, User):
        session.execute(delete(model))
    session.commit()

    report = import_text(session, "users", users_file, fmt)
    assert report.ok, report.errors
    report = import_text(session, "items", items_file, fmt)
    assert report.ok, report.errors
    assert users_table(session) == users_before
    assert items_table(session) == items_before


@pytest.mark.parametrize("fmt", list(Format))
def test_reimporting_an_export_with_update_changes_nothing(session: Session, fmt: Format) -> None:
    _seed(session)
    users_before, items_before = users_table(session), items_table(session)
    users_file = export_bytes(session, "users", fmt, include_password_hashes=True)
    report = import_text(session, "users", users_file, fmt, on_conflict=OnConflict.UPDATE)
    assert (report.ok, report.updated, report.created) == (True, 3, 0)
    assert users_table(session) == users_before
    assert items_table(session) == items_before


def test_exports_leave_password_hashes_out_unless_asked(session: Session) -> None:
    UserFactory(username="ann")
    assert b"argon2" not in export_bytes(session, "users", Format.CSV)
    assert b"argon2" in export_bytes(session, "users", Format.CSV, include_password_hashes=True)


def test_a_user_exports_only_their_own_items(session: Session) -> None:
    ann = UserFactory(username="ann", role="user")
    mine = ItemFactory(owner=ann, title="Mine")
    ItemFactory(title="Theirs")
    exported = export_bytes(session, "items", Format.JSONL, actor=ann)
    assert orjson.loads(exported) == {
        "external_id": mine.external_id,
        "title": "Mine",
        "description": "A thing worth sharing.",
        "is_public": True,
    }


def test_a_users_csv_export_of_items_re_imports_as_theirs(session: Session) -> None:
    ann = UserFactory(username="ann", role="user")
    ItemFactory(owner=ann, title="=Mine", external_id="m1", is_public=False)
    ItemFactory(title="Theirs")
    exported = export_bytes(session, "items", Format.CSV, actor=ann)
    # Quoting differs by database (SQLite quotes every text cell): compare the cells.
    assert list(csv.reader(io.StringIO(exported.decode()))) == [
        ["external_id", "title", "description", "is_public"],
        ["m1", "'=Mine", "A thing worth sharing.", "false"],
    ]
    report = import_text(session, "items", exported, actor=ann, on_conflict=OnConflict.UPDATE)
    assert (report.ok, report.updated) == (True, 1)
