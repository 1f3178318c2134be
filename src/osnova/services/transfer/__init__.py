"""Bulk import and export of users and items: CSV, JSON and JSON Lines, streamed both ways.

Doors call ``import_users``/``import_items`` with an open binary stream and get an
``ImportReport``; ``export_users``/``export_items`` return an iterator of bytes to write to a
file or an HTTP response. See docs/import-export.md.
"""

from osnova.services.transfer.formats import Format, format_of_filename
from osnova.services.transfer.items import export_items, import_items
from osnova.services.transfer.report import ImportReport, OnConflict, RowError
from osnova.services.transfer.users import export_users, import_users

__all__ = [
    "Format",
    "ImportReport",
    "OnConflict",
    "RowError",
    "export_items",
    "export_users",
    "format_of_filename",
    "import_items",
    "import_users",
]
