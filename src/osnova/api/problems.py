"""The API's side of problem details: APIFlask's validation errors, and the OpenAPI shape.

The body itself is built by ``osnova.http.problems.problem``, which the app-level error
handler (``osnova.http.errors``) uses for every error on an ``/api/`` path too.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from apiflask.exceptions import HTTPError
from flask import Response
from werkzeug.datastructures import Headers

from osnova.errors import FieldError
from osnova.http.problems import MEDIA_TYPE, problem

VALIDATION_DETAIL = "The request has invalid fields; see errors."


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
ROW_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["line", "column", "message", "conflict"],
    "properties": {
        "line": {"type": "integer", "description": "0 when no line is to blame"},
        "column": {"type": ["string", "null"]},
        "message": {"type": "string"},
        "conflict": {"type": "boolean", "description": "a clash with stored data"},
    },
}
# A refused import lists its rows' problems; a bad query or format, field errors as ever.
IMPORT_PROBLEM_SCHEMA: dict[str, Any] = {
    **PROBLEM_SCHEMA,
    "properties": {
        **PROBLEM_SCHEMA["properties"],
        "errors": {
            "type": "array",
            "items": {"anyOf": [PROBLEM_SCHEMA["properties"]["errors"]["items"], ROW_ERROR_SCHEMA]},
        },
    },
}
IMPORT_EXAMPLE_ERRORS = {
    409: [
        {
            "line": 2,
            "column": "username",
            "message": "an account named 'ann' already exists",
            "conflict": True,
        }
    ],
    422: [
        {
            "line": 2,
            "column": "email",
            "message": "value is not a valid email address: An email address must have an @-sign.",
            "conflict": False,
        },
        {
            "line": 3,
            "column": "username",
            "message": "'bob' is already on line 1 of this file",
            "conflict": False,
        },
    ],
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


def problem_response(status: int, *, refused_import: bool = False) -> dict[str, Any]:
    """The OpenAPI response object for ``status``, with an example; ``refused_import``: the
    409 or 422 of an import, whose errors name rows."""
    example: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": EXAMPLE_DETAILS.get(status, HTTPStatus(status).phrase),
    }
    schema = "Problem"
    if refused_import and status in IMPORT_EXAMPLE_ERRORS:
        schema = "ImportProblem"
        example["detail"] = (
            f"{len(IMPORT_EXAMPLE_ERRORS[status])} row(s) refused; nothing was imported."
        )
        example["errors"] = IMPORT_EXAMPLE_ERRORS[status]
    elif status == 422:
        example["errors"] = [{"field": "title", "message": "String should have at least 1 char"}]
    response: dict[str, Any] = {
        "description": HTTPStatus(status).phrase,
        "content": {
            MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{schema}"}, "example": example}
        },
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}, "example": 'Bearer realm="osnova"'}
        }
    if status == 429:
        response["headers"] = {"Retry-After": {"schema": {"type": "string"}, "example": "60"}}
    return response
