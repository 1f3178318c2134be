"""Imports show up in ``osnova_import_rows_total`` by kind and outcome."""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy.orm import Session

from osnova.services.transfer import OnConflict
from tests.transfer.helpers import import_text

USERS = "username,email\nann,ann@example.org\nbob,bob@example.org\n"


def rows(kind: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "osnova_import_rows_total", {"kind": kind, "outcome": outcome}
    )
    return value or 0.0


def test_created_skipped_and_invalid_rows_are_counted(session: Session) -> None:
    created, skipped, invalid = (rows("users", o) for o in ("created", "skipped", "invalid"))
    import_text(session, "users", USERS)
    import_text(session, "users", USERS, on_conflict=OnConflict.SKIP)
    import_text(session, "users", "username,email\nbad name,not-an-email\n")
    assert rows("users", "created") - created == 2
    assert rows("users", "skipped") - skipped == 2
    assert rows("users", "invalid") - invalid >= 1


def test_a_dry_run_counts_nothing_as_written(session: Session) -> None:
    created = rows("users", "created")
    report = import_text(session, "users", USERS, dry_run=True)
    assert report.created == 2
    assert rows("users", "created") == created
