"""RFC 9457 problem details: the one error body of the API, and its OpenAPI description.

``problem()`` builds the response; the app-level error handler (``web/errors.py``) calls it
for every error on an ``/api/`` path, and ``handle_api_error`` does for APIFlask's own
errors (request validation). ``document_problems`` writes the same shape into the spec.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from apiflask.exceptions import HTTPError
from flask import Response, g, jsonify
from werkzeug.datastructures import Headers

from osnova.errors import FieldError

MEDIA_TYPE = "application/problem+json"
VALIDATION_DETAIL = "The request has invalid fields; see errors."


def problem(
    status: int,
    detail: str | None = None,
    errors: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem+json response; a 500 names the request id instead of any traceback."""
    title = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    field_errors = [{"field": e.field, "message": e.message} for e in errors]
    if field_errors:
        body["errors"] = field_errors
    if status >= 500:
        request_id = g.get("request_id")
        if request_id:
            body["request_id"] = str(request_id)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _field_errors(detail: Any) -> list[FieldError]:
    """APIFlask's ``{location: {field: [messages]}}`` as a flat list of field errors."""
    found: list[FieldError] = []
    if not isinstance(detail, Mapping):
        return found
    for fields in detail.values():
        if not isinstance(fields, Mapping):
            continue
        for field, messages in fields.items():
            name = "" if field == "_schema" else str(field)
            for message in messages if isinstance(messages, list) else [messages]:
                found.append(FieldError(name, str(message)))
    return found


def handle_api_error(error: HTTPError) -> Response:
    """APIFlask's error processor: validation errors become a 422 with field errors."""
    errors = _field_errors(error.detail)
    detail = VALIDATION_DETAIL if errors else (error.message or None)
    headers = Headers(error.headers or None)
    return problem(error.status_code, detail, errors, dict(headers.items()))


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "request_id": {"type": "string"},
    },
}
EXAMPLE_DETAILS = {
    400: "The request body is not valid JSON.",
    401: "A valid bearer token is required.",
    403: "You are not allowed to do this.",
    404: "There is no such item.",
    409: "This username or email is already taken.",
    413: "The request body is larger than 256 KiB.",
    415: "Send the body as application/json.",
    422: VALIDATION_DETAIL,
    429: "Too many requests. Wait a little and try again.",
    500: "The error was recorded. Please try again later.",
}


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object for ``status``, with an example."""
    example: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": EXAMPLE_DETAILS.get(status, HTTPStatus(status).phrase),
    }
    if status == 422:
        example["errors"] = [{"field": "title", "message": "String should have at least 1 char"}]
    response: dict[str, Any] = {
        "description": HTTPStatus(status).phrase,
        "content": {
            MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}
        },
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}, "example": 'Bearer realm="osnova"'}
        }
    if status == 429:
        response["headers"] = {"Retry-After": {"schema": {"type": "string"}, "example": "60"}}
    return response
