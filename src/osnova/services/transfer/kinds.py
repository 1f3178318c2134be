"""Which rows a kind names, and the one place that picks its import and export.

Every door (terminal, API, admin pages) names a kind as text; ``import_rows`` and
``export_rows`` route it, so a new kind is added here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import IO, NotRequired, TypedDict, Unpack

from sqlalchemy.orm import Session

from osnova.services import policy
from osnova.services.transfer.engine import Progress
from osnova.services.transfer.formats import Format
from osnova.services.transfer.items import export_items, import_items
from osnova.services.transfer.report import ImportReport, OnConflict
from osnova.services.transfer.users import export_users, import_users


class Kind(StrEnum):
    USERS = "users"
    ITEMS = "items"


KINDS = tuple(kind.value for kind in Kind)


class ImportOptions(TypedDict):
    """What every import takes besides its kind (see ``import_users`` and ``import_items``)."""

    session: Session
    actor: policy.Actor
    stream: IO[bytes]
    fmt: Format
    on_conflict: NotRequired[OnConflict]
    dry_run: NotRequired[bool]
    progress: NotRequired[Progress | None]


class ExportOptions(TypedDict):
    """What every export takes besides its kind; password hashes go with users only."""

    session: Session
    actor: policy.Actor
    fmt: Format
    include_password_hashes: NotRequired[bool]


def import_rows(*, kind: Kind | str, **options: Unpack[ImportOptions]) -> ImportReport:
    """Import ``options["stream"]`` as rows of ``kind``."""
    if Kind(kind) is Kind.USERS:
        return import_users(**options)
    return import_items(**options)


def require_may_import(kind: Kind | str, actor: policy.Actor) -> None:
    """Refuse now what the import itself would refuse, before a file is queued for later."""
    needed: tuple[policy.Permission, ...]
    if Kind(kind) is Kind.USERS:
        needed = (policy.Permission.TRANSFER_DATA,)
    else:
        needed = (policy.Permission.MANAGE_OWN_ITEMS, policy.Permission.TRANSFER_DATA)
    if not any(policy.can(actor, permission) for permission in needed):
        raise policy.denied()


def export_rows(*, kind: Kind | str, **options: Unpack[ExportOptions]) -> Iterator[bytes]:
    """The rows of ``kind`` as ``options["fmt"]``, read while the iterator is consumed."""
    if Kind(kind) is Kind.USERS:
        return export_users(**options)
    return export_items(session=options["session"], actor=options["actor"], fmt=options["fmt"])
