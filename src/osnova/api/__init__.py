"""The JSON API under ``/api/v1``: a second door onto the same services as the web pages.

``register_api`` binds the blueprints, the request checks every API call passes (body
size, content type, caller), CORS, the problem+json error processor and the OpenAPI
document's finishing. Flask-WTF's global CSRF check is off for the API: bearer calls need
none, and ``auth.authenticate_request`` checks it itself for session-authenticated writes.
"""

from __future__ import annotations

from typing import Any

import orjson
from apiflask import APIBlueprint, APIFlask
from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import BaseConverter
from werkzeug.wrappers import Response

from osnova.api import auth, docs, items, problems, transfer, users
from osnova.extensions import csrf, current_settings

PREFIX = "/api/"
BLUEPRINTS: tuple[APIBlueprint, ...] = (auth.bp, users.bp, items.bp, transfer.bp)


class JSONProvider(DefaultJSONProvider):
    """Parses with orjson: NaN, bad UTF-8 and nesting deeper than 1024 are a clean 400."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)


def add_api_headers(response: Response) -> Response:
    """No caching of what a caller saw with its token; CORS for the allowed origins only."""
    if g.get("api_user_id") is not None:
        response.headers["Cache-Control"] = "no-store"
    return add_cors_headers(response)


def add_cors_headers(response: Response) -> Response:
    """CORS for the origins in OSNOVA_CORS_ORIGINS only; ``null`` is never trusted."""
    origin = request.headers.get("Origin")
    if not request.path.startswith(PREFIX) or not origin or origin == "null":
        return response
    if origin not in current_settings().cors_origins:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers.add("Vary", "Origin")
    response.headers["Access-Control-Expose-Headers"] = "Location, Retry-After, WWW-Authenticate"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


class UsernameConverter(BaseConverter):
    """Any path segment but ``me``, so /users/me never reaches the admin routes."""

    regex = r"(?!me$)[^/]+"


def register_api(app: Flask) -> None:
    app.json = JSONProvider(app)
    app.url_map.converters["username"] = UsernameConverter
    app.config.update(docs.swagger_config())
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)
    app.after_request(add_api_headers)
    if isinstance(app, APIFlask):
        app.error_processor(problems.handle_api_error)
        app.spec_processor(docs.finish_spec)
