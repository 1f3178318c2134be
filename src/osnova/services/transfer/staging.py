"""The staging table: validated rows go into a temporary table at the loader's speed, then
set-based SQL checks uniqueness and writes the real table in the same transaction.

SQLite and MariaDB load it with ``executemany`` on the driver; PostgreSQL with ``COPY``.
Every statement binds its values; table and column names come from this package only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, Table
from sqlalchemy.types import TypeEngine

from osnova.database import MYSQL_TABLE_OPTIONS

STAGE = "transfer_stage"


def create_stage(connection: Connection, columns: Sequence[tuple[str, TypeEngine[Any]]]) -> None:
    """A fresh, empty temporary table ``transfer_stage(line, *columns)`` on this connection."""
    drop_stage(connection)
    stage_columns: list[Any] = [Column(name, type_) for name, type_ in columns]
    options: dict[str, Any] = dict(MYSQL_TABLE_OPTIONS)
    table = Table(
        STAGE,
        MetaData(),
        Column("line", Integer, nullable=False),
        *stage_columns,
        prefixes=["TEMPORARY"],
        **options,
    )
    table.create(connection)


def drop_stage(connection: Connection) -> None:
    """Drop the table; on MariaDB ``DROP TEMPORARY`` keeps the transaction open."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{STAGE}")
    elif dialect == "postgresql":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
    else:
        connection.exec_driver_sql(f"DROP TEMPORARY TABLE IF EXISTS {STAGE}")


class StageLoader:
    """Appends batches of tuples ``(line, *columns)`` to the staging table."""

    def __init__(self, connection: Connection, columns: Sequence[str]) -> None:
        self.connection = connection
        names = ", ".join(("line", *columns))
        self.dialect = connection.dialect.name
        if self.dialect == "postgresql":
            self.copy_sql = f"COPY {STAGE} ({names}) FROM STDIN"
        else:
            mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
            marks = ", ".join([mark] * (len(columns) + 1))
            self.insert_sql = f"INSERT INTO {STAGE} ({names}) VALUES ({marks})"  # noqa: S608

    def load(self, batch: list[tuple[Any, ...]]) -> None:
        if not batch:
            return
        if self.dialect == "postgresql":
            self._copy(batch)
        else:
            self.connection.exec_driver_sql(self.insert_sql, batch)

    def _copy(self, batch: list[tuple[Any, ...]]) -> None:
        raw: Any = self.connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
            for row in batch:
                copy.write_row(row)
