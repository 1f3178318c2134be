"""The suite's pytest plugin: fixtures for apps, databases, clients and mail, and the summary
of how many tests ran on each database."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.database import utcnow
from osnova.extensions import Clock, db
from tests.support import factories
from tests.support.clock import ManualClock
from tests.support.cluster import cluster, cluster_hosts
from tests.support.databases import (
    SERVER_URL_VARIABLES,
    TABLES_CHILD_FIRST,
    MigratedDatabase,
    configured_backends,
    create_server_database,
    dispose_engine,
    drop_server_database,
    make_settings,
    migrate_database,
    new_app,
)
from tests.support.environment import STRICT
from tests.support.jobs import consumer_for, queue_storage
from tests.support.mail import smtp_sink
from tests.support.sentry import sentry_sink

__all__ = ["cluster", "cluster_hosts", "consumer_for", "queue_storage", "sentry_sink", "smtp_sink"]


def pytest_configure(config: pytest.Config) -> None:
    if STRICT:
        unset = [var for var in SERVER_URL_VARIABLES.values() if not os.environ.get(var)]
        if unset:
            raise pytest.UsageError(f"OSNOVA_TEST_STRICT=1 but {', '.join(unset)} not set")


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
    url = create_server_database(admin_url, name)
    try:
        migrate_database(url, workdir / "instance")
        yield MigratedDatabase(backend, url)
    finally:
        drop_server_database(admin_url, name)


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
def clock() -> ManualClock:
    """A clock for ``make_app(clock=clock)`` that moves only when the test advances it."""
    return ManualClock()


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build another app on this test's database, with some settings (or its clock) changed."""
    built: list[Flask] = []

    def build(clock: Clock = utcnow, **overrides: Any) -> Flask:
        settings = make_settings(database_url, tmp_path / "instance", **overrides)
        application = new_app(settings, clock)
        built.append(application)
        return application

    yield build
    for application in built:
        dispose_engine(application)


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
