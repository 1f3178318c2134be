"""The app rides out a PostgreSQL restart: the pool notices dead connections (pre-ping)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.environment import STRICT, free_port
from tests.support.servers import Gunicorn, fetch, migrate, osnova_env


def postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        message = f"needs PostgreSQL's {name}, which is not installed"
        if STRICT:
            pytest.fail(message)
        pytest.skip(message)
    return found[-1]


def as_postgres(*command: str) -> list[str]:
    """Run as the postgres user when we are root (PostgreSQL refuses to run as root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@pytest.fixture
def private_postgres() -> Iterator[tuple[str, Callable[[], None]]]:
    """A PostgreSQL of our own on a free port, so restarting it disturbs nobody else."""
    initdb, pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
    home = Path(tempfile.mkdtemp(prefix="osnova-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    data = home / "data"
    port = free_port()
    subprocess.run(
        as_postgres(initdb, "-D", str(data), "-A", "trust", "-U", "postgres"),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    control = as_postgres(pg_ctl, "-D", str(data), "-o", options, "-l", str(home / "log"), "-w")

    def restart() -> None:
        subprocess.run([*control, "restart", "-m", "fast"], check=True, timeout=60)

    subprocess.run([*control, "start"], check=True, timeout=60)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", restart
    finally:
        subprocess.run([*control, "stop", "-m", "immediate"], check=False, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


def test_the_app_answers_again_within_5_s_of_postgresql_coming_back(
    tmp_path: Path,
    private_postgres: tuple[str, Callable[[], None]],
    record_property: Callable[[str, object], None],
) -> None:
    url, restart = private_postgres
    env = osnova_env(tmp_path, OSNOVA_DATABASE_URL=url)
    migrate(env)
    app = Gunicorn(tmp_path, env, workers=2).start()
    statuses: list[tuple[float, int]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            try:
                statuses.append((time.monotonic(), fetch(f"{app.url}/readyz", timeout=5).status))
            except OSError:
                statuses.append((time.monotonic(), -1))
            time.sleep(0.05)

    try:
        workers = app.worker_pids()
        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(1.5)
        restart()
        back_at = time.monotonic()
        time.sleep(6)
        stop.set()
        poller.join()
        first_ok = min(at for at, status in statuses if at >= back_at and status == 200)
        record_property("seconds from PostgreSQL back to a 200", round(first_ok - back_at, 2))
        assert first_ok - back_at <= 5
        assert all(status == 200 for at, status in statuses if at >= first_ok)
        assert app.worker_pids() == workers  # no process was restarted
    finally:
        app.stop()
