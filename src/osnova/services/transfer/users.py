"""Importing and exporting accounts.

The key is ``username``. Password hashes move in as they are (argon2, bcrypt, scrypt, PBKDF2)
and become argon2id at the account's next login; an account without one signs in only after a
reset link. A plaintext ``password`` column is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import Boolean, Integer, String, bindparam, text
from sqlalchemy.orm import Session

from osnova.database import UTCDateTime, utcnow
from osnova.errors import PermissionDenied
from osnova.models import (
    EMAIL_MAX,
    FULL_NAME_MAX,
    USERNAME_CHARSET,
    USERNAME_MAX,
    USERNAME_MIN,
    Role,
    User,
)
from osnova.schemas import UserImport, simple_email
from osnova.services import audit, policy
from osnova.services.transfer.direct import load_directly
from osnova.services.transfer.engine import (
    PLAINTEXT_PASSWORD,
    Progress,
    Spec,
    duplicates_in_file,
    finish,
    record_import,
    report_rows,
    stage_file,
)
from osnova.services.transfer.exporting import export_chunks
from osnova.services.transfer.formats import Format
from osnova.services.transfer.report import ImportReport, OnConflict
from osnova.services.transfer.staging import STAGE

COLUMNS = ("username", "email", "full_name", "role", "is_active", "password_hash")
EXPORT_COLUMNS = COLUMNS[:5]
UPDATABLE = ("email", "full_name", "role", "is_active")
NOT_ALLOWED = "Importing and exporting accounts is for administrators."


def _to_stage(row: UserImport) -> tuple[Any, ...]:
    return (
        row.username,
        row.email,
        row.full_name,
        row.role,
        row.is_active,
        row.password_hash,
    )


CANONICAL_USERNAME = re.compile(f"[{USERNAME_CHARSET}]{{{USERNAME_MIN},{USERNAME_MAX}}}")
KNOWN = frozenset(COLUMNS)
ROLES = frozenset(role.value for role in Role)
BOOLEANS = {True: True, False: False, "true": True, "false": False}


def _canonical(row: dict[str, Any]) -> tuple[Any, ...] | None:
    """The staged values of a row already in the form ``UserImport`` would give it, else None.

    Bulk files are mostly such rows (an export writes nothing else); recognising them takes a
    fraction of a model validation. Anything unusual goes to the model, which decides and words
    the errors; a property test checks that both agree on every row this accepts.
    """
    username = row.get("username")
    full_name = row.get("full_name", "")
    role = row.get("role", "user")
    is_active = row.get("is_active", True)
    if (
        not row.keys() <= KNOWN
        or type(username) is not str
        or not CANONICAL_USERNAME.fullmatch(username)
        or type(full_name) is not str
        or len(full_name) > FULL_NAME_MAX
        or "\x00" in full_name
        or full_name != full_name.strip()
        or type(role) is not str
        or role not in ROLES
        or type(is_active) not in (str, bool)
        or is_active not in BOOLEANS
        or row.get("password_hash") not in (None, "")
    ):
        return None
    email = simple_email(row.get("email"))
    if email is None:
        return None
    return (username, email, full_name, role, BOOLEANS[is_active], None)


SPEC = Spec(
    kind="users",
    model=UserImport,
    columns=COLUMNS,
    required=("username", "email"),
    refused={"password": PLAINTEXT_PASSWORD, "id": "ids are assigned by the database"},
    stage_columns=(
        ("username", String(USERNAME_MAX)),
        ("email", String(EMAIL_MAX)),
        ("full_name", String(FULL_NAME_MAX)),
        ("role", String(16)),
        ("is_active", Boolean()),
        ("password_hash", String(255)),
    ),
    to_stage=_to_stage,
    canonical=_canonical,
)


def import_users(
    *,
    session: Session,
    actor: policy.Actor,
    stream: IO[bytes],
    fmt: Format,
    on_conflict: OnConflict = OnConflict.ERROR,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import accounts from ``stream``: all rows or none.

    The session's transaction ends here on failure or a dry run (rolled back, then the audit
    event is added); on success the caller commits the rows with the audit event.
    """
    if not policy.can(actor, policy.Permission.TRANSFER_DATA):
        raise PermissionDenied(NOT_ALLOWED)
    report = ImportReport("users", fmt.value, OnConflict(on_conflict), dry_run)
    if report.on_conflict is OnConflict.ERROR and not dry_run and stream.seekable():
        rows = load_directly(
            connection=session.connection(),
            stream=stream,
            fmt=fmt,
            spec=SPEC,
            table="users",
            constants={"created_at": (UTCDateTime(), utcnow()), "session_version": (Integer(), 0)},
            progress=progress,
        )
        if rows is not None:
            report.rows = report.created = rows
            record_import(session=session, report=report, actor=actor)
            return report
        session.rollback()  # the staged import below finds and explains the problem
        stream.seek(0)
    connection = session.connection()
    staged = stage_file(
        connection=connection, stream=stream, fmt=fmt, spec=SPEC, report=report, progress=progress
    )
    if report.on_conflict is OnConflict.UPDATE:
        _report_duplicates(session, report)
    _check_keys(session, report)
    report.sort_errors()

    def write() -> None:
        if report.on_conflict is OnConflict.UPDATE:
            _forget_devices_of_changed_accounts(session, staged.columns)
            _update_existing(session, staged.columns)
        _insert_new(session)

    finish(
        session=session,
        report=report,
        actor=actor,
        dry_run=dry_run,
        write=write,
        report_duplicates=lambda: _report_duplicates(session, report),
    )
    return report


