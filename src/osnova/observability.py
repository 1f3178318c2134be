"""Logs, request ids, Prometheus metrics and Sentry: how an operator sees the app at work.

- Logs are JSON lines on stderr (the format is ``osnova.logs``); each request adds one line
  with its id, method, path, status, duration, user and client address (after ProxyFix),
  and every other record logged while it runs carries the same id. Nothing secret is
  logged: no bodies, cookies or headers other than the request id.
- The request id comes from ``X-Request-ID`` when it looks sane, else it is made here; it is
  echoed in the response, shown on error pages and attached to Sentry events.
- Metrics live in prometheus_client's registry; under gunicorn, ``PROMETHEUS_MULTIPROC_DIR``
  (set by ``osnova.gunicorn_conf``) makes every worker write its own file and ``/metrics``
  sums them.
"""

from __future__ import annotations

import logging
import random
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from osnova import metrics
from osnova.config import Settings
from osnova.http.redaction import redact_path
from osnova.logs import is_json_handler, json_handler

REQUEST_ID_HEADER = "X-Request-ID"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
log = logging.getLogger("osnova.request")


@dataclass(frozen=True)
class JobContext:
    """The background job a thread is running, and the request that queued it."""

    job_id: str
    job: str
    request_id: str | None


_CURRENT_JOB: ContextVar[JobContext | None] = ContextVar("osnova_current_job", default=None)


@contextmanager
def current_job(context: JobContext) -> Iterator[None]:
    """Mark the lines logged inside as the job's (see ``_JobFields``)."""
    token = _CURRENT_JOB.set(context)
    try:
        yield
    finally:
        _CURRENT_JOB.reset(token)


class _JobFields(logging.Filter):
    """Adds the job's id and name, and its request's id, to every line a job logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = _CURRENT_JOB.get()
        if job is not None:
            record.job_id = job.job_id
            record.job = job.job
            if job.request_id is not None and getattr(record, "request_id", None) is None:
                record.request_id = job.request_id
        return True


class RequestIdFilter(logging.Filter):
    """Stamps a record logged while a request is answered with that request's id, so an
    error or audit line can be joined to its request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None and has_request_context():
            request_id = g.get("request_id")
            if request_id is not None:
                record.request_id = request_id
        return True


def configure_logging(settings: Settings) -> None:
    """JSON lines on stderr from the root logger, with request ids; the level from settings.

    Idempotent: apps built again in one process, and gunicorn workers, whose master set up
    the same handler already, reuse the handler they find.
    """
    root = logging.getLogger()
    handlers = [handler for handler in root.handlers if is_json_handler(handler)]
    if not handlers:
        handlers = [json_handler(sys.stderr)]
        root.addHandler(handlers[0])
    for handler in handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if not any(isinstance(f, _JobFields) for f in handler.filters):
            handler.addFilter(_JobFields())
    root.setLevel(settings.log_level.upper())


def request_id() -> str | None:
    """The current request's id, outside a request None."""
    value = g.get("request_id")
    return value if isinstance(value, str) else None


def _new_request_id() -> str:
    """32 random hex digits. An id joins log lines and guards nothing, so it comes from
    ``random`` (reseeded in each forked worker), not the OS: ``uuid4()`` read
    ``os.urandom`` and built a ``UUID`` for it, 4% of a worker's time on the API list."""
    return f"{random.getrandbits(128):032x}"


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else _new_request_id()
    g.request_started = time.perf_counter()
    metrics.IN_FLIGHT.inc()
    g.counted_in_flight = True


def signed_in_user_id() -> int | None:
    """The id of the user this request acted for, if it looked one up.

    Read from what the request already loaded (a bearer token's user, or Flask-Login's), so
    an anonymous read pays for no session or user lookup just to be logged.
    """
    user_id = g.get("api_user_id")
    if isinstance(user_id, int):
        return user_id
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    user_id = getattr(user, "id", None)
    return user_id if isinstance(user_id, int) else None


