"""Exports as HTTP downloads: one answer for the JSON API and the admin pages alike.

The body streams, so the first rows leave while later ones are still being read; the file
name carries the kind and the day, and no cache keeps a copy of the data. The rows are read
in a transaction of their own, which ends with the body: it may outlive the request's own
clean-up, and would otherwise keep a connection (and on MariaDB its table locks) checked out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Response, stream_with_context
from sqlalchemy.orm import Session

from osnova.services.transfer import Format

CONTENT_TYPES = {
    Format.CSV: "text/csv",
    Format.JSON: "application/json",
    Format.JSONL: "application/jsonl",
}


def export_download(
    *, kind: str, fmt: Format, chunks: Iterator[bytes], session: Session
) -> Response:
    """An attachment named ``osnova-<kind>-YYYYMMDD.<format>`` whose body is ``chunks``, read
    through ``session`` (closed when the body ends)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        stream_with_context(_closing_session(chunks, session)),
        mimetype=CONTENT_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="osnova-{kind}-{stamp}.{fmt.value}"',
            "Cache-Control": "no-store",
        },
    )


def _closing_session(chunks: Iterator[bytes], session: Session) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        session.close()
