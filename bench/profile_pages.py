"""Serve one URL in a loop inside this process, for a profiler to sample: no server, no client.

    .venv/bin/python bench/profile_pages.py /api/v1/items?limit=20           # µs per request
    py-spy record -r 500 -o bench/results/profiles/api-list-in-process.svg -- \\
        .venv/bin/python bench/profile_pages.py /api/v1/items?limit=20 --requests 20000

The app is built as ``osnova serve`` builds it (the production profile, Prometheus's
multiprocess folder) on the database the last ``make bench`` left in bench/data/http.sqlite3
(``--database`` names another). Each request goes through the whole WSGI stack, security
headers to teardown, as a server would call it; the answer is read and discarded.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from typing import Any

from http_bench import server_env
from werkzeug.test import EnvironBuilder

from transfer import DATA


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="path and query, such as /items")
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--database", default=str(DATA / "http.sqlite3"))
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    args = parser.parse_args()
    if not os.path.exists(args.database):
        parser.error(f"{args.database} does not exist: run make bench first")
    os.environ.update(server_env(f"sqlite:///{args.database}"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="osnova-profile-")
    from osnova.wsgi import app  # noqa: PLC0415 - after the environment is set

    headers = dict(header.split(": ", 1) for header in args.header)
    builder = EnvironBuilder(path=args.url, base_url="http://127.0.0.1:8000", headers=headers)
    environ = builder.get_environ()

    def start_response(status: str, _headers: Any, _exc_info: Any = None) -> Any:
        if not status.startswith("2"):
            raise SystemExit(f"{args.url} answered {status}")
        return lambda _data: None

    def serve(count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            request = dict(environ, **{"wsgi.input": io.BytesIO(b"")})
            answer = app(request, start_response)
            for _chunk in answer:
                pass
            getattr(answer, "close", lambda: None)()
        return (time.perf_counter() - started) / count * 1e6

    serve(min(args.requests, 200))  # caches, statements, the first connection
    rounds = [serve(max(args.requests // 5, 1)) for _ in range(5)]
    print(f"{args.url}: {statistics.median(rounds):.0f} µs per request (median of 5 rounds)")


if __name__ == "__main__":
    main()
