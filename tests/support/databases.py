"""The database lifecycle of the suite: settings, apps, migrated databases per backend.

The schema always comes from the Alembic migrations. SQLite is always tested; PostgreSQL and
MariaDB too when ``OSNOVA_TEST_POSTGRES_URL`` / ``OSNOVA_TEST_MARIADB_URL`` are set. Each
xdist worker gets its own server database, migrated once; every test starts with empty
tables. A server URL that is set but unreachable makes the tests that use it error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from osnova import create_app
from osnova.commands.migrations import init_migrations
from osnova.config import Environment, Settings
from osnova.database import utcnow
from osnova.extensions import Clock, db
from tests.support.clients import IsolatedClient
from tests.support.environment import TEST_SECRET_KEY

SERVER_URL_VARIABLES = {
    "postgresql": "OSNOVA_TEST_POSTGRES_URL",
    "mariadb": "OSNOVA_TEST_MARIADB_URL",
}
TABLES_CHILD_FIRST = (
    "rate_limit_counters",
    "audit_events",
    "api_tokens",
    "remembered_devices",
    "items",
    "users",
)


def configured_backends() -> list[str]:
    return ["sqlite"] + [name for name, var in SERVER_URL_VARIABLES.items() if os.environ.get(var)]


def make_settings(database_url: str, instance_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": Environment.TESTING,
        "secret_key": TEST_SECRET_KEY,
        "database_url": database_url,
        "instance_dir": instance_dir,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


def new_app(settings: Settings, clock: Clock = utcnow) -> Flask:
    application = create_app(settings, clock=clock)
    application.test_client_class = IsolatedClient
    return application


def migrate_database(database_url: str, instance_dir: Path) -> None:
    app = create_app(make_settings(database_url, instance_dir))
    init_migrations(app)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@dataclass(frozen=True)
class MigratedDatabase:
    """A database at the latest migration: a template file (SQLite) or a worker database."""

    backend: str
    url: str
    template: Path | None = None


def _on_server(admin_url: str, *statements: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def create_server_database(admin_url: str, name: str) -> str:
    """A new database beside the one in ``admin_url``; its name is unique to this run."""
    url = make_url(admin_url)
    if url.get_backend_name() == "postgresql":
        _on_server(admin_url, f'CREATE DATABASE "{name}"')
    else:
        charset = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        _on_server(admin_url, f"CREATE DATABASE `{name}` {charset}")
    return url.set(database=name).render_as_string(hide_password=False)


def drop_server_database(admin_url: str, name: str) -> None:
    if make_url(admin_url).get_backend_name() == "postgresql":
        _on_server(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        _on_server(admin_url, f"DROP DATABASE IF EXISTS `{name}`")


def dispose_engine(application: Flask) -> None:
    """Close the app's pooled connections now rather than whenever they are collected."""
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
