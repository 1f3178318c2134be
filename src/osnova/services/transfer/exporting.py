"""Export queries streamed straight from the driver's cursor.

For CSV the database does the per-cell work (booleans as ``true``/``false``, the apostrophe
before a formula). PostgreSQL writes the whole file with ``COPY``; SQLite writes each page of
lines with ``printf`` and ``group_concat``, so Python handles one string per few thousand rows;
on MariaDB the rows reach the csv module as plain strings. Rows are read with a server-side
cursor (PostgreSQL, MariaDB) or page by page (SQLite), so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import Compiled

from osnova.services.transfer.formats import (
    ESCAPE,
    FORMULA_TRIGGERS,
    Format,
    write_csv_batches,
    write_rows,
)

FETCH_ROWS = 5_000
COPY_CHUNK_BYTES = 65_536
SQLITE_PAGE_ROWS = 5_000
# Every formula trigger and the apostrophe sort before "A" (code point 65).
BELOW_TRIGGERS = ord("A")
# Code points as SQL literals: SQLite's page statement is compiled once, so no expanding IN.
_TRIGGER_CODES: list[ColumnElement[Any]] = [literal_column(str(ord(c))) for c in FORMULA_TRIGGERS]
_ESCAPED_CODES = [*_TRIGGER_CODES, literal_column(str(ord(ESCAPE)))]


def _neutralised(column: Any, code_of: Any) -> ColumnElement[Any]:
    """The cell behind an apostrophe when it starts like a formula, as ``formats.escape_cell``
    does (a test checks every kind of cell round-trips).

    ``code_of`` is the dialect's function for a text's first character code (SQLite's
    ``unicode``, ``ascii`` elsewhere). Every trigger sorts before ``A``, so most cells stop at
    the first comparison.
    """
    first = code_of(column)
    risky = and_(
        first < BELOW_TRIGGERS,
        or_(
            first.in_(_TRIGGER_CODES),
            and_(first == ord(ESCAPE), code_of(func.substr(column, 2)).in_(_ESCAPED_CODES)),
        ),
    )
    return case((risky, literal(ESCAPE) + column), else_=column)


def csv_cell(column: Any) -> ColumnElement[Any]:
    """The column as CSV text for PostgreSQL and MariaDB: booleans spelled out, formulas
    neutralised."""
    if isinstance(column.type, Boolean):
        return case((column, "true"), else_="false")
    return _neutralised(column, func.ascii)


def _compiled(session: Session, query: Select[Any], *, reused: bool = False) -> Compiled:
    """The query as the driver's SQL. Expanding IN lists are rendered in place, unless the
    statement is ``reused`` with new values (it must then have none)."""
    dialect = session.get_bind().dialect
    return query.compile(dialect=dialect, compile_kwargs={"render_postcompile": not reused})


def _params(compiled: Compiled, **values: Any) -> Any:
    """The parameters in the driver's shape (a tuple for ``?``, a dict for ``%(name)s``)."""
    bound: Any = compiled.construct_params(values) if values else compiled.params
    positions = getattr(compiled, "positiontup", None)
    return tuple(bound[name] for name in positions) if positions is not None else bound


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def stream_batches(session: Session, query: Select[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of row tuples from the driver, through a server-side cursor where there is one."""
    dialect = session.get_bind().dialect
    compiled = _compiled(session, query)
    raw = _driver_connection(session)
    if dialect.name == "postgresql":
        # The cursor is read to the end: plan for all rows, not for the first tenth.
        session.connection().exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
        cursor = raw.cursor(name="osnova_export")
    elif dialect.name in ("mysql", "mariadb"):
        from pymysql.cursors import SSCursor  # noqa: PLC0415 - only on MariaDB

        cursor = raw.cursor(SSCursor)
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(compiled.string, _params(compiled))
        while batch := cursor.fetchmany(FETCH_ROWS):
            yield batch
    finally:
        cursor.close()


def sqlite_csv_cell(column: Any) -> tuple[str, ColumnElement[Any]]:
    """A ``printf`` conversion and its argument: every text cell quoted (``%w`` doubles the
    quotes inside), formulas neutralised."""
    if isinstance(column.type, Boolean):
        return "%s", case((column, "true"), else_="false")
    return '"%w"', func.coalesce(_neutralised(column, func.unicode), "")


def sqlite_csv(
    session: Session,
    columns: list[Any],
    names: tuple[str, ...],
    narrow: Callable[[Select[Any]], Select[Any]],
    key: Any,
) -> Iterator[bytes]:
    """CSV written by SQLite, a page of lines per query, keyset-paged on ``key``.

    The page is a subquery ordered by ``key``, which SQLite feeds to ``group_concat`` in that
    order; each page starts after the last key of the one before, so no row is read twice.
    """
    conversions, arguments = zip(*(sqlite_csv_cell(column) for column in columns), strict=True)
    line = func.printf(",".join(conversions) + "\r\n", *arguments)
    page = (
        narrow(select(line.label("line"), key.label("key")))
        .where(key > bindparam("after", 0))
        .order_by(key)
        .limit(SQLITE_PAGE_ROWS)
        .subquery()
    )
    query = select(func.group_concat(page.c.line, ""), func.max(page.c.key))
    compiled = _compiled(session, query, reused=True)
    raw = _driver_connection(session)
    yield (",".join(names) + "\r\n").encode()
    after: Any = 0
    while True:
        text, last = raw.execute(compiled.string, _params(compiled, after=after)).fetchone()
        if last is None:
            return
        yield text.encode()
        after = last


def copy_csv(session: Session, query: Select[Any]) -> Iterator[bytes]:
    """PostgreSQL writes the CSV itself (``COPY … TO STDOUT``), as fast as ``\\copy``.

    COPY takes no server-side parameters: psycopg binds them on the client, quoting each value.
    """
    compiled = _compiled(session, query)
    statement = f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv, HEADER)"
    with (
        _driver_connection(session).cursor() as cursor,
        cursor.copy(statement, _params(compiled)) as copy,
    ):
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
    *,
    key: Any,
    narrow: Callable[[Select[Any]], Select[Any]] = lambda query: query,
) -> Iterator[bytes]:
    """Encoded chunks of ``select(columns)`` with ``narrow``'s joins and filters, in ``key``
    order (a unique column such as the primary key)."""
    dialect = session.get_bind().dialect.name
    if fmt is Format.CSV and dialect == "sqlite":
        return sqlite_csv(session, columns, names, narrow, key)
    if fmt is Format.CSV:
        cells = (csv_cell(column).label(name) for column, name in zip(columns, names, strict=True))
        query = narrow(select(*cells)).order_by(key)
        if dialect == "postgresql":
            return copy_csv(session, query)
        return write_csv_batches(stream_batches(session, query), names)
    booleans = tuple(i for i, column in enumerate(columns) if isinstance(column.type, Boolean))
    query = narrow(select(*columns)).order_by(key)
    return write_rows(normalise_booleans(stream_batches(session, query), booleans), fmt, names)
