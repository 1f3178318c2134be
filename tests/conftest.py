"""Shared fixtures: an app per test on each configured database, clients, factories.

The schema always comes from the Alembic migrations. SQLite is always tested; PostgreSQL and
MariaDB too when ``OSNOVA_TEST_POSTGRES_URL`` / ``OSNOVA_TEST_MARIADB_URL`` are set. Each
xdist worker gets its own server database, migrated once; every test starts with empty
tables. A server URL that is set but unreachable makes the tests that use it error.
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.sessions import SessionMixin
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from osnova import create_app
from osnova.config import Environment, Settings
from osnova.extensions import db
from osnova.migration_commands import init_migrations
from tests import factories

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
SERVER_URL_VARIABLES = {
    "postgresql": "OSNOVA_TEST_POSTGRES_URL",
    "mariadb": "OSNOVA_TEST_MARIADB_URL",
}
STRICT = os.environ.get("OSNOVA_TEST_STRICT") == "1"
TABLES_CHILD_FIRST = ("audit_events", "api_tokens", "items", "users")


def configured_backends() -> list[str]:
    return ["sqlite"] + [name for name, var in SERVER_URL_VARIABLES.items() if os.environ.get(var)]


def pytest_configure(config: pytest.Config) -> None:
    if STRICT:
        unset = [var for var in SERVER_URL_VARIABLES.values() if not os.environ.get(var)]
        if unset:
            raise pytest.UsageError(f"OSNOVA_TEST_STRICT=1 but {', '.join(unset)} not set")


def require_program(name: str) -> str:
    """The path of an external program; skip without it, or fail under strict mode."""
    path = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if path is None:
        message = f"needs the program {name!r}, which is not installed"
        if STRICT:
            pytest.fail(message)
        pytest.skip(message)
    return path


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


class IsolatedClient(FlaskClient):
    """A test client whose requests never see the test's own app context.

    Flask reuses an already pushed app context for a request, which would share ``g`` (the
    signed-in user, the CSRF token) and the database session between requests. Running each
    request in an empty ``contextvars`` context gives it fresh ones, as in production.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        context = contextvars.Context()
        response: TestResponse = context.run(super().open, *args, **kwargs)
        if not isinstance(response.response, list | tuple):  # streamed: read it in its context
            response.response = IterateInContext(context, response.response)
        return response

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[SessionMixin]:
        context = contextvars.Context()
        manager = context.run(super().session_transaction, *args, **kwargs)
        flask_session = context.run(manager.__enter__)
        try:
            yield flask_session
        finally:
            context.run(manager.__exit__, None, None, None)


class IterateInContext:
    """A streamed body that is read, and closed, in the context its request ran in."""

    def __init__(self, context: contextvars.Context, iterable: Any) -> None:
        self.context = context
        self.iterable = iterable
        self.iterator = context.run(iter, iterable)

    def __iter__(self) -> IterateInContext:
        return self

    def __next__(self) -> Any:
        return self.context.run(next, self.iterator)

    def close(self) -> None:
        close = getattr(self.iterable, "close", None)
        if close is not None:
            self.context.run(close)


def new_app(settings: Settings) -> Flask:
    application = create_app(settings)
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


