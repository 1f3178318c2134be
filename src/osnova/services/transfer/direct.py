"""The direct load: validated rows go straight into the real table while the file is read.

The database's own work (constraint checks, index updates) then overlaps the reading and
validating in Python instead of following it: SQLite runs each batch as one statement in a
writer thread (``INSERT … SELECT … FROM json_each(?)``, which releases the GIL for the whole
batch), PostgreSQL receives one ``COPY`` that its server process works through as it arrives,
and MariaDB gets multi-row inserts from the writer thread.

It is the fast path of the common import: new rows, ``on_conflict=error``, not a dry run, from
a stream that can be read twice. The first problem of any kind (a bad row, a bad file, a key
the database refuses) ends it; the caller rolls back and runs the staged import from the top
of the file, which explains every problem. So a report never depends on which path ran.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from contextlib import closing
from typing import IO, Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from osnova.services.transfer.engine import Spec
from osnova.services.transfer.formats import BadRecord, FileProblem, Format, read_rows
from osnova.statement_deadline import unbounded_in_other_thread

# Few, large statements (each one starts and ends holding the GIL), small enough that the
# batches in flight stay a few megabytes: 10,000 rows load 1,000,000 users as fast as 20,000
# did, with a peak of 132 MB instead of 155.
BATCH_ROWS = 10_000
QUEUED_BATCHES = 2  # enough to keep the writer busy; memory stays a few batches deep

Progress = Callable[[int], None]
# Columns with one value for the whole file (a timestamp, a default): name → (type, value).
Constants = dict[str, tuple[TypeEngine[Any], Any]]


def load_directly(
    *,
    connection: Connection,
    stream: IO[bytes],
    fmt: Format,
    spec: Spec,
    table: str,
    constants: Constants,
    progress: Progress | None = None,
) -> int | None:
    """Write every row of ``stream`` into ``table``; the row count, or None at the first
    problem (then the transaction holds some rows: the caller rolls it back).

    ``spec`` is the kind's ``engine.Spec``: its ``values`` validates a row into the values of
    ``spec.stage_columns``, in order; ``constants`` fill the other columns.
    """
    columns = [name for name, _ in spec.stage_columns]
    writer = _writer_for(connection, table, columns, constants)
    to_values = spec.values
    batch: list[tuple[Any, ...]] = []
    rows = 0
    try:
        with (
            unbounded_in_other_thread(connection),
            writer,
            closing(read_rows(stream, fmt, columns=spec.columns, refused=spec.refused)) as records,
        ):
            for _line, row in records:
                if isinstance(row, BadRecord):
                    return None
                values = to_values(row)
                if isinstance(values, str):
                    return None
                batch.append(values)
                rows += 1
                if len(batch) >= BATCH_ROWS:
                    writer.put(batch)
                    batch = []
                    if progress is not None:
                        progress(rows)
            if batch:
                writer.put(batch)
    except (ValidationError, FileProblem, DBAPIError, connection.dialect.loaded_dbapi.Error):
        return None  # the staged import finds and words the problem
    if progress is not None:
        progress(rows)
    return rows or None


class _Writer:
    """Takes batches of value tuples; raises the database's error once it refused one."""

    def put(self, batch: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Wait until every batch is written (or, after an error, just stop)."""


def _writer_for(
    connection: Connection, table: str, columns: Sequence[str], constants: Constants
) -> _Writer:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return _CopyWriter(connection, table, columns, constants)
    if dialect == "sqlite":
        return _ThreadWriter(_sqlite_json_insert(connection, table, columns, constants))
    return _ThreadWriter(_multirow_insert(connection, table, columns, constants))


def _sqlite_json_insert(
    connection: Connection, table: str, columns: Sequence[str], constants: Constants
) -> Callable[[list[tuple[Any, ...]]], None]:
    """One statement per batch: SQLite reads the rows out of a JSON array itself.

    The driver's own cursor, so the writer thread needs the GIL only to start and end each
    batch: while it waits for it, the database does nothing.
    """
    values = [f"json_extract(value, '$[{i}]')" for i in range(len(columns))]
    names = [*columns, *constants]
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608 - names from this package
        f"SELECT {', '.join([*values, *('?' * len(constants))])} FROM json_each(?)"
    )
    fixed = tuple(_processed(connection, type_, value) for type_, value in constants.values())
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def write(batch: list[tuple[Any, ...]]) -> None:
        cursor.execute(sql, (*fixed, orjson.dumps(batch).decode()))

    return write


def _multirow_insert(
    connection: Connection, table: str, columns: Sequence[str], constants: Constants
) -> Callable[[list[tuple[Any, ...]]], None]:
    """``executemany``, which PyMySQL sends as multi-row ``INSERT`` statements."""
    names = [*columns, *constants]
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608 - names from this package
        f"VALUES ({', '.join(['%s'] * len(names))})"
    )
    fixed = tuple(_processed(connection, type_, value) for type_, value in constants.values())

    def write(batch: list[tuple[Any, ...]]) -> None:
        connection.exec_driver_sql(sql, [(*row, *fixed) for row in batch])

    return write


def _processed(connection: Connection, type_: TypeEngine[Any], value: Any) -> Any:
    """``value`` as the driver takes it for a column of ``type_``."""
    process = type_.bind_processor(connection.dialect)
    return process(value) if process is not None else value


class _ThreadWriter(_Writer):
    """Runs ``write`` on each batch in a second thread, a few batches behind the reader."""

    def __init__(self, write: Callable[[list[tuple[Any, ...]]], None]) -> None:
        self.write = write
        self.batches: queue.Queue[list[tuple[Any, ...]] | None] = queue.Queue(QUEUED_BATCHES)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="osnova-import-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (batch := self.batches.get()) is not None:
            if self.error is None:
                try:
                    self.write(batch)
                except BaseException as exc:  # handed to the reading thread
                    self.error = exc

    def put(self, batch: list[tuple[Any, ...]]) -> None:
        self._raise_if_failed()
        self.batches.put(batch)

    def __exit__(self, *exc_info: object) -> None:
        self.batches.put(None)
        self.thread.join()
        if exc_info[0] is None:
            self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error


class _CopyWriter(_Writer):
    """One ``COPY … FROM STDIN`` for the whole file; the server works while we read on."""

    def __init__(
        self,
        connection: Connection,
        table: str,
        columns: Sequence[str],
        constants: Constants,
    ) -> None:
        names = ", ".join([*columns, *constants])
        raw: Any = connection.connection.driver_connection
        self.fixed = tuple(_processed(connection, t, v) for t, v in constants.values())
        self.cursor = raw.cursor()
        self.context = self.cursor.copy(f"COPY {table} ({names}) FROM STDIN")
        self.copy: Any = None

    def __enter__(self) -> _CopyWriter:
        self.copy = self.context.__enter__()
        return self

    def put(self, batch: list[tuple[Any, ...]]) -> None:
        write_row, fixed = self.copy.write_row, self.fixed
        for row in batch:
            write_row((*row, *fixed))

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self.context.__exit__(*exc_info)
        finally:
            self.cursor.close()
