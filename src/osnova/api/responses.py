"""JSON bodies written straight with orjson, for the views that answer most often.

The same shape the output models describe (timestamps in RFC 3339 with ``Z``), without
building a pydantic model per row first.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response

JSON_OPTIONS = orjson.OPT_UTC_Z


def json_response(body: Any, status: int = 200, *, sorted_keys: bool = False) -> Response:
    """``sorted_keys`` as Flask writes the other answers: one object reads the same whichever
    view wrote it."""
    options = JSON_OPTIONS | orjson.OPT_SORT_KEYS if sorted_keys else JSON_OPTIONS
    return Response(orjson.dumps(body, option=options), status, mimetype="application/json")
