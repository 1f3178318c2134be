"""``osnova import`` and ``osnova export`` from the terminal."""

from __future__ import annotations

import csv
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from osnova.models import AuditEvent
from osnova.services import transfer
from tests.support.factories import UserFactory
from tests.transfer.helpers import NEW_KEY, items_table, users_table, with_new_keys_named

USERS = "username,email,full_name\nann,ann@example.org,Ann\nbob,bob@example.org,Bob\n"


def test_import_then_export_users_through_the_cli(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    source = tmp_path / "users.csv"
    source.write_text(USERS)
    result = runner.invoke(args=["import", "users", str(source), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2 would be created" in result.output
    assert users_table(session) == []
    result = runner.invoke(args=["import", "users", str(source)])
    assert result.exit_code == 0, result.output
    assert "2 were created" in result.output
    assert [row[0] for row in users_table(session)] == ["ann", "bob"]

    output = tmp_path / "out.jsonl"
    result = runner.invoke(args=["export", "users", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text().count("\n") == 2
    assert '"username":"ann"' in output.read_text()
    result = runner.invoke(args=["export", "users"])
    assert result.output.splitlines()[0] == "username,email,full_name,role,is_active"
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["import.users", "import.users", "export.users", "export.users"]


def test_a_failed_import_exits_1_and_names_the_line(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    source = tmp_path / "users.json"
    source.write_text('[{"username": "ann", "email": "nope"}]')
    result = runner.invoke(args=["import", "users", str(source)])
    assert result.exit_code == 1
    assert "line 1, column email" in result.output
    assert "nothing was written" in result.output
    assert users_table(session) == []


def test_import_as_a_user_makes_the_items_theirs(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    UserFactory(username="ann", role="user")
    source = tmp_path / "items.csv"
    source.write_text("title,is_public\nLamp,true\n")
    result = runner.invoke(args=["import", "items", str(source), "--as", "ann"])
    assert result.exit_code == 0, result.output
    assert with_new_keys_named(items_table(session)) == [(NEW_KEY, "Lamp", "", True, "ann")]
    result = runner.invoke(args=["import", "users", str(source), "--as", "ann"])
    assert result.exit_code == 1
    assert "administrators" in result.output


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder for exports (the test database lives in ``tmp_path``)."""
    exports = tmp_path / "exports"
    exports.mkdir()
    return exports


def test_an_export_file_appears_whole_and_for_its_owner_only(
    runner: FlaskCliRunner, session: Session, folder: Path
) -> None:
    UserFactory(username="ann")
    output = folder / "users.csv"
    result = runner.invoke(args=["export", "users", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert next(csv.DictReader(output.read_text().splitlines()))["username"] == "ann"
    assert output.stat().st_mode & 0o777 == 0o600
    assert [path.name for path in folder.iterdir()] == ["users.csv"]


def test_an_export_that_fails_half_way_leaves_the_earlier_file_as_it_was(
    runner: FlaskCliRunner, session: Session, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_export(**_options: Any) -> Iterator[bytes]:
        yield b"username,email,full_name,role,is_active\r\n"
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(transfer, "export_rows", broken_export)
    output = folder / "users.csv"
    output.write_text("the earlier export\n")
    result = runner.invoke(args=["export", "users", "--output", str(output)])
    assert result.exit_code != 0
    assert output.read_text() == "the earlier export\n"
    assert [path.name for path in folder.iterdir()] == ["users.csv"]


def test_an_export_into_a_missing_folder_is_a_clear_error(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(args=["export", "users", "--output", str(tmp_path / "no" / "u.csv")])
    assert result.exit_code == 1
    assert "cannot write" in result.output
    assert "No such file or directory" in result.output


def test_an_export_into_a_named_pipe_writes_through_it_and_leaves_the_pipe(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    UserFactory(username="ann")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    result = runner.invoke(args=["export", "users", "--output", str(pipe)])
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert b"ann@" in received[0]
    assert stat.S_ISFIFO(pipe.stat().st_mode)  # still a pipe, not replaced by a file


def test_an_export_through_a_symlink_fills_its_target_and_keeps_the_link(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    UserFactory(username="ann")
    target = tmp_path / "target.csv"
    target.write_text("old\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    result = runner.invoke(args=["export", "users", "--output", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert "ann" in target.read_text()
