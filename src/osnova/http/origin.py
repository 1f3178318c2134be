"""Unsafe requests from another site are refused by their ``Origin``, token or not.

A CSRF token proves the form came from this site; the ``Origin`` header, which browsers add
to every cross-site POST, says so too and costs nothing to check. An unsafe request whose
Origin is present and is neither this site (as the request or ``OSNOVA_BASE_URL`` names it)
nor an allowed CORS origin is answered 403. Clients that send no Origin (curl, servers) are
left to the CSRF token or their bearer token.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from flask_babel import gettext
from werkzeug.exceptions import Forbidden

from osnova.extensions import current_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def refuse_foreign_origin() -> None:
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is None:
        return
    settings = current_settings()
    own = {_origin_of(request.host_url)}
    if settings.base_url:
        own.add(_origin_of(settings.base_url))
    if origin.lower() in own or origin in settings.cors_origins:
        return
    raise Forbidden(gettext("This request came from another site and was refused."))


def init_origin_check(app: Flask) -> None:
    app.before_request(refuse_foreign_origin)
