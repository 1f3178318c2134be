"""Bulk import and export over HTTP: the same service as ``osnova import``/``osnova export``.

Imports take the file as the raw body or as the ``file`` field of a multipart form, up to
the app's request size limit; they answer with the report (200), or with a problem naming
each bad line and column, in which case nothing was written: 409 when the only problem is
rows that clash with stored data, else 422. Exports stream: the first rows leave while
later ones are still being read from the database.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import IO, Literal

from apiflask import APIBlueprint
from flask import Response, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict
from werkzeug.datastructures import FileStorage

from osnova.api.auth import authenticate_request, require_caller
from osnova.api.docs import DOWNLOAD, UPLOAD, responses
from osnova.errors import FieldError, InvalidInput
from osnova.extensions import db
from osnova.http.downloads import export_download
from osnova.http.errors import import_refusal_status
from osnova.http.problems import problem
from osnova.services import transfer
from osnova.services.transfer import KINDS, Format, OnConflict

bp = APIBlueprint("transfer", __name__, url_prefix="/api/v1", tag="Import and export")

KIND = f"<any({', '.join(KINDS)}):kind>"
SPOOL_IN_MEMORY_BYTES = 1_048_576
NO_FORMAT = "Say the format with ?format=csv|json|jsonl (it could not be told from the upload)."


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["csv", "json", "jsonl"] = "csv"


class ImportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["csv", "json", "jsonl"] | None = None
    dry_run: bool = False
    on_conflict: Literal["error", "skip", "update"] = "error"


@bp.before_request
def _before() -> None:
    # Uploads are files, not JSON: the app-wide size limit applies, then the usual caller.
    request.max_content_length = current_app.config["MAX_CONTENT_LENGTH"]
    authenticate_request()


def _upload(query: ImportQuery) -> tuple[IO[bytes], Format]:
    upload = request.files.get("file")
    fmt = _format_of(query, upload)
    return (upload.stream if upload is not None else _readable_twice(request.stream)), fmt


def _format_of(query: ImportQuery, upload: FileStorage | None) -> Format:
    fmt = transfer.choose_format(
        given=query.format,
        filename=upload.filename if upload is not None else None,
        media_type=upload.mimetype if upload is not None else request.mimetype,
    )
    if fmt is None:
        raise InvalidInput([FieldError("format", NO_FORMAT)], NO_FORMAT)
    return fmt


def _readable_twice(stream: IO[bytes]) -> IO[bytes]:
    """A copy of a raw body (which can be read only once), so that the import can take its
    direct path and still read the file again to explain a problem; multipart files are
    spooled by Werkzeug already. The size limit applies while copying."""
    copy: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    try:
        shutil.copyfileobj(stream, copy)
    except BaseException:  # a body over the size limit ends here: 413
        copy.close()
        raise
    copy.seek(0)
    return copy


@bp.post(f"/imports/{KIND}")
@bp.input(ImportQuery, location="query", arg_name="query")
@bp.doc(
    summary="Import users or items from CSV, JSON or JSON Lines",
    operation_id="importRows",
    description="The file is JSON rows, the `file` field of a multipart form, or a raw body "
    "(its format from `format`, else its media type: `text/csv`, `application/jsonl`). All "
    "rows or none: a 422 lists the bad lines and nothing is written; a 409 when the only "
    "problem is rows that clash with stored data. `dry_run=true` checks without writing. "
    "Users: admins only; items: admins, or anyone for their own items.",
    responses=responses(200, 400, 401, 403, 409, 413, 415, 422, 429),
    extensions=UPLOAD,
)
def import_rows(kind: str, query: ImportQuery) -> Response:
    actor = require_caller()
    stream, fmt = _upload(query)
    with stream:
        report = transfer.import_rows(
            kind=kind,
            session=db.session(),
            actor=actor,
            stream=stream,
            fmt=fmt,
            on_conflict=OnConflict(query.on_conflict),
            dry_run=query.dry_run,
        )
    db.session.commit()
    if not report.ok:
        errors = [
            FieldError(f"line {e.line}" + (f", {e.column}" if e.column else ""), e.message)
            for e in report.errors
        ]
        return problem(
            import_refusal_status(report),
            f"{report.error_count} row(s) refused; nothing was imported.",
            errors,
        )
    return jsonify(report.to_dict())


@bp.get(f"/exports/{KIND}")
@bp.input(ExportQuery, location="query", arg_name="query")
@bp.doc(
    summary="Export users or items as CSV, JSON or JSON Lines",
    operation_id="exportRows",
    description="Streamed as a download. Users: admins only. Items: everyone's for admins "
    "(with an `owner` column), else the caller's own. CSV cells that a spreadsheet would "
    "run as a formula are prefixed with `'`.",
    responses=responses(200, 401, 403, 422),
    extensions=DOWNLOAD,
)
def export_rows(kind: str, query: ExportQuery) -> Response:
    actor = require_caller()
    fmt = Format(query.format)
    session = db.session()
    chunks = transfer.export_rows(kind=kind, session=session, actor=actor, fmt=fmt)
    session.commit()  # the audit event; the rows are read while the response streams
    return export_download(kind=kind, fmt=fmt, chunks=chunks, session=session)