def _create_server_database(admin_url: str, name: str) -> str:
    """A new database beside the one in ``admin_url``; its name is unique to this run."""
    url = make_url(admin_url)
    if url.get_backend_name() == "postgresql":
        _on_server(admin_url, f'CREATE DATABASE "{name}"')
    else:
        charset = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        _on_server(admin_url, f"CREATE DATABASE `{name}` {charset}")
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_server_database(admin_url: str, name: str) -> None:
    if make_url(admin_url).get_backend_name() == "postgresql":
        _on_server(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        _on_server(admin_url, f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(scope="session", params=configured_backends())
def migrated_database(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
    testrun_uid: str,
) -> Iterator[MigratedDatabase]:
    backend: str = request.param
    workdir = tmp_path_factory.mktemp(f"db-{backend}")
    if backend == "sqlite":
        template = workdir / "template.sqlite3"
        url = f"sqlite:///{template}"
        migrate_database(url, workdir / "instance")
        yield MigratedDatabase(backend, url, template)
        return
    admin_url = os.environ[SERVER_URL_VARIABLES[backend]]
    name = f"osnova_test_{testrun_uid[:10]}_{worker_id}"
    url = _create_server_database(admin_url, name)
    try:
        migrate_database(url, workdir / "instance")
        yield MigratedDatabase(backend, url)
    finally:
        _drop_server_database(admin_url, name)


@pytest.fixture
def backend(migrated_database: MigratedDatabase) -> str:
    return migrated_database.backend


@pytest.fixture
def database_url(migrated_database: MigratedDatabase, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of the current backend for this test alone."""
    if migrated_database.template is not None:
        copy = tmp_path / "osnova.sqlite3"
        shutil.copyfile(migrated_database.template, copy)
        yield f"sqlite:///{copy}"
        return
    yield migrated_database.url
    engine = create_engine(migrated_database.url)
    with engine.begin() as connection:
        for table in TABLES_CHILD_FIRST:
            connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "instance")


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    application = new_app(settings)
    with application.app_context():
        factories.bind(db.session)
        yield application
    dispose_engine(application)


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build another app on this test's database, with some settings changed."""
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        application = new_app(make_settings(database_url, tmp_path / "instance", **overrides))
        built.append(application)
        return application

    yield build
    for application in built:
        dispose_engine(application)


def dispose_engine(application: Flask) -> None:
    """Close the app's pooled connections now rather than whenever they are collected."""
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps what it receives."""

    url: str
    messages: list[EmailMessage] = field(default_factory=list)

    def last_link(self, path_prefix: str) -> str:
        """The path of the last link in the newest message that starts with ``path_prefix``."""
        body = self.messages[-1].get_content()
        match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S+)", body)
        assert match is not None, body
        return match.group(1)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(url="")

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            raw = (
                envelope.content
                if isinstance(envelope.content, bytes)
                else envelope.content.encode()
            )
            message = BytesParser(policy=default_policy).parsebytes(raw)
            assert isinstance(message, EmailMessage)
            sink.messages.append(message)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    sink.url = f"smtp://127.0.0.1:{port}"
    try:
        yield sink
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_env(variable: str) -> str:
    """The value of a test service URL; skip without it, or fail under strict mode."""
    value = os.environ.get(variable)
    if not value:
        message = f"needs {variable}, which is not set"
        if STRICT:
            pytest.fail(message)
        pytest.skip(message)
    return value


@pytest.fixture
def session(app: Flask) -> Session:
    """The app's database session (the test runs inside an app context)."""
    return db.session()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def _backend_of(nodeid: str) -> str | None:
    if not nodeid.endswith("]") or "[" not in nodeid:
        return None
    params = nodeid[nodeid.rindex("[") + 1 : -1].split("-")
    return next((p for p in params if p in ("sqlite", "postgresql", "mariadb")), None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Show how many tests ran on each database, so a skipped backend never passes for a run."""
    counts: dict[str, Counter[str]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") != "call" and outcome in ("passed", "failed"):
                continue
            name = _backend_of(report.nodeid)
            if name is not None:
                counts.setdefault(name, Counter())[outcome] += 1
    figures = [
        (report.nodeid, name, value)
        for report in terminalreporter.stats.get("passed", [])
        for name, value in getattr(report, "user_properties", [])
        if getattr(report, "when", "") == "call"
    ]
    if figures:
        terminalreporter.section("figures measured by tests")
        for nodeid, name, value in figures:
            terminalreporter.write_line(f"{nodeid}: {name} = {value}")
    terminalreporter.section("tests per database")
    for name in ("sqlite", "postgresql", "mariadb"):
        if name in counts:
            tally = ", ".join(f"{n} {o}" for o, n in sorted(counts[name].items()))
            terminalreporter.write_line(f"{name:<11} {tally}")
        else:
            terminalreporter.write_line(f"{name:<11} not run (no URL configured)")
