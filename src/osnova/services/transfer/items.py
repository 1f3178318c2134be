"""Importing and exporting items.

The key is ``external_id``: every item has one, and every export writes it, so importing an
export again matches the same items. A row without one is a new item and gets a new key.
Owners are usernames, resolved by the database in one join; an unknown owner is a row error.
Admins import for anyone; other accounts import items as their own and may not name an owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import IO, Any

from sqlalchemy import Boolean, Select, String, Text, bindparam, text
from sqlalchemy.orm import Session

from osnova.database import UTCDateTime, utcnow
from osnova.errors import PermissionDenied
from osnova.models import EXTERNAL_ID_MAX, TITLE_MAX, USERNAME_MAX, Item, User, new_external_id
from osnova.schemas import ItemImport
from osnova.services import audit, policy
from osnova.services.transfer.engine import (
    Progress,
    Spec,
    duplicates_in_file,
    finish,
    report_rows,
    stage_file,
)
from osnova.services.transfer.exporting import export_chunks
from osnova.services.transfer.formats import Format
from osnova.services.transfer.report import ImportReport, OnConflict
from osnova.services.transfer.staging import STAGE

COLUMNS = ("external_id", "title", "description", "is_public", "owner")
NOT_ALLOWED = "You may not import or export items."
ID_REFUSED = "ids are assigned by the database: use external_id to match rows"
OWNER_REFUSED = "only administrators may name an owner: your items are imported as your own"
OWNER_REQUIRED = "owner is required (a username)"

SPEC = Spec(
    kind="items",
    model=ItemImport,
    columns=COLUMNS,
    required=("title",),
    refused={"id": ID_REFUSED},
    stage_columns=(
        ("external_id", String(EXTERNAL_ID_MAX)),
        ("title", String(TITLE_MAX)),
        ("description", Text()),
        ("is_public", Boolean()),
        ("owner", String(USERNAME_MAX)),
    ),
    to_stage=lambda _row: (),
)


def _spec_for(actor: policy.Actor) -> Spec:
    """Admins name owners (their own by default); others own every row they import."""
    default_owner = actor.username if isinstance(actor, User) else None
    admin = policy.can(actor, policy.Permission.TRANSFER_DATA)

    def to_stage(row: ItemImport) -> tuple[Any, ...] | str:
        owner = row.owner or default_owner
        if owner is None:
            return OWNER_REQUIRED
        # A row without a key gets a new one, as an item made any other way does.
        external_id = row.external_id or new_external_id()
        return (external_id, row.title, row.description, row.is_public, owner)

    if admin:
        return replace(SPEC, to_stage=to_stage)
    return replace(SPEC, to_stage=to_stage, refused={**SPEC.refused, "owner": OWNER_REFUSED})


def import_items(
    *,
    session: Session,
    actor: policy.Actor,
    stream: IO[bytes],
    fmt: Format,
    on_conflict: OnConflict = OnConflict.ERROR,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import items from ``stream``: all rows or none (transaction as for ``import_users``)."""
    if not policy.can(actor, policy.Permission.MANAGE_OWN_ITEMS) and not policy.can(
        actor, policy.Permission.TRANSFER_DATA
    ):
        raise PermissionDenied(NOT_ALLOWED)
    report = ImportReport("items", fmt.value, OnConflict(on_conflict), dry_run)
    stage_file(
        connection=session.connection(),
        stream=stream,
        fmt=fmt,
        spec=_spec_for(actor),
        report=report,
        progress=progress,
    )
    if report.on_conflict is OnConflict.UPDATE:
        _report_duplicates(session, report)
    admin = policy.can(actor, policy.Permission.TRANSFER_DATA)
    _check_keys(session, report, owner_id=None if admin else getattr(actor, "id", None))
    report.sort_errors()

    def write() -> None:
        now = utcnow()
        if report.on_conflict is OnConflict.UPDATE:
            _update_existing(session, now)
        _insert_new(session, now)

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
    report_rows(
        session.connection(),
        report,
        duplicates_in_file("external_id"),
        lambda row: f"{row[1]!r} is already on line {row[2]} of this file",
        "external_id",
    )