def _finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    started = g.get("request_started")
    duration = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.endpoint or "unmatched"
    # Label values come from closed sets: a made-up verb must not make a new series.
    method = request.method if request.method in KNOWN_METHODS else "other"
    metrics.REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    metrics.LATENCY.labels(endpoint, method).observe(duration)
    log.info(
        "request",
        extra={
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": redact_path(request.path),
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 2),
            "user_id": signed_in_user_id(),
            "remote_addr": request.remote_addr,
        },
    )
    return response


def _leave_in_flight(_error: BaseException | None) -> None:
    if g.pop("counted_in_flight", False):
        metrics.IN_FLIGHT.dec()


def watch_pool(engine: Engine) -> None:
    """Count connections checked out of the pool, for the pool gauge."""

    @event.listens_for(engine, "checkout")
    def _checked_out(*_args: Any) -> None:
        metrics.DB_CHECKED_OUT.inc()

    @event.listens_for(engine, "checkin")
    def _checked_in(*_args: Any) -> None:
        metrics.DB_CHECKED_OUT.dec()


def _scrub_event(event_data: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """No personal data leaves for Sentry: no cookies, no Authorization, no user (bodies and
    local variables are never collected; see ``init_sentry``)."""
    request_data = event_data.get("request") or {}
    request_data.pop("cookies", None)
    request_data.pop("data", None)
    if isinstance(request_data.get("url"), str):
        base, _, path = request_data["url"].partition("://")
        host, slash, rest = path.partition("/")
        request_data["url"] = f"{base}://{host}{redact_path(slash + rest)}"
    headers = request_data.get("headers") or {}
    for name in list(headers):
        if name.lower() in ("authorization", "cookie", "x-csrftoken", "set-cookie"):
            del headers[name]
    event_data.pop("user", None)
    return event_data


def init_sentry(settings: Settings) -> None:
    if settings.sentry_dsn is None:
        return
    import sentry_sdk  # noqa: PLC0415 - loaded only when error reporting is on
    from sentry_sdk.integrations.flask import FlaskIntegration  # noqa: PLC0415
    from sentry_sdk.integrations.huey import HueyIntegration  # noqa: PLC0415
    from sentry_sdk.integrations.logging import ignore_logger  # noqa: PLC0415

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.env.value,
        send_default_pii=False,
        # Stack frames' local variables hold whatever a handler was working on (a password
        # being checked), and bodies are the caller's data: neither is sent.
        include_local_variables=False,
        max_request_body_size="never",
        integrations=[FlaskIntegration()],
        # huey logs every failed attempt of a job; a job's final failure is sent once, with
        # its tags, by report_job_failure.
        disabled_integrations=[HueyIntegration()],
        before_send=_scrub_event,  # type: ignore[arg-type]
        traces_sample_rate=0.0,
    )
    ignore_logger("huey")


def report_job_failure(settings: Settings, error: BaseException, job: JobContext) -> None:
    """A job that failed for good reaches Sentry like a failed request: the same scrubbing,
    tagged with the job and the request that queued it (retried attempts are only logged)."""
    if settings.sentry_dsn is None:
        return
    import sentry_sdk  # noqa: PLC0415

    with sentry_sdk.new_scope() as scope:
        scope.set_tag("job", job.job)
        scope.set_tag("job_id", job.job_id)
        if job.request_id is not None:
            scope.set_tag("request_id", job.request_id)
        sentry_sdk.capture_exception(error)


def _tag_sentry_scope() -> None:
    import sentry_sdk  # noqa: PLC0415

    sentry_sdk.get_current_scope().set_tag("request_id", g.get("request_id"))


def init_observability(app: Flask, settings: Settings) -> None:
    configure_logging(settings)
    if settings.trusted_proxies > 0:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )
    init_sentry(settings)
    app.before_request(_start_request)
    if settings.sentry_dsn is not None:
        app.before_request(_tag_sentry_scope)
    app.after_request(_finish_request)
    app.teardown_request(_leave_in_flight)
