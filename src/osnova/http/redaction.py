"""Paths that carry a secret (a password-reset, invitation, address-confirmation or
email-change token)
and their redacted form for every log: the app's request log, gunicorn's access log and
nginx's format (``deploy/nginx/osnova.conf`` maps the same prefixes). Kept free of imports so
that ``osnova.gunicorn_conf`` can use it before the app exists."""

from __future__ import annotations

import re

SECRET_PATH_PREFIXES = (
    "/password/reset/",
    "/password/invitation/",
    "/email/verify/",
    "/email/confirm/",
    "/email/cancel/",
)
REDACTED = "[redacted]"
_SECRET_PATH = re.compile("^(" + "|".join(map(re.escape, SECRET_PATH_PREFIXES)) + ")[^?]+")


def redact_path(path: str) -> str:
    """``path`` with the token of a mailed link replaced by ``[redacted]``."""
    return _SECRET_PATH.sub(lambda match: match.group(1) + REDACTED, path, count=1)
