"""What a test may need from the machine: free ports, programs, service URLs, strict mode.

A missing program or service URL skips the test on a bare machine and fails it under
``OSNOVA_TEST_STRICT=1`` (CI), so CI always runs everything.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
STRICT = os.environ.get("OSNOVA_TEST_STRICT") == "1"


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
