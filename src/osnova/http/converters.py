"""URL converters both doors' routes use.

``<id:…>`` matches only ids a row can have (1 to ``MAX_ROW_ID``, the range of the id columns
on every database), so a larger number is a 404 from the router instead of an overflow in the
database driver (a 500).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from osnova.database import MAX_ROW_ID


class RowIdConverter(IntegerConverter):
    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)


def register_converters(app: Flask) -> None:
    app.url_map.converters["id"] = RowIdConverter
