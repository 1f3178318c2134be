"""The import pipeline shared by users and items: read → validate → stage → check → write.

One pass finds every problem: invalid rows, values repeated inside the file, and clashes of
the valid rows with stored data. One transaction holds it all. Rows are validated with the
API's pydantic models in batches and staged without ORM objects; the kind-specific ``finish``
step then checks keys with SQL and writes. On any error, or a dry run, the transaction is
rolled back: nothing is written, and a killed process leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from osnova.database import is_constraint_violation
from osnova.models import User
from osnova.services import audit
from osnova.services.policy import Actor
from osnova.services.transfer.formats import BadRecord, FileProblem, Format, Row, read_rows
from osnova.services.transfer.report import (
    MAX_REPORTED_ERRORS,
    ImportReport,
    OnConflict,
    count_in_metrics,
)
from osnova.services.transfer.staging import STAGE, StageLoader, create_stage, drop_stage

BATCH_ROWS = 5_000
PLAINTEXT_PASSWORD = (
    "a plaintext password column is refused: import password hashes (password_hash) or let "  # noqa: S105
    "the accounts set a password through a reset link"
)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Spec:
    """What differs between users and items."""

    kind: str
    model: type[BaseModel]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    refused: dict[str, str]
    stage_columns: tuple[tuple[str, TypeEngine[Any]], ...]
    # The staged tuple (without the line) of a validated row, or an error message.
    to_stage: Callable[[Any], tuple[Any, ...] | str]
    # The staged tuple of a raw row already in canonical form, else None (see users.py).
    canonical: Callable[[Row], tuple[Any, ...] | None] = lambda _row: None

    def values(self, row: Row) -> tuple[Any, ...] | str:
        """The staged tuple of ``row`` or an error message; raises ``ValidationError``."""
        canonical = self.canonical(row)
        if canonical is not None:
            return canonical
        return self.to_stage(self.model.model_validate(row))


@dataclass(frozen=True)
class Staged:
    """What the staging pass learned: the columns the file has, and the row count."""

    columns: frozenset[str]
    rows: int


def stage_file(
    *,
    connection: Connection,
    stream: IO[bytes],
    fmt: Format,
    spec: Spec,
    report: ImportReport,
    progress: Progress | None = None,
) -> Staged:
    """Validate every row of ``stream`` into the staging table; errors go to ``report``."""
    create_stage(connection, spec.stage_columns)
    loader = StageLoader(connection, [name for name, _ in spec.stage_columns])
    batch: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    rows = 0
    try:
        for line, row in read_rows(stream, fmt, columns=spec.columns, refused=spec.refused):
            rows += 1
            if isinstance(row, BadRecord):
                report.add_error(line, None, row.message)
                continue
            if rows == 1 or (fmt is not Format.CSV and len(seen) < len(spec.columns)):
                seen.update(row)
                _check_required(fmt, seen, spec, rows)
            try:
                staged = spec.values(row)
            except ValidationError as exc:
                for error in exc.errors(include_url=False, include_input=False):
                    column = str(error["loc"][0]) if error["loc"] else None
                    report.add_error(line, column, error["msg"])
                continue
            if isinstance(staged, str):
                report.add_error(line, None, staged)
                continue
            batch.append((line, *staged))
            if len(batch) >= BATCH_ROWS:
                _flush(loader, batch, report, progress, rows)
        _flush(loader, batch, report, progress, rows)
    except FileProblem as problem:
        report.add_error(problem.line, problem.column, problem.message)
    if rows == 0 and report.ok:
        report.add_error(1, None, "the file has no rows")
    report.rows = rows
    return Staged(frozenset(seen), rows)


def _check_required(fmt: Format, seen: set[str], spec: Spec, rows: int) -> None:
    """A CSV header must name every required column (JSON rows report it row by row)."""
    if fmt is Format.CSV and rows == 1:
        for name in spec.required:
            if name not in seen:
                raise FileProblem("a required column is missing from the header", 1, name)


def _flush(
    loader: StageLoader,
    batch: list[tuple[Any, ...]],
    report: ImportReport,
    progress: Progress | None,
    rows: int,
) -> None:
    # Valid rows are staged even after an invalid one, so that one pass also finds their
    # duplicates and clashes with stored data (nothing is written unless every row passes).
    loader.load(batch)
    batch.clear()
    if progress is not None:
        progress(rows)


def report_rows(
    connection: Connection,
    report: ImportReport | None,
    query: tuple[str, str],
    message: Callable[[Any], str],
    column: str,
    *,
    conflict: bool = False,
    **params: Any,
) -> int:
    """How many rows ``SELECT <columns> <from>`` finds; each is an error in ``report`` (the
    first 1,000 listed, the rest counted), unless ``report`` is None. ``conflict``: the
    rows clash with stored data rather than being invalid.

    ``query`` is ``(columns, from-and-where)``; the first column is the line.
    """
    columns, source = query
    count = int(connection.execute(text(f"SELECT COUNT(*) {source}"), params).scalar_one())
    if report is None or count == 0:
        return count
    listed = connection.execute(
        text(f"SELECT {columns} {source} ORDER BY 1 LIMIT {MAX_REPORTED_ERRORS}"), params
    ).all()
    for row in listed:
        report.add_error(row[0], column, message(row), conflict=conflict)
    report.error_count += count - len(listed)
    if conflict:
        report.conflict_count += count - len(listed)
    return count


def duplicates_in_file(column: str) -> tuple[str, str]:
    """Rows repeating an earlier row's ``column``, with the line of the first occurrence."""
    return (
        "line, value, first_line",
        f"FROM (SELECT line, {column} AS value, "  # noqa: S608 - names from this package
        f"MIN(line) OVER (PARTITION BY {column}) AS first_line FROM {STAGE} "
        f"WHERE {column} IS NOT NULL) d WHERE line > first_line",
    )


