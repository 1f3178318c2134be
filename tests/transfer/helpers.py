"""Helpers for the transfer tests: run an import from text, read tables back."""

from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.models import Item, User
from osnova.services import policy, transfer
from osnova.services.transfer import Format, ImportReport, OnConflict


def import_text(
    session: Session,
    kind: str,
    content: str | bytes,
    fmt: Format = Format.CSV,
    *,
    actor: Any = policy.SYSTEM,
    on_conflict: OnConflict = OnConflict.ERROR,
    dry_run: bool = False,
) -> ImportReport:
    """Import ``content`` and commit, as a door does."""
    data = content.encode() if isinstance(content, str) else content
    report = transfer.import_rows(
        kind=kind,
        session=session,
        actor=actor,
        stream=io.BytesIO(data),
        fmt=fmt,
        on_conflict=on_conflict,
        dry_run=dry_run,
    )
    session.commit()
    return report


def export_bytes(session: Session, kind: str, fmt: Format, **options: Any) -> bytes:
    actor = options.pop("actor", policy.SYSTEM)
    chunks = transfer.export_rows(kind=kind, session=session, actor=actor, fmt=fmt, **options)
    data = b"".join(chunks)
    session.commit()
    return data


def users_table(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    query = select(
        User.username, User.email, User.full_name, User.role, User.is_active, User.password_hash
    ).order_by(User.username)
    return [tuple(row) for row in session.execute(query)]


def items_table(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    query = (
        select(Item.external_id, Item.title, Item.description, Item.is_public, User.username)
        .join(Item.owner)
        .order_by(Item.title, Item.id)
    )
    return [tuple(row) for row in session.execute(query)]


NEW_KEY = "(new key)"
GENERATED_KEY = re.compile("[0-9a-f]{32}")


def with_new_keys_named(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``items_table`` rows with each key the application made (32 hex digits) as NEW_KEY."""
    return [(NEW_KEY, *row[1:]) if GENERATED_KEY.fullmatch(str(row[0])) else row for row in rows]


def errors_of(report: ImportReport) -> list[tuple[int, str | None]]:
    return [(error.line, error.column) for error in report.errors]