def _report_duplicates(session: Session, report: ImportReport) -> None:
    for column in ("username", "email"):
        report_rows(
            session.connection(),
            report,
            duplicates_in_file(column),
            lambda row: f"{row[1]!r} is already on line {row[2]} of this file",
            column,
        )


def _check_keys(session: Session, report: ImportReport) -> None:
    connection = session.connection()
    existing = report_rows(
        connection,
        report if report.on_conflict is OnConflict.ERROR else None,
        ("s.line, s.username", f"FROM {STAGE} s JOIN users u ON u.username = s.username"),
        lambda row: f"an account named {row[1]!r} already exists",
        "username",
        conflict=True,
    )
    if report.on_conflict is OnConflict.SKIP:
        report.skipped = existing
    elif report.on_conflict is OnConflict.UPDATE:
        report.updated = existing
    # An email may only stay with its own account; a skipped row keeps nothing, so is no clash.
    skip_filter = (
        "AND NOT EXISTS (SELECT 1 FROM users x WHERE x.username = s.username) "
        if report.on_conflict is OnConflict.SKIP
        else ""
    )
    report_rows(
        connection,
        report,
        (
            "s.line, s.email",
            f"FROM {STAGE} s JOIN users u ON u.email = s.email "
            f"WHERE u.username <> s.username {skip_filter}",
        ),
        lambda row: f"the email {row[1]!r} belongs to another account",
        "email",
        conflict=True,
    )
    report.created = report.rows - existing


def _forget_devices_of_changed_accounts(session: Session, file_columns: frozenset[str]) -> None:
    """Forget the remembered devices of accounts whose email, role or password the file
    changes, or that it deactivates, as the account pages do for the same changes."""
    changes = []
    if "email" in file_columns:
        changes.append("u.email <> s.email")
    if "role" in file_columns:
        changes.append("u.role <> s.role")
    if "is_active" in file_columns:
        changes.append("(u.is_active = TRUE AND s.is_active = FALSE)")
    if "password_hash" in file_columns:
        changes.append(
            "(s.password_hash IS NOT NULL "
            "AND (u.password_hash IS NULL OR u.password_hash <> s.password_hash))"
        )
    if changes:
        session.execute(
            text(
                "DELETE FROM remembered_devices WHERE user_id IN "  # noqa: S608
                f"(SELECT u.id FROM users u JOIN {STAGE} s ON u.username = s.username "
                f"WHERE {' OR '.join(changes)})"
            )
        )


def _update_existing(session: Session, file_columns: frozenset[str]) -> None:
    """Set the columns the file has on the accounts it names; an empty hash keeps the old one."""
    names = [name for name in UPDATABLE if name in file_columns]
    # MariaDB updates through a join and names the target's columns by its alias; PostgreSQL
    # and SQLite update FROM the stage and name a SET column bare.
    if session.get_bind().dialect.name in ("mysql", "mariadb"):
        column, current = "u.{}", "u.password_hash"
        template = "UPDATE users u JOIN {stage} s ON u.username = s.username SET {sets}"
    else:
        column, current = "{}", "users.password_hash"
        template = "UPDATE users SET {sets} FROM {stage} s WHERE users.username = s.username"
    sets = [f"{column.format(name)} = s.{name}" for name in names]
    if "password_hash" in file_columns:
        sets.append(f"{column.format('password_hash')} = COALESCE(s.password_hash, {current})")
    if not sets:
        return
    sql = template.format(stage=STAGE, sets=", ".join(sets))
    session.execute(text(sql))


def _insert_new(session: Session) -> None:
    statement = text(
        "INSERT INTO users (username, email, full_name, role, is_active, password_hash, "  # noqa: S608
        "created_at, session_version) "
        "SELECT s.username, s.email, s.full_name, s.role, s.is_active, s.password_hash, :now, 0 "
        f"FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.username = s.username) "
        "ORDER BY s.line"
    ).bindparams(bindparam("now", type_=UTCDateTime()))
    session.execute(statement, {"now": utcnow()})


def export_users(
    *,
    session: Session,
    actor: policy.Actor,
    fmt: Format,
    include_password_hashes: bool = False,
) -> Iterator[bytes]:
    """The accounts, oldest first, encoded chunk by chunk (for a file or an HTTP response).

    Permission is checked and the audit event added now; the caller commits it. Rows are read
    with a server-side cursor while the iterator is consumed, so memory stays flat.
    """
    if not policy.can(actor, policy.Permission.TRANSFER_DATA):
        raise PermissionDenied(NOT_ALLOWED)
    columns = COLUMNS if include_password_hashes else EXPORT_COLUMNS
    audit.record(
        session=session,
        action="export.users",
        actor=actor if isinstance(actor, User) else None,
        details={"format": fmt.value, "password_hashes": include_password_hashes},
    )
    return export_chunks(
        session,
        [getattr(User, name) for name in columns],
        columns,
        fmt,
        key=User.id,
    )
