"""Admin pages for bulk data: upload a file, read the dry run's report, confirm; downloads.

The same service as ``osnova import``/``export`` and the JSON API. An upload is always
checked first with a dry run, and only a clean check offers the real import of that same
file with the same options (kept meanwhile by ``web.pending_imports``). A file with more rows
than an admin's HTTP cap is imported by the job consumer instead, all or nothing as ever, on
a page that follows its progress.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from osnova.extensions import current_settings, db, enqueue_job
from osnova.http.downloads import export_download
from osnova.jobs import job_queue
from osnova.models import JobStatus
from osnova.observability import request_id
from osnova.services import import_jobs, policy, transfer
from osnova.services.transfer import KINDS, Format, ImportReport, OnConflict
from osnova.web import pending_imports
from osnova.web.admin import permission_required
from osnova.web.forms import (
    IMPORT_CONFLICTS,
    IMPORT_KINDS,
    ConfirmImportForm,
    ImportForm,
)
from osnova.web.helpers import signed_in_user
from osnova.web.pending_imports import PendingImport

bp = Blueprint("transfer_pages", __name__, url_prefix="/admin/transfer")
transfer_required = permission_required(policy.Permission.TRANSFER_DATA)

EXPORT_FORMATS = {Format.CSV: "CSV", Format.JSON: "JSON", Format.JSONL: "JSON Lines"}


def _run(pending: PendingImport, *, dry_run: bool) -> ImportReport:
    with pending.path.open("rb") as stream:
        report = transfer.import_rows(
            kind=pending.kind,
            session=db.session(),
            actor=signed_in_user(),
            stream=stream,
            fmt=pending.fmt,
            on_conflict=pending.on_conflict,
            dry_run=dry_run,
        )
    db.session.commit()  # the rows on success; the audit event in every case
    return report


def _report_page(report: ImportReport, confirm_form: ConfirmImportForm | None) -> tuple[str, int]:
    page = render_template(
        "admin/import_report.html",
        report=report,
        confirm_form=confirm_form,
        kinds=IMPORT_KINDS,
        conflicts=IMPORT_CONFLICTS,
        formats=EXPORT_FORMATS,
    )
    return page, 200 if report.ok else 422


@bp.route("", methods=["GET", "POST"])
@transfer_required
def index() -> Response | tuple[str, int]:
    """The upload form and the downloads; a submitted upload answers with its dry run."""
    form = ImportForm()
    if form.validate_on_submit():
        given = form.file_format.data
        fmt = transfer.choose_format(
            given=None if given == "auto" else given, filename=form.file.data.filename
        )
        if fmt is not None:
            return _check(form, fmt)
        form.file_format.errors = [
            gettext("The format cannot be told from the file name: choose it.")
        ]
    page = render_template(
        "admin/transfer.html",
        form=form,
        kinds=IMPORT_KINDS,
        formats=EXPORT_FORMATS,
        max_upload_mib=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
    )
    return page, 422 if form.is_submitted() else 200


def _check(form: ImportForm, fmt: Format) -> Response | tuple[str, int]:
    """Store the upload, dry-run it, and offer the confirmation only for a clean file."""
    user_id = signed_in_user().id
    stream = form.file.data.stream
    cap = import_jobs.row_cap(current_settings(), signed_in_user())
    if transfer.count_rows(stream, fmt, stop_after=cap) > cap:
        return _queue(form, fmt)
    pending = pending_imports.store(
        stream,
        kind=form.kind.data,
        fmt=fmt,
        on_conflict=OnConflict(form.on_conflict.data),
    )
    clean = False
    try:
        report = _run(pending, dry_run=True)
        clean = report.ok
    finally:
        if not clean:
            pending_imports.discard(pending)
    if not clean:
        return _report_page(report, None)
    ticket = pending_imports.ticket_for(pending, user_id=user_id)
    return _report_page(report, ConfirmImportForm(formdata=None, ticket=ticket))


def _queue(form: ImportForm, fmt: Format) -> Response:
    job = import_jobs.submit(
        session=db.session(),
        actor=signed_in_user(),
        kind=form.kind.data,
        stream=form.file.data.stream,
        fmt=fmt,
        on_conflict=OnConflict(form.on_conflict.data),
        dry_run=False,
        spool_dir=import_jobs.spool_folder(current_settings()),
        request_id=request_id(),
    )
    db.session.commit()
    enqueue_job("import", job_id=job.id)
    return redirect(url_for("transfer_pages.job", job_id=job.id))


@bp.get("/jobs/<id:job_id>")
@transfer_required
def job(job_id: int) -> tuple[str, int]:
    """A background import: its progress while it runs, then its report."""
    found = import_jobs.visible_job(session=db.session(), actor=signed_in_user(), job_id=job_id)
    progress = (
        job_queue(current_app).progress_of(found.id) if found.status == JobStatus.RUNNING else None
    )
    report = ImportReport.from_dict(found.report) if found.report else None
    page = render_template(
        "admin/import_job.html",
        job=found,
        report=report,
        rows_done=progress.rows if progress is not None else found.rows_done,
        kinds=IMPORT_KINDS,
        conflicts=IMPORT_CONFLICTS,
        formats=EXPORT_FORMATS,
    )
    return page, 200


@bp.post("/confirm")
@transfer_required
def confirm() -> Response | tuple[str, int]:
    """Import the checked file for real, once; the stored file is deleted either way."""
    form = ConfirmImportForm()
    pending = None
    if form.validate_on_submit():
        pending = pending_imports.redeem(form.ticket.data, user_id=signed_in_user().id)
    if pending is None:
        flash(
            gettext(
                "This import cannot be confirmed: the check expired, was already imported "
                "or was made by someone else. Please upload the file again."
            ),
            "error",
        )
        return redirect(url_for("transfer_pages.index"))
    try:
        report = _run(pending, dry_run=False)
    finally:
        pending_imports.discard(pending)
    if report.ok:
        flash(
            gettext(
                "Imported: %(created)s created, %(updated)s updated, %(skipped)s skipped.",
                created=report.created,
                updated=report.updated,
                skipped=report.skipped,
            ),
            "success",
        )
    else:
        flash(gettext("The import was refused and nothing was written."), "error")
    return _report_page(report, None)


@bp.get(f"/export/<any({', '.join(KINDS)}):kind>.<any(csv, json, jsonl):fmt>")
@transfer_required
def export(kind: str, fmt: str) -> Response:
    """A streamed download of every account or every item (exports change no rows)."""
    chosen = Format(fmt)
    session = db.session()
    chunks = transfer.export_rows(kind=kind, session=session, actor=signed_in_user(), fmt=chosen)
    session.commit()  # the audit event; the rows are read while the response streams
    return export_download(kind=kind, fmt=chosen, chunks=chunks, session=session)
