"""Errors reach Sentry with their request id and without personal data."""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.servers import Gunicorn, fetch, osnova_env


class SentrySink(ThreadingHTTPServer):
    """Stands in for the Sentry server: keeps every envelope it is sent."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        super().__init__(("127.0.0.1", 0), EnvelopeHandler)

    def wait_for_envelopes(self, seconds: float = 15) -> bytes:
        """Every envelope received once the first arrives (or none after ``seconds``)."""
        deadline = time.monotonic() + seconds
        while not self.envelopes and time.monotonic() < deadline:
            time.sleep(0.1)
        return b"\n".join(self.envelopes)


class EnvelopeHandler(BaseHTTPRequestHandler):
    server: SentrySink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli  # type: ignore[import-not-found]  # noqa: PLC0415

            body = brotli.decompress(body)
        self.server.envelopes.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sentry_sink() -> Iterator[SentrySink]:
    sink = SentrySink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()


def test_an_error_reaches_sentry_with_its_request_id_and_no_secrets(
    tmp_path: Path, sentry_sink: SentrySink
) -> None:
    port = sentry_sink.server_address[1]
    # The database was never migrated: listing items fails for real, with a 500.
    env = osnova_env(
        tmp_path,
        OSNOVA_ENV="production",
        OSNOVA_ALLOWED_HOSTS="127.0.0.1",
        OSNOVA_BASE_URL="https://catalogue.example.org",
        OSNOVA_SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1",
    )
    app = Gunicorn(tmp_path, env, workers=1).start()
    try:
        answer = fetch(
            f"{app.url}/items",
            headers={
                "X-Request-ID": "sentry-check-42",
                "Cookie": "session=secret-session-cookie",
                "Authorization": "Bearer secret-api-token",
            },
        )
        assert answer.status == 500
        assert b"sentry-check-42" in answer.body  # the error page shows the request id
        received = sentry_sink.wait_for_envelopes()
    finally:
        app.stop()
    assert b"sentry-check-42" in received
    assert b"OperationalError" in received
    assert b"secret-session-cookie" not in received
    assert b"secret-api-token" not in received


def test_a_password_being_checked_never_reaches_sentry(
    tmp_path: Path, sentry_sink: SentrySink
) -> None:
    """The token endpoint fails (no tables) while it holds the password in its locals."""
    port = sentry_sink.server_address[1]
    env = osnova_env(tmp_path, OSNOVA_SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1")
    app = Gunicorn(tmp_path, env, workers=1).start()
    password = "hunter2-but-much-longer-and-secret"
    try:
        answer = fetch(
            f"{app.url}/api/v1/auth/tokens",
            method="POST",
            body=json.dumps({"username": "olena", "password": password}).encode(),
            headers={"Content-Type": "application/json", "X-Request-ID": "sentry-check-43"},
        )
        assert answer.status == 500
        received = sentry_sink.wait_for_envelopes()
    finally:
        app.stop()
    assert b"sentry-check-43" in received
    assert password.encode() not in received
    assert b"olena" not in received  # nothing of the body
