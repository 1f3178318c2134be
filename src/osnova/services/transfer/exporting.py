"""Export queries streamed straight from the driver's cursor.

For CSV the database does the per-cell work (booleans as ``true``/``false``, the apostrophe
before a formula), so the rows reach the csv module as plain strings and Python touches each
row once. Rows are read with a server-side cursor (PostgreSQL, MariaDB) or SQLite's lazy one,
in batches, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from osnova.services.transfer.formats import (
    ESCAPE,
    FORMULA_TRIGGERS,
    Format,
    write_csv_batches,
    write_rows,
)

FETCH_ROWS = 5_000
COPY_CHUNK_BYTES = 65_536


def csv_cell(column: Any) -> ColumnElement[Any]:
    """The column as CSV text: booleans spelled out, formulas behind an apostrophe.

    Mirrors ``formats.escape_cell`` (a test checks every kind of cell round-trips).
    """
    if isinstance(column.type, Boolean):
        return case((column, "true"), else_="false")
    first, second = func.substr(column, 1, 1), func.substr(column, 2, 1)
    risky = or_(
        first.in_(FORMULA_TRIGGERS),
        and_(first == ESCAPE, second.in_((*FORMULA_TRIGGERS, ESCAPE))),
    )
    return case((risky, literal(ESCAPE) + column), else_=column)


def stream_batches(session: Session, query: Select[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of row tuples from the driver, through a server-side cursor where there is one."""
    connection = session.connection()
    dialect = connection.dialect
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params: Any = (
        tuple(compiled.params[name] for name in compiled.positiontup or ())
        if compiled.positional
        else compiled.params
    )
    raw: Any = connection.connection.driver_connection
    if dialect.name == "postgresql":
        # The cursor is read to the end: plan for all rows, not for the first tenth.
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
        cursor = raw.cursor(name="osnova_export")
    elif dialect.name in ("mysql", "mariadb"):
        from pymysql.cursors import SSCursor  # noqa: PLC0415 - only on MariaDB

        cursor = raw.cursor(SSCursor)
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(compiled.string, params)
        while batch := cursor.fetchmany(FETCH_ROWS):
            yield batch
    finally:
        cursor.close()


def copy_csv(session: Session, query: Select[Any]) -> Iterator[bytes]:
    """PostgreSQL writes the CSV itself (``COPY … TO STDOUT``), as fast as ``\\copy``.

    COPY takes no server-side parameters: psycopg binds them on the client, quoting each value.
    """
    connection = session.connection()
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    raw: Any = connection.connection.driver_connection
    statement = f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv, HEADER)"
    with raw.cursor() as cursor, cursor.copy(statement, compiled.params) as copy:
        # COPY hands over one row at a time: pass them on in chunks, not a write per row.
        chunk = bytearray()
        for data in copy:
            chunk += data
            if len(chunk) >= COPY_CHUNK_BYTES:
                yield bytes(chunk)
                chunk.clear()
        yield bytes(chunk)


def normalise_booleans(
    batches: Iterator[list[tuple[Any, ...]]], boolean_positions: tuple[int, ...]
) -> Iterator[tuple[Any, ...]]:
    """Rows with real booleans (SQLite and MariaDB return 0/1), for JSON."""
    for batch in batches:
        for row in batch:
            if boolean_positions:
                values = list(row)
                for position in boolean_positions:
                    values[position] = bool(values[position])
                yield tuple(values)
            else:
                yield row


def export_chunks(
    session: Session,
    columns: list[Any],
    names: tuple[str, ...],
    fmt: Format,
    shape: Callable[[Select[Any]], Select[Any]],
) -> Iterator[bytes]:
    """Encoded chunks of ``select(columns)`` shaped by ``shape`` (joins, filters, order)."""
    if fmt is Format.CSV:
        cells = (csv_cell(column).label(name) for column, name in zip(columns, names, strict=True))
        query = shape(select(*cells))
        if session.get_bind().dialect.name == "postgresql":
            return copy_csv(session, query)
        return write_csv_batches(stream_batches(session, query), names)
    booleans = tuple(i for i, column in enumerate(columns) if isinstance(column.type, Boolean))
    rows = normalise_booleans(stream_batches(session, shape(select(*columns))), booleans)
    return write_rows(rows, fmt, names)
