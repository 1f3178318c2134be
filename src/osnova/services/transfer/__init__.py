"""Bulk import and export of users and items: CSV, JSON and JSON Lines, streamed both ways.

Doors call ``import_rows(kind=…)`` with an open binary stream and get an ``ImportReport``;
``export_rows(kind=…)`` returns an iterator of bytes to write to a file or an HTTP response;
``choose_format`` tells the format from what the caller gave. See docs/import-export.md.
"""

from osnova.services.transfer.formats import Format, choose_format, count_rows
from osnova.services.transfer.kinds import (
    KINDS,
    Kind,
    export_rows,
    import_rows,
    require_may_import,
)
from osnova.services.transfer.report import ImportReport, OnConflict, RowError

__all__ = [
    "KINDS",
    "Format",
    "ImportReport",
    "Kind",
    "OnConflict",
    "RowError",
    "choose_format",
    "count_rows",
    "export_rows",
    "import_rows",
    "require_may_import",
]
