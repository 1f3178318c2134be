"""Keyset pages over any list ordered by (key, id): the query half of ``cursors``.

A page never skips rows with OFFSET: it starts after the last row seen, so page 5,000 costs
what page 1 costs. The page after a position is the union of two index seeks (the rows that
share the position's key with a further id, then the rows with a further key), for the reason
``items._after`` gives: one ``key < k OR (key = k AND id < i)`` is not one range for SQLite's
planner, which then walks every row sharing the key.

Text keys (a title) travel in a cursor of their own shape: ``<id>_<base64url of the key>``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, union_all
from sqlalchemy.orm import InstrumentedAttribute, Session

from osnova.database import MAX_ROW_ID
from osnova.errors import FieldError, InvalidInput
from osnova.services.cursors import INVALID_CURSOR

MAX_TEXT_CURSOR = 1_200
_TEXT_CURSOR = re.compile(r"([0-9]{1,19})_([A-Za-z0-9_-]*)")


@dataclass(frozen=True)
class Order:
    """A list's order: ``key`` then ``id``, both selected under the labels given."""

    key: InstrumentedAttribute[Any]
    id: InstrumentedAttribute[Any]
    key_label: str
    id_label: str
    descending: bool = True


def fetch_page(
    session: Session,
    query: Select[*tuple[Any, ...]],
    order: Order,
    *,
    after: tuple[Any, int] | None,
    limit: int,
) -> tuple[Sequence[Row[Any]], tuple[Any, int] | None]:
    """Up to ``limit`` rows of ``query`` in ``order`` after the position ``after`` (a key and
    an id), and the position to continue from (None on the last page)."""
    rows = session.connection().execute(_after(query, order, after, limit + 1)).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]._mapping
    return rows[:limit], (last[order.key_label], last[order.id_label])


def _after(
    query: Select[*tuple[Any, ...]], order: Order, after: tuple[Any, int] | None, limit: int
) -> Select[*tuple[Any, ...]]:
    direction = (order.key.desc(), order.id.desc()) if order.descending else (order.key, order.id)
    if after is None:
        return query.order_by(*direction).limit(limit)
    key, row_id = after
    if order.descending:
        parts = (query.where(order.key == key, order.id < row_id), query.where(order.key < key))
    else:
        parts = (query.where(order.key == key, order.id > row_id), query.where(order.key > key))
    both = union_all(
        *(part.order_by(*direction).limit(limit).subquery().select() for part in parts)
    ).subquery()
    key_column, id_column = both.c[order.key_label], both.c[order.id_label]
    outer = (key_column.desc(), id_column.desc()) if order.descending else (key_column, id_column)
    return both.select().order_by(*outer).limit(limit)


def invalid_cursor() -> InvalidInput:
    return InvalidInput([FieldError("cursor", INVALID_CURSOR)], INVALID_CURSOR)


def encode_text(key: str, row_id: int) -> str:
    """A cursor for a list ordered by a text key and id."""
    encoded = base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")
    return f"{row_id}_{encoded}"


def decode_text(cursor: str) -> tuple[str, int]:
    """The key and id of a cursor made by ``encode_text``; InvalidInput for anything else."""
    found = _TEXT_CURSOR.fullmatch(cursor) if len(cursor) <= MAX_TEXT_CURSOR else None
    if found is None:
        raise invalid_cursor()
    encoded = found[2]
    try:
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise invalid_cursor() from None
    row_id = int(found[1])
    if not 0 < row_id <= MAX_ROW_ID or "\x00" in key:
        raise invalid_cursor()
    return key, row_id
