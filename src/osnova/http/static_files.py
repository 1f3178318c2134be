"""The app's own static route with fingerprinted names, so pages work with or without nginx.

At startup the app hashes its static files once (a few milliseconds); ``url_for('static',
filename='css/site.css')`` then gives ``/static/css/site.<hash>.css`` everywhere, templates
unchanged. The route serves both names: the fingerprinted one cached for a year
(``immutable``), the plain one for an hour, as nginx does for the collected folder.
``/favicon.ico``, which browsers ask for on their own, is answered from the same folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, send_from_directory

from osnova.services.static_files import IMMUTABLE, SHORT, SHORT_MAX_AGE, build_manifest

MANIFEST_KEY = "osnova.static_manifest"
STATIC_ENDPOINT = "static"
FAVICON = "favicon.ico"

bp = Blueprint("static_files", __name__)


class StaticManifest:
    """The fingerprinted name of each static file, and the file behind each such name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names = build_manifest(folder) if folder.is_dir() else {}
        self.sources = {fingerprinted: name for name, fingerprinted in self.names.items()}


def init_static_files(app: Flask) -> None:
    if app.static_folder is None:
        return
    app.extensions[MANIFEST_KEY] = StaticManifest(Path(app.static_folder))
    app.url_defaults(_fingerprint_static_urls)
    app.view_functions[STATIC_ENDPOINT] = serve_static
    app.register_blueprint(bp)  # a plain blueprint: APIFlask leaves it out of the API document


def _fingerprint_static_urls(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for('static', filename=…)`` names the file by its content."""
    if endpoint != STATIC_ENDPOINT:
        return
    manifest: StaticManifest = current_app.extensions[MANIFEST_KEY]
    filename = values.get("filename")
    if isinstance(filename, str):
        values["filename"] = manifest.names.get(filename, filename)


def serve_static(filename: str) -> Response:
    manifest: StaticManifest = current_app.extensions[MANIFEST_KEY]
    source = manifest.sources.get(filename)
    if source is not None:
        response = send_from_directory(manifest.folder, source, max_age=SHORT_MAX_AGE)
        response.headers["Cache-Control"] = IMMUTABLE
        return response
    response = send_from_directory(manifest.folder, filename, max_age=SHORT_MAX_AGE)
    response.headers["Cache-Control"] = SHORT
    return response


@bp.get("/favicon.ico")
def serve_favicon() -> Response:
    """Browsers and crawlers ask for ``/favicon.ico`` whatever a page links."""
    return serve_static(FAVICON)
