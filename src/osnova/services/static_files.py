"""Fingerprinted static files: each file's name carries a hash of its content.

``css/site.css`` is linked as ``css/site.<hash>.css``, so a browser or proxy may keep it for a
year (``immutable``): new content is a new name, and an update is never hidden by a cache.
The app computes the names at startup (``build_manifest``); ``collect`` copies the files under
both names, with the manifest, into the one folder a web server serves (no Flask here).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from osnova.errors import FieldError, InvalidInput

MANIFEST_NAME = "staticfiles.json"
HASH_LENGTH = 12
# A fingerprinted name: ``<stem>.<12 hex digits><.suffix>`` (nginx's map uses the same shape).
FINGERPRINTED = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}(\.[^./]+)?$")
# A year, the longest lifetime caches honour; the name changes whenever the content does.
IMMUTABLE = "public, max-age=31536000, immutable"
# Names that do not change with their content (favicon.ico, the files under their own name).
SHORT_MAX_AGE = 3600
SHORT = f"public, max-age={SHORT_MAX_AGE}"


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()[:HASH_LENGTH]


def fingerprinted_name(name: str, fingerprint: str) -> str:
    """``css/site.css`` → ``css/site.<fingerprint>.css``."""
    folder, _slash, base = name.rpartition("/")
    stem, dot, suffix = base.rpartition(".")
    named = f"{stem}.{fingerprint}.{suffix}" if dot and stem else f"{base}.{fingerprint}"
    return f"{folder}/{named}" if folder else named


def is_fingerprinted(name: str) -> bool:
    return FINGERPRINTED.search(name) is not None


def source_files(folder: Path) -> list[str]:
    """Every file under ``folder`` as a ``/``-separated relative name, dot-files left out."""
    names = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        base = Path(root).relative_to(folder)
        names += [(base / f).as_posix() for f in sorted(files) if not f.startswith(".")]
    return names


def build_manifest(folder: Path) -> dict[str, str]:
    """Each static file's name → its fingerprinted name."""
    return {
        name: fingerprinted_name(name, content_hash(folder / name)) for name in source_files(folder)
    }


@dataclass(frozen=True)
class CollectReport:
    files: int
    copied: int  # fingerprinted files that were not in the destination yet


def collect(*, source: Path, destination: Path) -> CollectReport:
    """Copy every static file into ``destination`` under its own and its fingerprinted name,
    and write the manifest there.

    Fingerprinted files of earlier versions stay: pages rendered by workers still running
    the old code link them until those workers are gone. Each collect touches the files it
    names, so a file's modification time is the last collect that still wanted it.
    """
    if destination.resolve() == source.resolve():
        raise InvalidInput(
            [FieldError("destination", "must be another folder than the package's static")],
            "the destination must be another folder than the package's static folder",
        )
    if destination.exists() and not destination.is_dir():
        raise InvalidInput(
            [FieldError("destination", "exists and is not a folder")],
            f"{destination} exists and is not a folder",
        )
    manifest = build_manifest(source)
    copied = 0
    for name, fingerprinted in manifest.items():
        target = destination / fingerprinted
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.touch()  # named by this version: its age tells stale files apart
        else:
            _copy_atomically(source / name, target)
            copied += 1
        _copy_atomically(source / name, destination / name)
    manifest_text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    temporary = destination / f".{MANIFEST_NAME}.tmp"
    temporary.write_text(manifest_text, encoding="utf-8")
    temporary.replace(destination / MANIFEST_NAME)
    return CollectReport(files=len(manifest), copied=copied)


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy beside the target and rename: a web server never serves a half-written file."""
    temporary = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, temporary)
    temporary.chmod(0o644)
    temporary.replace(target)
