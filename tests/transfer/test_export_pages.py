"""An export read in many pages or batches keeps every row once, in id order."""

from __future__ import annotations

import csv
import io

import orjson
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from osnova.models import Item
from osnova.services.transfer import Format, exporting
from tests.support.factories import ItemFactory, UserFactory
from tests.transfer.helpers import export_bytes


@pytest.mark.parametrize("fmt", list(Format))
def test_an_export_in_small_pages_has_every_item_once_in_id_order(
    session: Session, monkeypatch: pytest.MonkeyPatch, fmt: Format
) -> None:
    monkeypatch.setattr(exporting, "SQLITE_PAGE_ROWS", 3)
    monkeypatch.setattr(exporting, "FETCH_ROWS", 3)
    owners = [UserFactory(username="ann"), UserFactory(username="bob")]
    for number in range(11):
        ItemFactory(owner=owners[number % 2], title=f"item {number:02}")
    session.execute(delete(Item).where(Item.title.in_(["item 03", "item 04"])))  # gaps in ids
    session.commit()
    expected = list(session.scalars(select(Item.title).order_by(Item.id)))

    data = export_bytes(session, "items", fmt).decode()
    if fmt is Format.CSV:
        titles = [row["title"] for row in csv.DictReader(io.StringIO(data))]
    elif fmt is Format.JSON:
        titles = [row["title"] for row in orjson.loads(data)]
    else:
        titles = [orjson.loads(line)["title"] for line in data.splitlines()]
    assert titles == expected
    assert len(titles) == 9
