"""Opaque keyset cursors: "continue after (created_at, id)", newest first.

A cursor is the base64url of the last row's timestamp and id. It carries no secret (it only
narrows a list the caller may read anyway), so it is not signed, but anything that does not
decode to a valid position is refused as invalid input rather than crashing a query.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from osnova.database import MAX_ROW_ID
from osnova.errors import FieldError, InvalidInput
from osnova.i18n import N_

MAX_CURSOR_LENGTH = 128
INVALID_CURSOR = N_("This is not a valid cursor; use next_cursor from the previous page.")


@dataclass(frozen=True)
class Position:
    created_at: datetime
    id: int


def encode(created_at: datetime, row_id: int) -> str:
    raw = f"{created_at.astimezone(UTC).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> Position:
    """The position in ``cursor``; InvalidInput when it was not made by ``encode``."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError(cursor)
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, row_id = raw.split("|")
        created_at = datetime.fromisoformat(stamp)
        position = Position(created_at, int(row_id))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput([FieldError("cursor", INVALID_CURSOR)], INVALID_CURSOR) from None
    if created_at.tzinfo is None or not 0 < position.id <= MAX_ROW_ID:
        raise InvalidInput([FieldError("cursor", INVALID_CURSOR)], INVALID_CURSOR)
    return position


def encode_key(key: str) -> str:
    """An opaque cursor for a list ordered by a unique text key (usernames)."""
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_key(cursor: str, pattern: re.Pattern[str]) -> str:
    """The key in ``cursor``; InvalidInput unless it decodes to text matching ``pattern``."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError(cursor)
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput([FieldError("cursor", INVALID_CURSOR)], INVALID_CURSOR) from None
    if not pattern.fullmatch(key):
        raise InvalidInput([FieldError("cursor", INVALID_CURSOR)], INVALID_CURSOR)
    return key
