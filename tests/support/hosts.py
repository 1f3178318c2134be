"""Programs on the hosts of a test network: each in a process group of its own, so a host's
death (SIGKILL to the group) takes all of its processes, as a power cut would."""

from __future__ import annotations

import contextlib
import glob
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.environment import STRICT
from tests.support.netns import Network


def postgres_program(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        message = f"needs PostgreSQL's {name}, which is not installed"
        if STRICT:
            pytest.fail(message)
        pytest.skip(message)
    return found[-1]


def wait_for_port(address: str, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@dataclass
class Service:
    """One long-running program on a host, in a process group of its own."""

    network: Network
    host: str
    name: str
    command: list[str]
    env: dict[str, str]
    logdir: Path
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0

    @property
    def log_path(self) -> Path:
        return self.logdir / f"{self.name}-{self.runs}.log"

    def start(self) -> Service:
        self.runs += 1
        with self.log_path.open("wb") as log:
            self.process = self.network.spawn(self.host, self.command, env=self.env, log=log)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, signum: signal.Signals) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL to the whole group (a gunicorn master and its workers): a host that dies."""
        if self.process is None:
            return
        self.signal_group(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, signum: signal.Signals = signal.SIGTERM, timeout: float = 30) -> None:
        """Ask politely, then kill the group."""
        if self.process is None:
            return
        if self.running:
            self.signal_group(signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill()

    def log(self) -> str:
        return "".join(
            path.read_text(errors="replace")
            for run in range(1, self.runs + 1)
            if (path := self.logdir / f"{self.name}-{run}.log").exists()
        )