def _check_keys(session: Session, report: ImportReport, *, owner_id: int | None) -> None:
    connection = session.connection()
    report_rows(
        connection,
        report,
        (
            "s.line, s.owner",
            f"FROM {STAGE} s "  # noqa: S608
            "WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.username = s.owner)",
        ),
        lambda row: f"no account is named {row[1]!r}",
        "owner",
    )
    if owner_id is not None:
        report_rows(
            connection,
            report,
            (
                "s.line, s.external_id",
                f"FROM {STAGE} s JOIN items i ON i.external_id = s.external_id "
                "WHERE i.owner_id <> :owner_id",
            ),
            lambda row: f"{row[1]!r} is the external_id of an item you do not own",
            "external_id",
            conflict=True,
            owner_id=owner_id,
        )
    # Someone else's item is reported above; what is left is the rows that match an item
    # the actor may import over (any item for an admin).
    own = "" if owner_id is None else " WHERE i.owner_id = :owner_id"
    existing = report_rows(
        connection,
        report if report.on_conflict is OnConflict.ERROR else None,
        (
            "s.line, s.external_id",
            f"FROM {STAGE} s JOIN items i ON i.external_id = s.external_id{own}",
        ),
        lambda row: f"an item with {row[1]!r} already exists",
        "external_id",
        conflict=True,
        **({} if owner_id is None else {"owner_id": owner_id}),
    )
    if report.on_conflict is OnConflict.SKIP:
        report.skipped = existing
    elif report.on_conflict is OnConflict.UPDATE:
        report.updated = existing
    report.created = report.rows - existing


def _update_existing(session: Session, now: Any) -> None:
    dialect = session.get_bind().dialect.name
    if dialect in ("mysql", "mariadb"):
        sql = (
            f"UPDATE items i JOIN {STAGE} s ON i.external_id = s.external_id "  # noqa: S608
            "JOIN users u ON u.username = s.owner SET i.title = s.title, "
            "i.description = s.description, i.is_public = s.is_public, i.owner_id = u.id, "
            "i.updated_at = :now"
        )
    else:
        sql = (
            "UPDATE items SET title = s.title, description = s.description, "  # noqa: S608
            "is_public = s.is_public, owner_id = u.id, updated_at = :now "
            f"FROM {STAGE} s JOIN users u ON u.username = s.owner "
            "WHERE items.external_id = s.external_id"
        )
    statement = text(sql).bindparams(bindparam("now", type_=UTCDateTime()))
    session.execute(statement, {"now": now})


def _insert_new(session: Session, now: Any) -> None:
    statement = text(
        "INSERT INTO items (owner_id, title, description, is_public, external_id, "  # noqa: S608
        "created_at, updated_at) "
        "SELECT u.id, s.title, s.description, s.is_public, s.external_id, :now, :now "
        f"FROM {STAGE} s JOIN users u ON u.username = s.owner "
        "WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.external_id = s.external_id) "
        "ORDER BY s.line"
    ).bindparams(bindparam("now", type_=UTCDateTime()))
    session.execute(statement, {"now": now})


def export_items(*, session: Session, actor: policy.Actor, fmt: Format) -> Iterator[bytes]:
    """Items, oldest first, encoded chunk by chunk: everyone's for an admin (with the owner
    column), else the actor's own (without it, so the file re-imports as theirs)."""
    admin = policy.can(actor, policy.Permission.TRANSFER_DATA)
    if not admin and not policy.can(actor, policy.Permission.MANAGE_OWN_ITEMS):
        raise PermissionDenied(NOT_ALLOWED)
    audit.record(
        session=session,
        action="export.items",
        actor=actor if isinstance(actor, User) else None,
        details={"format": fmt.value, "all_owners": admin},
    )
    columns: list[Any] = [Item.external_id, Item.title, Item.description, Item.is_public]
    if admin:
        columns.append(User.username)
    owner_id = getattr(actor, "id", None)

    def narrow(query: Select[Any]) -> Select[Any]:
        if admin:
            return query.join_from(Item, User, Item.owner_id == User.id)
        return query.where(Item.owner_id == owner_id)

    return export_chunks(session, columns, COLUMNS[: len(columns)], fmt, key=Item.id, narrow=narrow)
