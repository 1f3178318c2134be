"""Imports too big for a request: spooled on submission, run later by the job consumer.

The consumer runs the same ``transfer.import_rows`` as ``osnova import`` and the API, so the
rows, the report and the all-or-nothing rule are the same. A job is claimed by moving it from
queued to running in its own small transaction; "done" is written in the import's transaction,
so the rows and the status arrive together or not at all. A consumer killed mid-import leaves
a running job whose heartbeat stops: ``requeue_stalled`` queues it again, and the new run
starts from an untouched table.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.database import utcnow
from osnova.errors import NotFound
from osnova.i18n import N_
from osnova.models import ImportJob, JobStatus, User
from osnova.services import policy, transfer
from osnova.services.transfer import Format, ImportReport, OnConflict


@dataclass(frozen=True)
class Progress:
    """Rows read so far by a running import, and when its consumer last said it was alive."""

    rows: int
    beat: float


def spool_folder(settings: Settings) -> Path:
    return settings.resolved_spool_dir()


def row_cap(settings: Settings, actor: policy.Actor) -> int:
    """The most rows an import may have to run inside a request (admins get more)."""
    if policy.can(actor, policy.Permission.TRANSFER_DATA):
        return settings.import_http_max_rows_admin
    return settings.import_http_max_rows


def submit(
    *,
    session: Session,
    actor: User,
    kind: str,
    stream: IO[bytes],
    fmt: Format,
    on_conflict: OnConflict,
    dry_run: bool,
    spool_dir: Path,
    request_id: str | None = None,
) -> ImportJob:
    """Keep a copy of ``stream`` and a queued job for it (the caller commits, then queues)."""
    transfer.require_may_import(kind, actor)
    spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = secrets.token_urlsafe(24)
    descriptor = os.open(spool_dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as target:
        shutil.copyfileobj(stream, target)
    job = ImportJob(
        actor_id=actor.id,
        kind=kind,
        format=fmt.value,
        on_conflict=on_conflict.value,
        dry_run=dry_run,
        status=JobStatus.QUEUED.value,
        spool_name=name,
        rows_done=0,
        attempts=0,
        request_id=request_id,
    )
    session.add(job)
    session.flush()
    return job


def visible_job(*, session: Session, actor: policy.Actor, job_id: int) -> ImportJob:
    """The job, for the account that submitted it or an admin; anyone else gets NotFound."""
    job = session.get(ImportJob, job_id)
    mine = job is not None and isinstance(actor, User) and job.actor_id == actor.id
    if job is None or not (mine or policy.can(actor, policy.Permission.TRANSFER_DATA)):
        raise NotFound(N_("No such import."))
    return job


def run(
    *,
    session: Session,
    job_id: int,
    spool_dir: Path,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Run a queued import to its end: done with its report, or failed with it."""
    if not _claim(session, job_id):
        return  # finished already, or taken by another consumer
    job = session.get(ImportJob, job_id)
    if job is None:
        return
    actor = session.get(User, job.actor_id)
    path = spool_dir / (job.spool_name or "")
    if actor is None or not job.spool_name or not path.is_file():
        _finish(session, job_id, _failed_report(job, "the uploaded file is no longer there"))
        return
    with path.open("rb") as stream:
        report = transfer.import_rows(
            kind=job.kind,
            session=session,
            actor=actor,
            stream=stream,
            fmt=Format(job.format),
            on_conflict=OnConflict(job.on_conflict),
            dry_run=job.dry_run,
            progress=progress,
        )
    _finish(session, job_id, report)
    path.unlink(missing_ok=True)


def _claim(session: Session, job_id: int) -> bool:
    claimed = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == JobStatus.QUEUED.value)
        .values(
            status=JobStatus.RUNNING.value,
            attempts=ImportJob.attempts + 1,
            started_at=utcnow(),
        )
    )
    session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _finish(session: Session, job_id: int, report: ImportReport) -> None:
    """Write the outcome in the import's own transaction (it holds the rows when it is ok)."""
    job = session.get(ImportJob, job_id)
    if job is None:
        return
    job.status = (JobStatus.DONE if report.ok else JobStatus.FAILED).value
    job.rows_done = report.rows
    job.report = report.to_dict()
    job.finished_at = utcnow()
    job.spool_name = None
    session.commit()


def _failed_report(job: ImportJob, message: str) -> ImportReport:
    report = ImportReport(
        kind=job.kind,
        format=job.format,
        on_conflict=OnConflict(job.on_conflict),
        dry_run=job.dry_run,
    )
    report.add_error(0, None, message)
    return report


def requeue_stalled(*, session: Session, alive: Callable[[int], bool]) -> list[int]:
    """Move running jobs whose consumer is gone back to queued; the caller commits and
    queues them."""
    running = session.scalars(
        select(ImportJob.id).where(ImportJob.status == JobStatus.RUNNING.value)
    ).all()
    stalled: list[int] = []
    for job_id in running:
        if alive(job_id):
            continue
        moved = session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == JobStatus.RUNNING.value)
            .values(status=JobStatus.QUEUED.value)
        )
        if moved.rowcount:  # type: ignore[attr-defined]
            stalled.append(job_id)
    return stalled


def describe(job: ImportJob, progress: Progress | None) -> dict[str, Any]:
    """What a caller polling the job sees."""
    rows = job.rows_done if progress is None else progress.rows
    return {
        "id": job.id,
        "kind": job.kind,
        "format": job.format,
        "status": job.status,
        "dry_run": job.dry_run,
        "rows_done": rows,
        "attempts": job.attempts,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "report": job.report,
    }
