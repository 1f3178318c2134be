"""The history of background imports (``import_jobs``), newest first, for data admins.

Imports run inside a request or at the terminal leave no job row; the audit trail records
every import (``import.*``), whichever way it ran. Housekeeping removes finished jobs after
``OSNOVA_IMPORT_JOB_DAYS``, so the history reaches that far back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from osnova.models import ImportJob, JobStatus, User
from osnova.services import cursors, keyset, policy

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class ListedJob:
    id: int
    kind: str
    format: str
    status: str
    dry_run: bool
    rows_done: int
    attempts: int
    created_at: datetime
    finished_at: datetime | None
    actor_username: str


@dataclass(frozen=True)
class JobPage:
    jobs: list[ListedJob]
    next_cursor: str | None


COLUMNS = (
    ImportJob.id.label("id"),
    ImportJob.kind.label("kind"),
    ImportJob.format.label("format"),
    ImportJob.status.label("status"),
    ImportJob.dry_run.label("dry_run"),
    ImportJob.rows_done.label("rows_done"),
    ImportJob.attempts.label("attempts"),
    ImportJob.created_at.label("created_at"),
    ImportJob.finished_at.label("finished_at"),
    User.username.label("actor_username"),
)
NEWEST_FIRST = keyset.Order(ImportJob.created_at, ImportJob.id, "created_at", "id")


def list_jobs(
    *,
    session: Session,
    actor: policy.Actor,
    status: JobStatus | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> JobPage:
    """A page of import jobs newest first, optionally in one ``status``."""
    if not policy.can(actor, policy.Permission.TRANSFER_DATA):
        raise policy.denied()
    after = cursors.decode(cursor) if cursor else None
    query: Select[*tuple[Any, ...]] = select(*COLUMNS).join(User, User.id == ImportJob.actor_id)
    if status is not None:
        query = query.where(ImportJob.status == status.value)
    rows, last = keyset.fetch_page(
        session,
        query,
        NEWEST_FIRST,
        after=(after.created_at, after.id) if after else None,
        limit=limit,
    )
    jobs = [ListedJob(**row._mapping) for row in rows]
    return JobPage(jobs, cursors.encode(*last) if last else None)
