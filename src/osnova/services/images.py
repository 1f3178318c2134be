"""Item images: checked by content, re-encoded without metadata, stored under a random name.

The uploaded bytes are decoded with Pillow, so a PHP script or an SVG named ``.png`` is
refused whatever its extension; the picture is then written anew (no EXIF, no text chunks)
under ``<media dir>/items/<random>.<format>``. The visitor's filename is never used.
Files are removed only once the transaction that forgot them commits, and files written
for a transaction that rolls back are removed too.
"""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.errors import FieldError, InvalidInput, TooLarge
from osnova.i18n import N_

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
MAX_PIXELS = 40_000_000
SUBDIR = "items"
_REMOVE_ON_COMMIT = "osnova_remove_on_commit"
_REMOVE_ON_ROLLBACK = "osnova_remove_on_rollback"


@dataclass(frozen=True)
class ImageRules:
    media_dir: Path
    max_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ImageRules:
        return cls(media_dir=settings.resolved_media_dir(), max_bytes=settings.max_image_bytes)


def _refuse(message: str) -> InvalidInput:
    return InvalidInput([FieldError("image", message)], message)


def _decode(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(BytesIO(data))
            if probe.format not in FORMATS:
                raise _refuse(N_("Upload a JPEG, PNG or WebP image."))
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise _refuse(N_("The image has too many pixels."))
            probe.verify()
            picture = Image.open(BytesIO(data))
            picture.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
    ):
        raise _refuse(N_("The file is not a valid JPEG, PNG or WebP image.")) from None
    return picture


def _reencode(picture: Image.Image, image_format: str) -> bytes:
    out = BytesIO()
    options: dict[str, Any] = {}
    if image_format == "JPEG":
        picture = picture.convert("RGB")
        options = {"quality": 88, "optimize": True}
    elif image_format == "WEBP":
        options = {"quality": 88}
    elif picture.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        picture = picture.convert("RGBA")
    picture.save(out, format=image_format, **options)
    return out.getvalue()


def _read(upload: IO[bytes], rules: ImageRules) -> bytes:
    data = upload.read(rules.max_bytes + 1)
    if len(data) > rules.max_bytes:
        limit = rules.max_bytes // (1024 * 1024)
        raise TooLarge(N_("The image is larger than %(limit)s MiB."), {"limit": limit})
    if not data:
        raise _refuse(N_("The file is empty."))
    return data


def check_image(*, rules: ImageRules, upload: IO[bytes]) -> None:
    """Raise what ``store_image`` would raise for ``upload``, storing nothing."""
    _decode(_read(upload, rules))


def store_image(*, session: Session, rules: ImageRules, upload: IO[bytes]) -> str:
    """Check and store an uploaded image; the name to keep on the item (``items/<x>.png``).

    Raises TooLarge above ``rules.max_bytes`` and InvalidInput for anything but a real
    JPEG, PNG or WebP picture.
    """
    picture = _decode(_read(upload, rules))
    image_format = str(picture.format or "")
    encoded = _reencode(picture, image_format)
    name = f"{SUBDIR}/{secrets.token_urlsafe(18)}.{FORMATS[image_format]}"
    path = rules.media_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encoded)
    session.info.setdefault(_REMOVE_ON_ROLLBACK, []).append(path)
    return name


def forget_image(*, session: Session, rules: ImageRules, name: str) -> None:
    """Remove a stored image once the current transaction commits."""
    path = media_path(rules.media_dir, name)
    if path is not None:
        session.info.setdefault(_REMOVE_ON_COMMIT, []).append(path)


def media_path(media_dir: Path, name: str) -> Path | None:
    """The file for a stored image name, or None for anything that is not one of ours."""
    directory, _, filename = name.partition("/")
    stem, _, extension = filename.rpartition(".")
    if directory != SUBDIR or extension not in CONTENT_TYPES:
        return None
    if not stem or not all(ch.isalnum() or ch in "-_" for ch in stem):
        return None
    return media_dir / SUBDIR / filename


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    _unlink_all(session.info.pop(_REMOVE_ON_COMMIT, []))
    session.info.pop(_REMOVE_ON_ROLLBACK, None)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if session.in_transaction():
        return
    _unlink_all(session.info.pop(_REMOVE_ON_ROLLBACK, []))
    session.info.pop(_REMOVE_ON_COMMIT, None)
