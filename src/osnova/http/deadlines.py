"""Each web request gets ``OSNOVA_REQUEST_DEADLINE_SECONDS``; past it, a 503 and no change.

The deadline starts before any other work of the request, bounds every database statement
(``osnova.statement_deadline``) and any loop calling ``deadline.check()``, and ends with the
request. A streamed body (an export download) is past the point where a 503 could be sent,
so its deadline is lifted once the headers are ready. The answer to a request that ran out
of time: 503 with ``Retry-After``, everything it changed rolled back, one log line and
``osnova_http_deadline_exceeded_total``.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request
from flask_babel import gettext
from werkzeug.datastructures import Headers

from osnova import deadline, metrics
from osnova.config import Settings
from osnova.errors import DeadlineExceeded
from osnova.extensions import db
from osnova.http.errors import error_response
from osnova.http.redaction import redact_path
from osnova.statement_deadline import bound_statements

RETRY_AFTER_SECONDS = 5
log = logging.getLogger("osnova.deadline")


def handle_deadline_exceeded(error: DeadlineExceeded) -> Response:
    deadline.clear()  # the answer itself may read the database (the signed-in user's name)
    db.session.rollback()
    endpoint = request.endpoint or "unmatched"
    metrics.DEADLINES_EXCEEDED.labels(endpoint).inc()
    log.warning(
        "request deadline exceeded",
        extra={
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": redact_path(request.path),
            "endpoint": endpoint,
        },
    )
    headers = Headers({"Retry-After": str(RETRY_AFTER_SECONDS)})
    return error_response(503, gettext(error.message), headers)


def init_deadlines(app: Flask, settings: Settings) -> None:
    seconds = settings.request_deadline_seconds

    def start_deadline() -> None:
        deadline.start(seconds)

    def lift_for_streamed_body(response: Response) -> Response:
        if response.is_streamed:
            deadline.clear()
        return response

    def end_deadline(_error: BaseException | None) -> None:
        deadline.clear()

    # Before every other hook, so their work (sessions, rate limits) counts too.
    app.before_request_funcs.setdefault(None, []).insert(0, start_deadline)
    app.after_request(lift_for_streamed_body)
    app.teardown_request(end_deadline)
    app.register_error_handler(DeadlineExceeded, handle_deadline_exceeded)
    with app.app_context():
        bound_statements(db.engine, seconds)
