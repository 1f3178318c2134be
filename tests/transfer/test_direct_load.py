"""The direct load (rows straight into the table while the file is read) and the staged import
give the same outcome, and a problem found after some batches went in leaves nothing behind."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from osnova import deadline
from osnova.errors import DeadlineExceeded
from osnova.models import User
from osnova.services import policy, transfer
from osnova.services.transfer import Format, ImportReport
from osnova.services.transfer.direct import BATCH_ROWS
from tests.support.factories import UserFactory
from tests.transfer.helpers import users_table

ROWS = BATCH_ROWS * 2 + 500  # several batches are written before the last row is read


class OneWayStream(io.RawIOBase):
    """An upload that can be read only once, like a raw HTTP body: the staged path runs."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        return self.data.readinto(buffer)


def users_csv(rows: int, last: str | None = None) -> bytes:
    lines = ["username,email,full_name,role,is_active"]
    lines += [f"user{n},user{n}@example.org,User {n},user,true" for n in range(rows)]
    if last is not None:
        lines.append(last)
    return ("\n".join(lines) + "\n").encode()


def run_import(session: Session, data: bytes, *, seekable: bool = True) -> ImportReport:
    stream: Any = io.BytesIO(data) if seekable else io.BufferedReader(OneWayStream(data))
    report = transfer.import_rows(
        kind="users", session=session, actor=policy.SYSTEM, stream=stream, fmt=Format.CSV
    )
    session.commit()
    return report


def test_a_clash_after_several_written_batches_leaves_the_table_unchanged(
    session: Session,
) -> None:
    UserFactory(username="taken", email="taken@example.org")
    session.commit()
    before = users_table(session)
    clash = "taken,someone@example.org,Late Clash,user,true"

    report = run_import(session, users_csv(ROWS, last=clash))

    assert users_table(session) == before
    assert not report.ok
    assert report.created == 0
    assert [(e.line, e.column) for e in report.errors] == [(ROWS + 2, "username")]
    assert "already exists" in report.errors[0].message


def test_a_duplicate_inside_a_big_file_is_reported_with_both_lines(session: Session) -> None:
    report = run_import(session, users_csv(ROWS, last="user7,other@example.org,Again,user,true"))

    assert users_table(session) == []
    assert [(e.line, e.column) for e in report.errors] == [(ROWS + 2, "username")]
    assert "line 9" in report.errors[0].message


def test_a_bad_last_row_of_a_big_file_writes_nothing(session: Session) -> None:
    report = run_import(session, users_csv(ROWS, last="x,not-an-email,,user,true"))

    assert users_table(session) == []
    assert {e.column for e in report.errors} == {"username", "email"}
    assert {e.line for e in report.errors} == {ROWS + 2}


def test_a_stream_read_once_imports_the_same_rows_as_a_file(session: Session) -> None:
    data = users_csv(300, last="olena,Olena@Example.org,  Олена  ,moderator,false")

    direct = run_import(session, data)
    loaded_directly = users_table(session)
    session.execute(delete(User))
    session.commit()
    staged = run_import(session, data, seekable=False)

    assert (direct.created, staged.created) == (301, 301)
    assert users_table(session) == loaded_directly
    assert ("olena", "olena@example.org", "Олена", "moderator", False, None) in loaded_directly


# Enough work for SQLite's progress handler to be called many times.
LONG_STATEMENT = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000) "
    "SELECT count(*) FROM n"
)


def test_the_connection_still_stops_at_a_deadline_after_a_load(session: Session) -> None:
    """The load's writer runs without SQLite's progress handler; the connection it used
    serves requests next, whose statements must still end at their deadline."""
    report = transfer.import_rows(
        kind="users",
        session=session,
        actor=policy.SYSTEM,
        stream=io.BytesIO(users_csv(ROWS)),
        fmt=Format.CSV,
    )
    assert report.created == ROWS
    connection = session.connection()  # the transaction the load wrote in, still open
    deadline.start(0)
    try:
        with pytest.raises(DeadlineExceeded):
            connection.execute(text(LONG_STATEMENT))
    finally:
        deadline.clear()
    session.rollback()
