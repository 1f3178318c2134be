"""``osnova serve`` leaves no temporary metrics folder behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.environment import free_port
from tests.support.servers import wait_until_up

OSNOVA = str(Path(sys.executable).parent / "osnova")


def test_serve_removes_the_metrics_folder_it_made_when_it_stops(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OSNOVA_", "PROMETHEUS_"))}
    env |= {
        "TMPDIR": str(temporary),  # where gunicorn's settings make the metrics folder
        "OSNOVA_INSTANCE_DIR": str(tmp_path / "instance"),
        "OSNOVA_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    subprocess.run([OSNOVA, "db", "upgrade"], env=env, check=True, timeout=60)
    port = free_port()
    server = subprocess.Popen(
        [OSNOVA, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        made = [path.name for path in temporary.iterdir()]
        assert len(made) == 1
        assert made[0].startswith("osnova-metrics-")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=40)
    assert list(temporary.iterdir()) == []


def test_serve_keeps_a_metrics_folder_it_was_given(tmp_path: Path) -> None:
    given = tmp_path / "metrics"
    given.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OSNOVA_", "PROMETHEUS_"))}
    env |= {
        "PROMETHEUS_MULTIPROC_DIR": str(given),
        "OSNOVA_INSTANCE_DIR": str(tmp_path / "instance"),
        "OSNOVA_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    subprocess.run([OSNOVA, "db", "upgrade"], env=env, check=True, timeout=60)
    port = free_port()
    server = subprocess.Popen(
        [OSNOVA, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=40)
    assert given.is_dir()  # systemd's RuntimeDirectory, say: not this server's to remove
