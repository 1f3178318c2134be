"""A real job consumer (``osnova worker``) beside a test's app, on a SQLite or a Redis queue."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from osnova.config import Settings
from osnova.extensions import current_settings
from osnova.jobs import job_queue
from tests.support.environment import TEST_SECRET_KEY, free_port, require_env

QUEUES = ["queue_sqlite", "queue_redis"]


@pytest.fixture(params=QUEUES)
def queue_storage(request: pytest.FixtureRequest) -> str:
    """Where the job queue lives: SQLite in the instance folder, or Redis."""
    if request.param == "queue_redis":
        require_env("OSNOVA_TEST_REDIS_URL")
    return str(request.param)


def queued_settings(storage: str, **more: Any) -> dict[str, Any]:
    """Settings for an app whose jobs go to a real queue (a consumer runs them), with short
    waits so a test needs seconds, and names of its own on a shared Redis."""
    unique = uuid.uuid4().hex[:12]
    values: dict[str, Any] = {
        "jobs_immediate": False,
        "jobs_queue_name": f"osnova-test-{unique}",
        "rate_limit_key_prefix": f"osnova-test-{unique}",
        "job_poll_seconds": 0.1,
        "job_retry_seconds": 0.5,
        "import_stall_seconds": 2,
    }
    if storage == "queue_redis":
        values["redis_url"] = os.environ["OSNOVA_TEST_REDIS_URL"]
    return values | more


def _environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OSNOVA_", "PROMETHEUS_"))}
    values = {
        "ENV": "testing",
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": settings.database_url,
        "INSTANCE_DIR": str(settings.instance_dir),
        "JOBS_IMMEDIATE": "0",
        "JOBS_QUEUE_NAME": settings.jobs_queue_name,
        "JOB_POLL_SECONDS": str(settings.job_poll_seconds),
        "JOB_RETRY_SECONDS": str(settings.job_retry_seconds),
        "IMPORT_STALL_SECONDS": str(settings.import_stall_seconds),
        "REDIS_URL": settings.redis_url or "",
        "SMTP_URL": settings.smtp_url or "",
        "BASE_URL": settings.base_url or "",
        "JOB_RETRIES": str(settings.job_retries),
        "SENTRY_DSN": settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else "",
    }
    env |= {f"OSNOVA_{name}": value for name, value in values.items() if value}
    return env


@dataclass
class Consumer:
    """``osnova worker`` in a process of its own, its output kept in a file."""

    settings: Settings
    workdir: Path
    metrics_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0

    @property
    def log_path(self) -> Path:
        return self.workdir / f"worker-{self.runs}.log"

    def start(self) -> Consumer:
        self.runs += 1
        osnova = str(Path(sys.executable).parent / "osnova")
        command = [osnova, "worker", "--metrics-port", str(self.metrics_port)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=_environment(self.settings), stdout=log, stderr=subprocess.STDOUT
            )
        self.wait_for_line(lambda line: "running jobs from" in line.get("message", ""))
        return self

    def lines(self) -> list[dict[str, Any]]:
        """The JSON lines of every run so far."""
        found: list[dict[str, Any]] = []
        for run in range(1, self.runs + 1):
            path = self.workdir / f"worker-{run}.log"
            text = path.read_text() if path.exists() else ""
            for line in text.splitlines():
                if line.startswith("{"):
                    found.append(json.loads(line))
                else:
                    found.append({"message": line})
        return found

    def wait_for_line(
        self, wanted: Callable[[dict[str, Any]], bool], timeout: float = 60
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines():
                if wanted(line):
                    return line
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"the consumer never logged what was expected:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no chance to finish or clean up, as when a host dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@pytest.fixture
def consumer_for(database_url: str, tmp_path: Path) -> Iterator[Callable[[Flask], Consumer]]:
    """Make (not start) a consumer for an app's queue. At the end of the test it is stopped
    (before the database is emptied) and the queue is flushed (Redis outlives the test)."""
    made: list[tuple[Flask, Consumer]] = []

    def make(app: Flask) -> Consumer:
        with app.app_context():
            settings = current_settings()
        consumer = Consumer(settings, tmp_path)
        made.append((app, consumer))
        return consumer

    yield make
    for app, consumer in made:
        consumer.stop()
        job_queue(app).huey.flush()
