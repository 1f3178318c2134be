"""A stand-in for the Sentry server on loopback: it keeps every envelope the SDK sends."""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


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
