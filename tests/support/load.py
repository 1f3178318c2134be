"""A bounded read and write load through nginx, every answer kept for the test to judge.

Writers create items over the API, each with a title of its own, so the database can be
checked afterwards for every acknowledged (201) creation, exactly once. Readers list public
items. A request that gets no answer at all, or an answer cut off in its body, counts as
status -1.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from dataclasses import dataclass, field

from tests.support.browsing import get_json, post_json
from tests.support.cluster import UPSTREAM_HEADER, Cluster

# Load never runs longer than this, whatever a test forgets.
MAX_SECONDS = 60


@dataclass(frozen=True)
class Outcome:
    kind: str  # "write" or "read"
    started: float
    finished: float
    status: int
    upstream: str  # nginx's $upstream_addr: every host it tried, in order
    title: str = ""

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass
class Load:
    cluster: Cluster
    token: str
    prefix: str
    outcomes: list[Outcome] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    numbers: itertools.count[int] = field(default_factory=itertools.count)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, *, writers: int, readers: int) -> Load:
        deadline = time.monotonic() + MAX_SECONDS
        for _ in range(writers):
            self.threads.append(threading.Thread(target=self._write, args=(deadline,)))
        for _ in range(readers):
            self.threads.append(threading.Thread(target=self._read, args=(deadline,)))
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _keep(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def _write(self, deadline: float) -> None:
        while not self.stopping.is_set() and time.monotonic() < deadline:
            title = f"{self.prefix}-{next(self.numbers)}"
            started = time.monotonic()
            try:
                answer = post_json(
                    self.cluster.url,
                    "/api/v1/items",
                    {"title": title, "description": "under load", "is_public": True},
                    token=self.token,
                    timeout=40,
                )
                status, upstream = answer.status, answer.headers.get(UPSTREAM_HEADER, "")
                if status == 201:
                    assert json.loads(answer.body)["title"] == title
            except (OSError, http.client.HTTPException):  # IncompleteRead: cut off
                status, upstream = -1, ""
            self._keep(Outcome("write", started, time.monotonic(), status, upstream, title))

    def _read(self, deadline: float) -> None:
        while not self.stopping.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                answer = get_json(self.cluster.url, "/api/v1/items?limit=5", timeout=40)
                status, upstream = answer.status, answer.headers.get(UPSTREAM_HEADER, "")
            except (OSError, http.client.HTTPException):  # IncompleteRead: cut off
                status, upstream = -1, ""
            self._keep(Outcome("read", started, time.monotonic(), status, upstream))

    def of_kind(self, kind: str) -> list[Outcome]:
        with self.lock:
            return [outcome for outcome in self.outcomes if outcome.kind == kind]

    def since(self, moment: float) -> list[Outcome]:
        """Every answer to a request sent after ``moment`` (``time.monotonic()``)."""
        with self.lock:
            return [outcome for outcome in self.outcomes if outcome.started > moment]

    def acknowledged_titles(self) -> list[str]:
        return [outcome.title for outcome in self.of_kind("write") if outcome.status == 201]

    def stored_titles(self) -> list[str]:
        """Every title of this load in the database, repeats included."""
        rows = self.cluster.sql(f"SELECT title FROM items WHERE title LIKE '{self.prefix}-%'")
        return [str(title) for (title,) in rows]
