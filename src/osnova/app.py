"""The application factory: settings → extensions → blueprints → error handlers → commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from osnova.api import register_api
from osnova.commands import COMMANDS
from osnova.config import (
    REDIS_TIMEOUTS,
    Settings,
    development_secret_key,
    load_settings,
    validate_for_startup,
)
from osnova.database import configure_engine, engine_options, normalise_url, utcnow
from osnova.extensions import (
    CLOCK_KEY,
    SETTINGS_KEY,
    Clock,
    babel,
    csrf,
    db,
    limiter,
    login_manager,
    release_database_session,
)
from osnova.http import errors, probes
from osnova.http.bodies import BoundedRequest
from osnova.http.converters import register_converters
from osnova.http.deadlines import init_deadlines
from osnova.http.headers import init_headers
from osnova.http.lean import CookieSessions, OsnovaFlask
from osnova.http.limits_storage import STORAGE_URI as DATABASE_LIMITS_STORAGE
from osnova.http.nul import init_nul_refusal
from osnova.http.origin import init_origin_check
from osnova.http.static_files import init_static_files
from osnova.i18n import install_template_gettext, select_locale
from osnova.jobs import init_jobs
from osnova.observability import init_observability, watch_pool
from osnova.web import (
    account,
    admin,
    admin_accounts,
    admin_audit,
    admin_dashboard,
    admin_items,
    admin_tokens,
    admin_transfer,
    auth,
    items,
    pages,
)
from osnova.web.sessions import init_sessions

MAX_REQUEST_BYTES = 16 * 1024 * 1024


def create_app(config: Settings | None = None, *, clock: Clock = utcnow) -> Flask:
    """Build an app for ``config`` (default: settings from the environment).

    ``clock`` tells sessions and remembered devices the time; tests pass one they move.

    Raises ``ConfigError`` when the configuration is unsafe for production.
    """
    settings = config if config is not None else load_settings()
    validate_for_startup(settings)
    instance_dir = settings.instance_dir.resolve()
    instance_dir.mkdir(parents=True, exist_ok=True)

    # APIFlask is a Flask whose API blueprints also yield the OpenAPI document; errors stay
    # with http/errors.py (HTML, or problem+json under /api/).
    app = OsnovaFlask(
        "osnova",
        instance_path=str(instance_dir),
        title="osnova API",
        version="1",
        spec_path="/api/v1/openapi.json",
        docs_path=None,
        json_errors=False,
    )
    configure_flask(app, settings)
    app.extensions[CLOCK_KEY] = clock
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def configure_flask(app: Flask, settings: Settings) -> None:
    app.extensions[SETTINGS_KEY] = settings
    app.request_class = BoundedRequest
    app.session_interface = CookieSessions()
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    if secret is None:
        secret = development_secret_key(settings.instance_dir)
    database_url = normalise_url(settings.resolved_database_url())
    app.config.update(
        SECRET_KEY=secret,
        DEBUG=settings.debug,
        TESTING=settings.is_testing,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(database_url),
        SQLALCHEMY_ECHO=settings.sql_echo,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        # In production the cookies carry the __Host- prefix: the browser then keeps them only
        # when Secure, for this host alone (no Domain) and the whole site (Path=/).
        SESSION_COOKIE_NAME="__Host-session" if settings.is_production else "session",
        # The remembered-device cookie (web/sessions.py); only its row in the database can
        # start a session. Flask-Login also looks for a cookie of this name and never finds
        # one it signed.
        REMEMBER_COOKIE_NAME=(
            "__Host-remember_device" if settings.is_production else "remember_device"
        ),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.is_production,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_lifetime_hours),
        REMEMBER_COOKIE_DURATION=timedelta(days=settings.remember_days),
        # Rate-limit counts are shared by every worker and host: in Redis, else in the database.
        RATELIMIT_STORAGE_URI=settings.redis_url or DATABASE_LIMITS_STORAGE,
        RATELIMIT_STORAGE_OPTIONS=dict(REDIS_TIMEOUTS) if settings.redis_url else {},
        # Never a per-process count when the storage fails: that would let N times the limit
        # through on N workers and hosts. A storage error is an error.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=False,
        RATELIMIT_KEY_PREFIX=settings.rate_limit_key_prefix,
        RATELIMIT_HEADERS_ENABLED=True,
        BABEL_DEFAULT_LOCALE="en",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        WTF_CSRF_TIME_LIMIT=None,
    )
    if settings.allowed_hosts:
        # Requests for any other Host are refused with 400 (Host header poisoning).
        app.config["TRUSTED_HOSTS"] = list(settings.allowed_hosts)


def register_extensions(app: Flask) -> None:
    init_observability(app, app.extensions[SETTINGS_KEY])
    init_nul_refusal(app)
    db.init_app(app)
    init_deadlines(app, app.extensions[SETTINGS_KEY])
    app.teardown_appcontext(release_database_session)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    # Flask-Limiter keeps the first app's key prefix on its shared instance; each app that is
    # built (several in one process under test) brings its own.
    limiter._key_prefix = app.config["RATELIMIT_KEY_PREFIX"]
    limiter.init_app(app)
    login_manager.init_app(app)
    init_sessions(app)
    init_headers(app, production=app.extensions[SETTINGS_KEY].is_production)
    init_origin_check(app)
    init_jobs(app, app.extensions[SETTINGS_KEY])
    with app.app_context():
        configure_engine(db.engine)
        watch_pool(db.engine)


def register_blueprints(app: Flask) -> None:
    register_converters(app)
    init_static_files(app)
    app.register_blueprint(probes.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_accounts.bp)
    app.register_blueprint(admin_transfer.bp)
    app.register_blueprint(admin_dashboard.bp)
    app.register_blueprint(admin_items.bp)
    app.register_blueprint(admin_tokens.bp)
    app.register_blueprint(admin_audit.bp)
    app.register_blueprint(items.bp)
    register_api(app)


def register_error_handlers(app: Flask) -> None:
    errors.register_error_handlers(app)


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
