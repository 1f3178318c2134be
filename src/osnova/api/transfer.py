"""Bulk import and export over HTTP: the same service as ``osnova import``/``osnova export``.

Imports take the file as the raw body or as the ``file`` field of a multipart form, up to
the app's request size limit; they answer with the report (200), or with a problem naming
each bad line and column, in which case nothing was written: 409 when the only problem is
rows that clash with stored data, else 422. A file with more rows than the caller's cap
(``OSNOVA_IMPORT_HTTP_MAX_ROWS``, more for admins) is not run in the request: it is spooled
and queued, and the answer is 202 with the job's status URL. Each account may start a few
imports a minute (``OSNOVA_IMPORTS_PER_ACCOUNT``). Exports stream: the first rows leave while
later ones are still being read from the database.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import IO, Literal

from apiflask import APIBlueprint
from flask import Response, current_app, g, jsonify, request, url_for
from pydantic import BaseModel, ConfigDict
from werkzeug.datastructures import FileStorage

from osnova.api.auth import authenticate_request, require_caller
from osnova.api.docs import DOWNLOAD, JOB_EXAMPLE, UPLOAD, responses
from osnova.api.schemas import ImportJobStatus
from osnova.errors import FieldError, InvalidInput
from osnova.extensions import current_settings, db, enqueue_job, limiter
from osnova.http.downloads import export_download
from osnova.http.errors import import_refusal_status
from osnova.http.problems import problem
from osnova.jobs import job_queue
from osnova.models import JobStatus
from osnova.observability import request_id
from osnova.services import import_jobs, transfer
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


def _imports_limit() -> str:
    return current_settings().imports_per_account


def _caller_key() -> str:
    """Imports are limited per account (per address for a caller without one, refused later)."""
    user_id = g.get("api_user_id")
    return f"imports:user:{user_id}" if user_id is not None else f"imports:ip:{request.remote_addr}"


@bp.post(f"/imports/{KIND}")
@limiter.limit(_imports_limit, key_func=_caller_key)
@bp.input(ImportQuery, location="query", arg_name="query")
@bp.doc(
    summary="Import users or items from CSV, JSON or JSON Lines",
    operation_id="importRows",
    description="The file is JSON rows, the `file` field of a multipart form, or a raw body "
    "(its format from `format`, else its media type: `text/csv`, `application/jsonl`). All "
    "rows or none: a 422 lists every problem of the file at once as `{line, column, message, "
    "conflict}` (invalid rows, values repeated in the file, clashes with stored data) and "
    "nothing is written; a 409 when the only problem is rows that clash with stored data. "
    "`dry_run=true` checks without writing. "
    "Users: admins only; items: admins, or anyone for their own items. A file with more rows "
    "than the caller's cap is queued instead: the answer is 202 with the status URL in "
    "`Location` (see `GET /imports/jobs/{job_id}`).",
    responses=responses(200, 202, 400, 401, 403, 409, 413, 415, 422, 429),
    extensions=UPLOAD,
)
def import_rows(kind: str, query: ImportQuery) -> Response | tuple[Response, int, dict[str, str]]:
    actor = require_caller()
    stream, fmt = _upload(query)
    with stream:
        cap = import_jobs.row_cap(current_settings(), actor)
        if transfer.count_rows(stream, fmt, stop_after=cap) > cap:
            return _queue_import(kind, query, stream, fmt)
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
        return problem(
            import_refusal_status(report),
            f"{report.error_count} row(s) refused; nothing was imported.",
            report.errors,
        )
    return jsonify(report.to_dict())


def _queue_import(
    kind: str, query: ImportQuery, stream: IO[bytes], fmt: Format
) -> tuple[Response, int, dict[str, str]]:
    job = import_jobs.submit(
        session=db.session(),
        actor=require_caller(),
        kind=kind,
        stream=stream,
        fmt=fmt,
        on_conflict=OnConflict(query.on_conflict),
        dry_run=query.dry_run,
        spool_dir=import_jobs.spool_folder(current_settings()),
        request_id=request_id(),
    )
    db.session.commit()
    enqueue_job("import", job_id=job.id)
    location = url_for("transfer.import_status", job_id=job.id)
    body = ImportJobStatus.model_validate(import_jobs.describe(job, None))
    return jsonify(body.model_dump(mode="json")), 202, {"Location": location}


# Not /imports/<id>: beside /imports/<kind> a wrong method or kind would answer 405, not 404.
@bp.get("/imports/jobs/<id:job_id>")
@bp.output(ImportJobStatus, example=JOB_EXAMPLE)
@bp.doc(
    summary="The status of a queued import",
    operation_id="getImportJob",
    description="`queued`, `running` (with `rows_done` growing), `done` with the report, or "
    "`failed` with the report (nothing was written). Visible to the account that started it "
    "and to admins.",
    responses=responses(200, 401, 404),
)
def import_status(job_id: int) -> ImportJobStatus:
    actor = require_caller()
    job = import_jobs.visible_job(session=db.session(), actor=actor, job_id=job_id)
    running = job.status == JobStatus.RUNNING
    progress = job_queue(current_app).progress_of(job.id) if running else None
    return ImportJobStatus.model_validate(import_jobs.describe(job, progress))


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
