"""Keyset cursors: "continue after this row" in a list's order.

An item cursor is the last row's timestamp in microseconds since 1970 and its id,
``1795953600000000_41``; an account cursor is the last username. A cursor carries no secret
(it only narrows a list the caller may read anyway), so it is plain text, and its shape is a
pattern the OpenAPI document publishes. Every string of that shape is a position the server
accepts, so a client or a fuzzer that follows the document is never refused; anything else
is invalid input rather than a crashed query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from osnova.database import MAX_ROW_ID
from osnova.errors import FieldError, InvalidInput
from osnova.i18n import N_
from osnova.models import USERNAME_CHARSET, USERNAME_MAX, USERNAME_MIN

# The published shapes; an empty cursor means "from the start". Sixteen digits of
# microseconds reach from 1653 to 2286, inside what every database stores.
ITEM_CURSOR = r"^(?:-?[0-9]{1,16}_[0-9]{1,19})?$"
# Accounts are listed by username, which is unique: the last one seen is the position.
USER_CURSOR = f"^(?:[{USERNAME_CHARSET}]{{{USERNAME_MIN},{USERNAME_MAX}}})?$"
INVALID_CURSOR = N_("This is not a valid cursor; use next_cursor from the previous page.")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ITEM_CURSOR = re.compile(r"(-?[0-9]{1,16})_([0-9]{1,19})")


@dataclass(frozen=True)
class Position:
    created_at: datetime
    id: int


def encode(created_at: datetime, row_id: int) -> str:
    micros = (created_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{row_id}"


def decode(cursor: str) -> Position:
    """The position in ``cursor``; InvalidInput unless it has the published shape.

    An id beyond the column's range comes after every row, as the largest id does.
    """
    found = _ITEM_CURSOR.fullmatch(cursor)
    if found is None:
        raise InvalidInput([FieldError("cursor", INVALID_CURSOR)], INVALID_CURSOR)
    created_at = EPOCH + timedelta(microseconds=int(found[1]))
    return Position(created_at, min(int(found[2]), MAX_ROW_ID))
