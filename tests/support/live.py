"""``osnova serve`` on a free loopback port, and the Chromium flags, for tests that need them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from osnova import create_app
from osnova.extensions import db
from osnova.models import Role
from osnova.schemas import UserCreate
from osnova.services import accounts
from tests.support.databases import make_settings, migrate_database
from tests.support.environment import TEST_SECRET_KEY, free_port

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextmanager
def served_osnova(
    database_url: str,
    workdir: Path,
    *,
    workers: int = 2,
    serve_args: tuple[str, ...] = (),
    **settings: str,
) -> Iterator[str]:
    """Run ``osnova serve`` (gunicorn) on ``database_url``; yield its base URL.

    ``settings`` are extra ``OSNOVA_*`` variables. A server that dies or does not answer
    within 90 s (a busy machine) fails the test with its log.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSNOVA_")}
    env |= {
        "OSNOVA_ENV": "testing",
        "OSNOVA_SECRET_KEY": TEST_SECRET_KEY,
        "OSNOVA_DATABASE_URL": database_url,
        "OSNOVA_INSTANCE_DIR": str(workdir / "instance"),
        **settings,
    }
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"serve-{port}.log"
    osnova = str(Path(sys.executable).parent / "osnova")
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [osnova, "serve", "--port", str(port), "--workers", str(workers), *serve_args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/healthz", timeout=10).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"osnova serve did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield base_url
    finally:
        server.send_signal(signal.SIGINT)  # as Ctrl-C: gunicorn and any job consumer stop
        server.wait(timeout=60)


@contextmanager
def served_with_admin(workdir: Path, admin: str, password: str) -> Iterator[str]:
    """``osnova serve`` on a new SQLite file holding one admin, ``admin`` with ``password``,
    without sign-in and registration limits; yield its base URL."""
    url = f"sqlite:///{workdir / 'osnova.sqlite3'}"
    migrate_database(url, workdir / "instance")
    settings = make_settings(url, workdir / "instance")
    app = create_app(settings)
    with app.app_context():
        data = UserCreate(username=admin, email=f"{admin}@example.org", password=password)
        accounts.create_user(session=db.session(), settings=settings, data=data, role=Role.ADMIN)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    with served_osnova(
        url,
        workdir,
        # Token requests and registrations are rate limited; a test client is no attacker.
        OSNOVA_LOGIN_ATTEMPTS_PER_IP="100000 per minute",
        OSNOVA_LOGIN_FAILURES_PER_ACCOUNT="100000 per minute",
        OSNOVA_REGISTRATIONS_PER_IP="100000 per minute",
    ) as base_url:
        yield base_url