def finish(
    *,
    session: Session,
    report: ImportReport,
    actor: Actor | None,
    dry_run: bool,
    write: Callable[[], None],
    report_duplicates: Callable[[], None],
) -> None:
    """Write (or roll back, see ``_write_or_roll_back``), then audit and count the import.

    ``report_duplicates`` names the lines that repeat a key inside the file; an update
    import has reported them already, before writing.
    """

    def explain() -> None:
        if report.on_conflict is not OnConflict.UPDATE:
            report_duplicates()

    _write_or_roll_back(
        session=session, report=report, dry_run=dry_run, write=write, explain=explain
    )
    record_import(session=session, report=report, actor=actor)


def record_import(*, session: Session, report: ImportReport, actor: Actor | None) -> None:
    """The audit event (committed by the caller) and the import rows metric."""
    audit.record(
        session=session,
        action=f"import.{report.kind}",
        actor=actor if isinstance(actor, User) else None,
        details=report.summary(),
    )
    count_in_metrics(report)


def _write_or_roll_back(
    *,
    session: Session,
    report: ImportReport,
    dry_run: bool,
    write: Callable[[], None],
    explain: Callable[[], None],
) -> None:
    """Write when the file is clean and this is not a dry run; else roll everything back.

    Duplicates inside a clean file are left to the unique indexes: ``explain`` finds their
    lines only when the database refuses the rows. A dry run, or a file refused already,
    looks for them at once, so that its report lists every problem in one pass.
    """
    if dry_run or not report.ok:
        explain()
    if report.ok and not dry_run:
        try:
            with _savepoint_on_postgresql(session):
                write()
        except DBAPIError as exc:
            if not is_constraint_violation(exc):
                raise
            explain()
            if report.ok:
                # Every row passed the checks just made: the likely cause is rows that
                # someone else stored meanwhile, a clash with stored data.
                report.add_error(
                    0, None, f"the database refused the rows: {exc.orig}", conflict=True
                )
        else:
            drop_stage(session.connection())
            return
    report.sort_errors()
    if not report.ok:
        report.created = report.updated = report.skipped = 0
    session.rollback()
    drop_stage(session.connection())


@contextmanager
def _savepoint_on_postgresql(session: Session) -> Iterator[None]:
    """PostgreSQL aborts the whole transaction on a failed statement; the others undo only
    the statement, so they need no savepoint (which pysqlite handles badly)."""
    if session.get_bind().dialect.name == "postgresql":
        with session.begin_nested():
            yield
    else:
        yield
