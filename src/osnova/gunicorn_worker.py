"""gunicorn's threaded worker, leaving new connections to idle workers while its threads are busy.

The stock ``gthread`` worker accepts every connection it can, busy or not. Workers share one
listening socket, so a burst of connections (nginx's ``keepalive`` pool to the app, a load
test's clients) can land on one worker and stay there while the others idle: with ``wrk -c64``
against two workers, about four runs in ten put all 64 connections on one worker, which served
a third of what two do (540 against 1,650 requests a second). Accepting only while a thread
is free is not the answer either: the connections beyond the threads then wait in the backlog
for seconds (p99 1.5 to 3.9 s). So a worker with a free thread accepts at once, and a busy one
at most one connection every ``BUSY_ACCEPT_INTERVAL``: a burst spreads over the workers, and
no connection waits long when they are all busy. Connections kept alive stay where they are,
so after a worker is recycled its successor starts with none: a worker holding more than
``CROWDED_PER_THREAD`` connections a thread closes one in ``HAND_BACK_EVERY`` after its answer
(``Connection: close``), and the client's next connection goes to whichever worker is free.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

BUSY_ACCEPT_INTERVAL = 0.002  # seconds
CROWDED_PER_THREAD = 4
HAND_BACK_EVERY = 100  # requests


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """``gthread`` that takes a new connection late while every thread has a request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Requests handed to the thread pool and not finished yet. Only the worker's main
        # thread changes it: requests are queued there, and their completion is run there.
        self.in_flight = 0
        self.busy_accept_at = 0.0

    def busy(self) -> bool:
        return bool(self.in_flight >= self.cfg.threads)

    def set_accept_enabled(self, enabled: bool) -> None:
        # gunicorn's loop asks to accept again on every turn while its connections are below
        # worker_connections; a busy worker says yes once its interval has passed.
        if enabled and self.busy():
            enabled = time.monotonic() >= self.busy_accept_at
        super().set_accept_enabled(enabled)

    def accept(self, listener: Any) -> None:
        super().accept(listener)
        if self.busy():
            self.busy_accept_at = time.monotonic() + BUSY_ACCEPT_INTERVAL
            self.set_accept_enabled(False)

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight += 1
        super().enqueue_req(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        # Runs in a pool thread; ``nr`` and ``nr_conns`` are read only, so a stale value
        # merely moves a hand-back by a request.
        crowded = self.nr_conns > CROWDED_PER_THREAD * self.cfg.threads
        if crowded and self.nr % HAND_BACK_EVERY == 0:
            req.must_close = True
        return super().handle_request(req, conn)

    def finish_request(self, conn: Any, fs: Future[Any]) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)
