"""Flask extensions, created unbound and bound to an app in ``create_app``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from osnova.config import Settings
from osnova.database import Base, utcnow

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# No default limits: reads are left to nginx; sensitive endpoints opt in with @limiter.limit.
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _reads_are_not_limited() -> bool:
    """Every limit is on a write, so a read skips Flask-Limiter's per-request lookup."""
    return request.method in ("GET", "HEAD", "OPTIONS")


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


def enqueue_job(name: str, **kwargs: Any) -> str:
    """Queue background job ``name`` (see ``osnova.jobs``); call it after the commit."""
    job_id: str = current_app.extensions[JOBS_KEY].enqueue(name, **kwargs)
    return job_id
