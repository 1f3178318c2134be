"""``osnova import`` and ``osnova export``: bulk data in and out from the terminal.

The terminal is trusted like an administrator (whoever runs it can read the database anyway);
``--as USERNAME`` acts as that account instead, with its rights. A progress bar shows on a
terminal only, so scripts and pipes get quiet output.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from osnova.commands.common import fail, reports_errors
from osnova.extensions import db
from osnova.models import User
from osnova.services import policy, transfer
from osnova.services.transfer import Format, ImportReport, OnConflict

KINDS = click.Choice(transfer.KINDS)
FORMATS = click.Choice([f.value for f in Format])
PRINTED_ERRORS = 20
ACT_AS = click.option(
    "--as", "as_user", metavar="USERNAME", help="Act as this account (default: admin)."
)


def _actor(username: str | None) -> policy.Actor:
    if username is None:
        return policy.SYSTEM
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        fail(f"no account is named {username!r}")
    return user


def _format_of(path: str, given: str | None) -> Format:
    """As given, else by the file name, else CSV (standard input and output have no name)."""
    return transfer.choose_format(given=given, filename=path, default=Format.CSV) or Format.CSV


class _CountingReader:
    """Counts the bytes read, for the progress bar."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        data: bytes = self.stream.read1(size)  # type: ignore[attr-defined]
        self.count += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count: int = self.stream.readinto(buffer)  # type: ignore[attr-defined]
        self.count += count
        return count

    def seek(self, offset: int, whence: int = 0) -> int:
        position: int = self.stream.seek(offset, whence)
        self.count = position
        return position

    def readline(self, size: int = -1) -> bytes:
        data = self.stream.readline(size)
        self.count += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:  # asked for every line: keep it off the __getattr__ path
        return bool(self.stream.closed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextmanager
def _progress_for(stream: _CountingReader, total: int | None) -> Iterator[Any]:
    """A callback for the service: a rich bar (rows/s, ETA) on a terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    # Only a terminal pays for importing rich.
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    started = time.monotonic()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[rows]:,} rows  {task.fields[rate]:,.0f} rows/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("importing", total=total, rows=0, rate=0.0)

        def update(rows: int) -> None:
            rate = rows / max(time.monotonic() - started, 1e-6)
            bar.update(task, completed=stream.count, rows=rows, rate=rate)

        yield update


def _print_report(report: ImportReport) -> None:
    for error in report.errors[:PRINTED_ERRORS]:
        where = f"line {error.line}" + (f", column {error.column}" if error.column else "")
        click.echo(f"{where}: {error.message}", err=True)
    if report.error_count > PRINTED_ERRORS:
        click.echo(f"... and {report.error_count - PRINTED_ERRORS} more errors", err=True)
    if not report.ok:
        click.echo(f"{report.error_count} error(s) in {report.rows} rows: nothing was written")
        return
    verb = "would be" if report.dry_run else "were"
    click.echo(
        f"{report.rows} rows: {report.created} {verb} created, {report.updated} updated, "
        f"{report.skipped} skipped" + (" (dry run: nothing was written)" if report.dry_run else "")
    )


@click.command("import")
@click.argument("kind", type=KINDS)
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=FORMATS, help="Default: from the file name, else csv.")
@click.option("--dry-run", is_flag=True, help="Validate everything, write nothing.")
@click.option(
    "--on-conflict",
    type=click.Choice([c.value for c in OnConflict]),
    default="error",
    show_default=True,
    help="When the key (username, external_id) is already stored.",
)
@ACT_AS
@with_appcontext
@reports_errors
def import_command(
    *, kind: str, path: str, fmt: str | None, dry_run: bool, on_conflict: str, as_user: str | None
) -> None:
    """Import users or items from a CSV, JSON or JSON Lines file (all rows or none)."""
    actor = _actor(as_user)
    try:
        raw = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    with raw:
        stream = _CountingReader(raw)
        total = None if path == "-" else Path(path).stat().st_size
        with _progress_for(stream, total) as progress:
            report = transfer.import_rows(
                kind=kind,
                session=db.session(),
                actor=actor,
                stream=cast(IO[bytes], stream),
                fmt=_format_of(path, fmt),
                on_conflict=OnConflict(on_conflict),
                dry_run=dry_run,
                progress=progress,
            )
    db.session.commit()
    _print_report(report)
    if not report.ok:
        raise SystemExit(1)


@contextmanager
def _open_output(output: str) -> Iterator[IO[bytes]]:
    """Standard output (left open), or a file that appears only once it is complete.

    A regular file is written to a hidden file beside it and renamed over it at the end, so a
    failed export leaves an earlier file as it was and no half file. Like any new temporary
    file it is readable by its owner only (an export may hold password hashes). Anything else
    (``/dev/null``, a named pipe) is written in place: renaming over it would replace it.
    """
    if output == "-":
        yield sys.stdout.buffer
        return
    try:
        path = Path(output).resolve()  # through a symlink, so the link itself stays
        if path.exists() and not path.is_file():
            with path.open("wb") as stream:
                yield stream
            return
        partial = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed or removed below
            dir=path.parent, prefix=f".{path.name}.", suffix=".partial", delete=False
        )
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    try:
        with partial:
            yield partial
        os.replace(partial.name, path)
    except BaseException:
        Path(partial.name).unlink(missing_ok=True)
        raise


@click.command("export")
@click.argument("kind", type=KINDS)
@click.option("--format", "fmt", type=FORMATS, help="Default: from --output's name, else csv.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-")
@click.option("--with-password-hashes", is_flag=True, help="Users: add the password_hash column.")
@ACT_AS
@with_appcontext
@reports_errors
def export_command(
    *, kind: str, fmt: str | None, output: str, with_password_hashes: bool, as_user: str | None
) -> None:
    """Export users or items as CSV, JSON or JSON Lines to a file or standard output."""
    actor = _actor(as_user)
    chosen = _format_of(output, fmt)
    session = db.session()
    chunks = transfer.export_rows(
        kind=kind,
        session=session,
        actor=actor,
        fmt=chosen,
        include_password_hashes=with_password_hashes,
    )
    with _open_output(output) as target:
        for chunk in chunks:
            target.write(chunk)
    db.session.commit()


ALL = (import_command, export_command)
