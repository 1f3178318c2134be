"""Flask extensions, created unbound and bound to an app in ``create_app``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from osnova.config import Settings
from osnova.database import Base, end_read_only_transaction, remember_connection, utcnow

db = SQLAlchemy(model_class=Base)
event.listen(db.session, "after_begin", remember_connection)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteLimiter(Limiter):
    """Flask-Limiter for an app whose every limit is on a write.

    Its check runs before each request; a read returns before Flask-Limiter looks up the
    endpoint, its limits and its exemptions (a tenth of an anonymous API read's cost). Its
    after-request hook (the rate-limit headers) and teardown (its per-request state) then
    have nothing to do for a read either, and skip it: 20 µs of an API page of 470.
    """

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        # Flask-Limiter registers both as private methods of its class; a version that
        # names them otherwise keeps its own hooks, unwrapped.
        headers = getattr(Limiter, "_Limiter__inject_headers", None)
        release = getattr(Limiter, "_Limiter__release_context", None)
        after = app.after_request_funcs.setdefault(None, [])
        after[:] = [_on_writes(f, response=True) if _calls(f, headers) else f for f in after]
        teardown = app.teardown_request_funcs.setdefault(None, [])
        teardown[:] = [_on_writes(f, response=False) if _calls(f, release) else f for f in teardown]

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if request.method in SAFE_METHODS:
            return
        super()._check_request_limit(callable_name, in_middleware)


def _calls(hook: Any, method: Any) -> bool:
    """Whether ``hook`` is ``method`` bound to a limiter (by ``partial`` or as a method)."""
    target = getattr(hook, "func", None) or getattr(hook, "__func__", None)
    return method is not None and target is method


def _on_writes(hook: Callable[[Any], Any], *, response: bool) -> Callable[[Any], Any]:
    """``hook`` for writes; a read's answer (or teardown) passes by untouched."""

    def for_writes(value: Any) -> Any:
        if request.method in SAFE_METHODS:
            return value if response else None
        return hook(value)

    return for_writes


# No default limits: reads are left to nginx; sensitive endpoints opt in with @limiter.limit.
limiter = WriteLimiter(key_func=get_remote_address)


SETTINGS_KEY = "osnova.settings"
JOBS_KEY = "osnova.jobs"
CLOCK_KEY = "osnova.clock"
# What "now" is for session lifetimes and remembered devices: the wall clock, or one a test
# moves by hand (``create_app(settings, clock=...)``) so that 30 days pass without waiting.
Clock = Callable[[], datetime]


def current_settings() -> Settings:
    """The settings the current app was built with."""
    settings = current_app.extensions[SETTINGS_KEY]
    if not isinstance(settings, Settings):
        raise TypeError("the app was not built by osnova.create_app")
    return settings


def current_time() -> datetime:
    """Now (timezone-aware UTC) by the current app's clock."""
    clock: Clock = current_app.extensions.get(CLOCK_KEY, utcnow)
    return clock()


def signing_key() -> str:
    """The app's secret key as text, for itsdangerous serializers."""
    return str(current_app.config["SECRET_KEY"])


def release_database_session(_error: BaseException | None = None) -> None:
    """Hand the request's connection back to the pool, or drop it when it broke.

    Closing a session rolls back its transaction, which needs the server; a transaction that
    only read is committed instead, on PostgreSQL (``end_read_only_transaction``). When the
    link to the database broke after the answer was made (a read that finished just before),
    that rollback or commit fails; the connection is then discarded, and the answer, already
    complete, still goes out instead of becoming a bare 500. Registered after
    Flask-SQLAlchemy's own teardown, so it runs first and leaves that one nothing to do.

    The session is removed whatever happens: an error escaping here would stop Flask's
    teardown chain, and the session would stay in the registry under the context's id, to be
    found, with its dead connection, by any later request whose context gets that address.
    """
    try:
        if _error is None and db.session.registry.has():
            end_read_only_transaction(db.session())
    finally:
        try:
            db.session.remove()
        except SQLAlchemyError:
            db.session().invalidate()
            db.session.remove()


def enqueue_job(name: str, **kwargs: Any) -> str:
    """Queue background job ``name`` (see ``osnova.jobs``); call it after the commit."""
    job_id: str = current_app.extensions[JOBS_KEY].enqueue(name, **kwargs)
    return job_id
