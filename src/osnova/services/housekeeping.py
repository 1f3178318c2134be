"""Housekeeping, run hourly by the job consumer: what has outlived its use is removed.

- API tokens that expired or were revoked (the audit trail keeps their story);
- remembered devices past their expiry (they could sign nobody in any more);
- finished import jobs older than ``OSNOVA_IMPORT_JOB_DAYS``, and spooled upload files that no
  queued or running job needs, once they are an hour old (a file being written is younger);
- audit events older than ``OSNOVA_AUDIT_RETENTION_DAYS``;
- email changes never confirmed, once their link has expired (``OSNOVA_EMAIL_CHANGE_LINK_HOURS``).
- rate-limit counters whose window has ended (a new hit on the key would restart them anyway).
Everything else is left as it is.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.database import utcnow
from osnova.models import (
    ApiToken,
    AuditEvent,
    ImportJob,
    JobStatus,
    RateLimitCounter,
    RememberedDevice,
)
from osnova.services import email_changes
from osnova.services.import_jobs import spool_folder

SPOOL_GRACE_SECONDS = 3600
# Files the admin import pages keep between a dry run and its confirmation (web door).
PENDING_IMPORTS_FOLDER = "imports"


@dataclass(frozen=True)
class Swept:
    """How many of each were removed."""

    tokens: int
    remembered_devices: int
    import_jobs: int
    spooled_files: int
    audit_events: int
    email_changes: int
    rate_limit_counters: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep(*, session: Session, settings: Settings, now: datetime | None = None) -> Swept:
    """Remove what has outlived its use (the caller commits)."""
    now = now or utcnow()
    tokens = session.execute(
        delete(ApiToken).where(or_(ApiToken.expires_at < now, ApiToken.revoked_at.is_not(None)))
    )
    devices = session.execute(delete(RememberedDevice).where(RememberedDevice.expires_at <= now))
    finished = (JobStatus.DONE.value, JobStatus.FAILED.value)
    jobs = session.execute(
        delete(ImportJob).where(
            ImportJob.status.in_(finished),
            ImportJob.created_at < now - timedelta(days=settings.import_job_days),
        )
    )
    events = session.execute(
        delete(AuditEvent).where(
            AuditEvent.at < now - timedelta(days=settings.audit_retention_days)
        )
    )
    unconfirmed = email_changes.forget_expired(session=session, settings=settings, now=now)
    counters = session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
    needed = set(
        session.scalars(
            select(ImportJob.spool_name).where(
                ImportJob.spool_name.is_not(None), ImportJob.status.not_in(finished)
            )
        ).all()
    )
    files = _remove_old_files(spool_folder(settings), keep=needed)
    files += _remove_old_files(settings.instance_dir.resolve() / PENDING_IMPORTS_FOLDER)
    return Swept(
        tokens=tokens.rowcount,  # type: ignore[attr-defined]
        remembered_devices=devices.rowcount,  # type: ignore[attr-defined]
        import_jobs=jobs.rowcount,  # type: ignore[attr-defined]
        spooled_files=files,
        audit_events=events.rowcount,  # type: ignore[attr-defined]
        email_changes=unconfirmed,
        rate_limit_counters=counters.rowcount,  # type: ignore[attr-defined]
    )


def _remove_old_files(folder: Path, keep: set[str | None] | None = None) -> int:
    if not folder.is_dir():
        return 0
    cutoff = time.time() - SPOOL_GRACE_SECONDS
    removed = 0
    for path in folder.iterdir():
        if not path.is_file() or (keep and path.name in keep):
            continue
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
