"""One place that turns errors into answers: an HTML page for people, problem+json for the API.

Domain errors map to their HTTP status; anything unexpected rolls the session back and is
answered with a bare 500 page that never shows a traceback outside debug. Headers an error
carries (Retry-After, Allow, WWW-Authenticate) are kept.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, Response, current_app, g, render_template, request
from flask_babel import gettext, lazy_gettext
from flask_wtf.csrf import CSRFError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from osnova.database import is_unavailable
from osnova.errors import (
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooLarge,
)
from osnova.extensions import db
from osnova.http.problems import problem
from osnova.services.transfer import ImportReport

DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
    InvalidInput: 422,
    TooLarge: 413,
}
TITLES = {
    400: lazy_gettext("Bad request"),
    401: lazy_gettext("Sign-in required"),
    403: lazy_gettext("Forbidden"),
    404: lazy_gettext("Not found"),
    405: lazy_gettext("Method not allowed"),
    409: lazy_gettext("Conflict"),
    413: lazy_gettext("Too large"),
    415: lazy_gettext("Unsupported media type"),
    422: lazy_gettext("Invalid input"),
    429: lazy_gettext("Too many requests"),
    500: lazy_gettext("Something went wrong"),
    503: lazy_gettext("Briefly unavailable"),
}
DESCRIPTIONS = {
    400: lazy_gettext("The request could not be understood."),
    403: lazy_gettext("You are not allowed to see this page."),
    404: lazy_gettext("There is nothing at this address."),
    405: lazy_gettext("This address does not accept that kind of request."),
    413: lazy_gettext("What you sent is too large."),
    429: lazy_gettext("Too many requests. Wait a little and try again."),
    500: lazy_gettext("The error was recorded. Please try again later."),
    503: lazy_gettext("The site cannot reach its database just now. Please try again shortly."),
}
# When a client may try again after the database was unreachable (seconds).
UNAVAILABLE_RETRY_AFTER = 5
KEPT_HEADERS = ("Retry-After", "Allow", "WWW-Authenticate")


def import_refusal_status(report: ImportReport) -> int:
    """A refused import is answered as a single change would be: 409 when its only problem
    is rows that clash with stored data, else 422."""
    return DOMAIN_STATUS[Conflict] if report.only_conflicts else DOMAIN_STATUS[InvalidInput]


def wants_json() -> bool:
    """API paths always get JSON; elsewhere only a client that prefers JSON over HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(
    status: int,
    detail: str | None = None,
    headers: Headers | None = None,
    errors: list[FieldError] | None = None,
) -> Response:
    if wants_json():
        response = problem(status, detail, errors or [])
    else:
        title = str(TITLES.get(status, HTTPStatus(status).phrase))
        page = render_template(
            "errors/error.html",
            status=status,
            title=title,
            detail=detail,
            request_id=g.get("request_id"),
        )
        response = current_app.make_response(page)
    response.status_code = status
    for name in KEPT_HEADERS:
        if headers is not None and name in headers:
            response.headers[name] = headers[name]
    return response


def _friendly_description(error: HTTPException, status: int) -> str | None:
    """Our own words for a status, unless the code that raised it chose a message."""
    default = type(error).description
    if error.description and error.description != default:
        return error.description
    known = DESCRIPTIONS.get(status)
    return str(known) if known is not None else None


def handle_http_exception(error: HTTPException) -> Response | HTTPException:
    if error.code is None or error.code < 400:
        return error
    if isinstance(error, SecurityError):
        # An untrusted Host: no URL can be built for it, so no page either.
        return Response("Bad request: unknown host.\n", status=400, mimetype="text/plain")
    return error_response(
        error.code, _friendly_description(error, error.code), Headers(error.get_headers())
    )


def handle_csrf_error(_error: CSRFError) -> Response:
    """A missing or wrong CSRF token is a refusal (403), as the request was not this site's."""
    return error_response(
        403,
        gettext(
            "The form expired or was not sent from this site. Please reload the page and try again."
        ),
    )


def handle_domain_error(error: DomainError) -> Response:
    db.session.rollback()  # nothing of a refused operation is kept
    errors = None
    if isinstance(error, (InvalidInput, Conflict)):
        errors = [FieldError(e.field, gettext(e.message)) for e in error.errors]
    return error_response(
        DOMAIN_STATUS.get(type(error), 400), gettext(error.message, **error.params), errors=errors
    )


def handle_unexpected(error: InternalServerError) -> Response:
    """The 500 answer, or 503 when the database (or Redis, for a rate limit) was out of reach:
    a load balancer then tries another host, and a client may try again. Flask has logged the
    exception already (``Flask.log_exception``, one record with the traceback and, through the
    log filter, the request id)."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session().invalidate()  # the connection broke; the next request takes a new one
    original = error.original_exception or error
    if is_unavailable(original) or isinstance(original, RedisConnectionError | RedisTimeoutError):
        headers = Headers({"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})
        return error_response(503, str(DESCRIPTIONS[503]), headers)
    return error_response(500, str(DESCRIPTIONS[500]))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
