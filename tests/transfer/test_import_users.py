"""Importing accounts: semantics of conflicts, dry runs, atomicity and the audit trail."""

from __future__ import annotations

import bcrypt
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.models import AuditEvent, User
from osnova.security import verify_password
from osnova.services import sign_in
from osnova.services.transfer import Format, OnConflict
from tests.support.factories import UserFactory
from tests.transfer.helpers import errors_of, import_text, users_table

CSV = (
    "email,username,is_active,role,full_name\r\n"
    "ann@example.org,Ann,true,admin,Ann Example\r\n"
    'bob@example.org,bob,false,user,"Bob\r\non two lines"\r\n'
)


def test_csv_in_any_column_order_with_a_quoted_newline(session: Session) -> None:
    report = import_text(session, "users", CSV)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.skipped) == (2, 0, 0)
    assert users_table(session) == [
        ("ann", "ann@example.org", "Ann Example", "admin", True, None),
        ("bob", "bob@example.org", "Bob\r\non two lines", "user", False, None),
    ]


def test_a_utf8_bom_is_accepted(session: Session) -> None:
    report = import_text(
        session, "users", "\ufeffusername,email\nанна_no,x@example.org\nann,a@example.org\n"
    )
    assert errors_of(report) == [(2, "username")]
    report = import_text(session, "users", "\ufeffusername,email\nann,a@example.org\n")
    assert report.ok
    assert users_table(session)[0][:2] == ("ann", "a@example.org")


def test_last_row_invalid_leaves_the_database_unchanged(session: Session) -> None:
    UserFactory(username="keep", email="keep@example.org")
    before = users_table(session)
    report = import_text(session, "users", CSV + "zed,not-an-email,true,user,Zed\r\n")
    assert not report.ok
    assert report.errors[0].line == 5
    assert report.errors[0].column == "email"
    assert report.created == 0
    assert users_table(session) == before


def test_conflicts_error_skip_and_update(session: Session) -> None:
    UserFactory(username="ann", email="ann@example.org", full_name="Old", role="user")
    report = import_text(session, "users", CSV)
    assert errors_of(report) == [(2, "username")]
    assert "already exists" in report.errors[0].message
    assert len(users_table(session)) == 1

    report = import_text(session, "users", CSV, on_conflict=OnConflict.SKIP)
    assert (report.created, report.skipped, report.updated) == (1, 1, 0)
    assert users_table(session)[0][2:4] == ("Old", "user")

    report = import_text(session, "users", CSV, on_conflict=OnConflict.UPDATE)
    assert (report.created, report.skipped, report.updated) == (0, 0, 2)
    ann = users_table(session)[0]
    assert ann[2:4] == ("Ann Example", "admin")
    assert ann[5] is not None  # the file had no hash column: the old hash stays


def test_an_email_of_another_account_is_a_row_error(session: Session) -> None:
    UserFactory(username="someone", email="ann@example.org")
    report = import_text(session, "users", CSV, on_conflict=OnConflict.UPDATE)
    assert errors_of(report) == [(2, "email")]
    assert "belongs to another account" in report.errors[0].message


def test_duplicates_inside_the_file_are_reported_by_line(session: Session) -> None:
    content = "username,email\nann,a@example.org\nbob,b@example.org\nANN,c@example.org\n"
    for dry_run in (True, False):
        report = import_text(session, "users", content, dry_run=dry_run)
        assert errors_of(report) == [(4, "username")]
        assert "line 2" in report.errors[0].message
    assert users_table(session) == []


def test_dry_run_writes_nothing_and_reports_the_same(session: Session) -> None:
    dry = import_text(session, "users", CSV, dry_run=True)
    assert users_table(session) == []
    real = import_text(session, "users", CSV)
    assert (dry.ok, dry.created, dry.rows) == (real.ok, real.created, real.rows) == (True, 2, 2)
    assert len(users_table(session)) == 2


def test_each_import_writes_an_audit_event(session: Session) -> None:
    import_text(session, "users", CSV, dry_run=True)
    import_text(session, "users", "username,email\nxyz,bad\n")
    import_text(session, "users", CSV)
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["import.users"] * 3
    assert [(e.details["dry_run"], e.details["errors"], e.details["created"]) for e in events] == [
        (True, 0, 2),
        (False, 1, 0),
        (False, 0, 2),
    ]


def test_a_plaintext_password_column_is_refused(session: Session) -> None:
    report = import_text(
        session, "users", "username,email,password\nann,a@example.org,hunter2hunter2\n"
    )
    assert errors_of(report) == [(1, "password")]
    assert "password_hash" in report.errors[0].message
    report = import_text(
        session,
        "users",
        '[{"username": "ann", "email": "a@example.org", "password": "x"}]',
        Format.JSON,
    )
    assert errors_of(report) == [(1, "password")]
    assert users_table(session) == []


def test_an_unrecognised_hash_is_a_row_error(session: Session) -> None:
    report = import_text(
        session, "users", "username,email,password_hash\nann,a@example.org,md5:abc\n"
    )
    assert errors_of(report) == [(2, "password_hash")]
    assert "recognised format" in report.errors[0].message


def test_an_imported_bcrypt_hash_logs_in_and_becomes_argon2id(
    app: Flask, session: Session, settings: Settings
) -> None:
    foreign = bcrypt.hashpw(b"a long imported passphrase", bcrypt.gensalt(rounds=4)).decode()
    report = import_text(
        session, "users", f"username,email,password_hash\nann,a@example.org,{foreign}\n"
    )
    assert report.ok, report.errors
    user = sign_in.authenticate(
        session=session,
        settings=settings,
        login="ann",
        password="a long imported passphrase",
        remote_addr=None,
    )
    session.commit()
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(settings, user.password_hash, "a long imported passphrase")


def test_an_account_without_a_hash_cannot_log_in(session: Session, settings: Settings) -> None:
    import_text(session, "users", "username,email\nann,a@example.org\n")
    user = session.scalar(select(User).where(User.username == "ann"))
    assert user is not None
    assert user.password_hash is None
    with pytest.raises(sign_in.InvalidCredentials):
        sign_in.authenticate(
            session=session, settings=settings, login="ann", password="", remote_addr=None
        )


def test_the_report_lists_the_first_1000_errors_and_counts_all(session: Session) -> None:
    bad = "username,email\n" + "".join(f"user{n},not-an-email\n" for n in range(1_100))
    report = import_text(session, "users", bad)
    assert (report.error_count, len(report.errors)) == (1_100, 1_000)
    assert report.errors[0].line == 2

    good = "username,email\n" + "".join(f"user{n},u{n}@example.org\n" for n in range(1_100))
    assert import_text(session, "users", good).ok
    report = import_text(session, "users", good)
    assert (report.error_count, len(report.errors)) == (1_100, 1_000)
    assert [error.line for error in report.errors[:2]] == [2, 3]
