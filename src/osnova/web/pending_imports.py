"""An uploaded import file, kept between its dry run and the admin's confirmation.

The file is stored as ``<instance>/imports/<random name>``, never under the uploader's file
name, and the confirm form carries only a signed ticket: it names that file and the chosen
options, is bound to the admin who uploaded it and expires. A confirmation claims the file by
renaming it and deletes it afterwards, so a ticket works once, even when sent twice at the
same moment; files left unconfirmed are removed when they are older than a ticket can be.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from osnova.extensions import signing_key
from osnova.services.transfer import KINDS, Format, OnConflict

SALT = "osnova.pending-import"
MAX_AGE_SECONDS = 3600
NAME = re.compile(r"[A-Za-z0-9_-]{32}")


@dataclass(frozen=True)
class PendingImport:
    name: str
    kind: str
    fmt: Format
    on_conflict: OnConflict

    @property
    def path(self) -> Path:
        return folder() / self.name


def folder() -> Path:
    return Path(current_app.instance_path) / "imports"


def store(stream: IO[bytes], *, kind: str, fmt: Format, on_conflict: OnConflict) -> PendingImport:
    """Copy ``stream`` into a new file of its own, after removing stale ones."""
    directory = folder()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    remove_stale(directory)
    name = secrets.token_urlsafe(24)
    descriptor = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as target:
        shutil.copyfileobj(stream, target)
    return PendingImport(name, kind, fmt, on_conflict)


def discard(pending: PendingImport) -> None:
    pending.path.unlink(missing_ok=True)


def remove_stale(directory: Path) -> None:
    """Delete the files older than a ticket's lifetime: nobody can confirm them any more."""
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in directory.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # removed meanwhile by another request
            continue


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_key(), salt=SALT)


def ticket_for(pending: PendingImport, *, user_id: int) -> str:
    return _serializer().dumps(
        {
            "uid": user_id,
            "name": pending.name,
            "kind": pending.kind,
            "format": pending.fmt.value,
            "on_conflict": pending.on_conflict.value,
        }
    )


def redeem(ticket: str, *, user_id: int) -> PendingImport | None:
    """The import a ticket names, or None if it is forged, expired, another admin's or used."""
    try:
        payload: Any = _serializer().loads(ticket, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(payload, dict) or payload.get("uid") != user_id:
        return None
    name, kind = payload.get("name"), payload.get("kind")
    if not isinstance(name, str) or NAME.fullmatch(name) is None or kind not in KINDS:
        return None
    try:
        pending = PendingImport(
            name, kind, Format(payload["format"]), OnConflict(payload["on_conflict"])
        )
    except (KeyError, ValueError):
        return None
    return _claim(pending)


def _claim(pending: PendingImport) -> PendingImport | None:
    """Move the file to a new name, so that of two confirmations of one ticket sent at once
    only one finds it: a rename either happens once or fails."""
    claimed = PendingImport(
        secrets.token_urlsafe(24), pending.kind, pending.fmt, pending.on_conflict
    )
    try:
        pending.path.rename(claimed.path)
    except FileNotFoundError:
        return None
    return claimed
