"""What an import did: counts, and the first errors with the line and column of each."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from osnova.metrics import IMPORT_ROWS

MAX_REPORTED_ERRORS = 1_000


class OnConflict(StrEnum):
    """What to do with a row whose key (username, external_id) is already stored."""

    ERROR = "error"
    SKIP = "skip"
    UPDATE = "update"


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    """The outcome of one import; nothing was written unless ``ok`` and not ``dry_run``."""

    kind: str
    format: str
    on_conflict: OnConflict
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, line: int, column: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(line, column, message))

    def sort_errors(self) -> None:
        self.errors.sort(key=lambda error: error.line)
        del self.errors[MAX_REPORTED_ERRORS:]

    def summary(self) -> dict[str, Any]:
        """Counts only: safe for the audit trail and logs."""
        return {
            "format": self.format,
            "on_conflict": self.on_conflict.value,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": self.error_count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        """The report ``to_dict`` gave (as a background import keeps it)."""
        return cls(
            kind=data["kind"],
            format=data["format"],
            on_conflict=OnConflict(data["on_conflict"]),
            dry_run=data["dry_run"],
            rows=data["rows"],
            created=data["created"],
            updated=data["updated"],
            skipped=data["skipped"],
            error_count=data["error_count"],
            errors=[RowError(e["line"], e["column"], e["message"]) for e in data["errors"]],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ok": self.ok,
            **self.summary(),
            "errors": [error.to_dict() for error in self.errors],
            "error_count": self.error_count,
        }


def count_in_metrics(report: ImportReport) -> None:
    """Add the rows of a finished import to ``osnova_import_rows_total``."""
    written = report.ok and not report.dry_run
    outcomes = {
        "created": report.created if written else 0,
        "updated": report.updated if written else 0,
        "skipped": report.skipped if written else 0,
        "invalid": report.error_count,
    }
    for outcome, rows in outcomes.items():
        if rows:
            IMPORT_ROWS.labels(report.kind, outcome).inc(rows)
