"""Exporting items and importing the file back changes nothing: every item carries its
external_id, made when the item was, so the import matches each one instead of copying it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osnova.models import Item
from tests.support.clients import bearer, token_for
from tests.support.factories import ItemFactory, UserFactory
from tests.transfer.helpers import items_table


def count_items(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Item)) or 0


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_the_api_reimports_a_users_own_export_with_skip_and_changes_nothing(
    client: FlaskClient, session: Session, fmt: str
) -> None:
    owner = UserFactory(username="olena")
    olena = bearer(token_for(owner))
    made = client.post("/api/v1/items", json={"title": "Made through the API"}, headers=olena)
    assert made.status_code == 201
    ItemFactory(owner=owner, title="Made by a factory")
    before = items_table(session)
    export = client.get(f"/api/v1/exports/items?format={fmt}", headers=olena)
    assert export.status_code == 200
    again = client.post(
        f"/api/v1/imports/items?format={fmt}&on_conflict=skip",
        data=export.data,
        headers={**olena, "Content-Type": "application/octet-stream"},
    )
    assert again.status_code == 200, again.text
    assert (again.get_json()["created"], again.get_json()["skipped"]) == (0, 2)
    assert items_table(session) == before
    assert count_items(session) == 2


def test_the_cli_reimports_an_admin_export_with_skip_or_update_and_changes_nothing(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    for owner, title in ((ann, "Lamp"), (ann, "Chair"), (bob, "Stool")):
        ItemFactory(owner=owner, title=title)
    before = items_table(session)
    assert all(row[0] for row in before)  # every item has its key
    exported = tmp_path / "items.csv"
    result = runner.invoke(args=["export", "items", "--output", str(exported)])
    assert result.exit_code == 0, result.output
    for on_conflict, counts in (
        ("skip", "0 were created, 0 updated, 3 skipped"),
        ("update", "0 were created, 3 updated, 0 skipped"),
    ):
        result = runner.invoke(
            args=["import", "items", str(exported), "--on-conflict", on_conflict]
        )
        assert result.exit_code == 0, result.output
        assert counts in result.output
        assert items_table(session) == before
    assert count_items(session) == 3
