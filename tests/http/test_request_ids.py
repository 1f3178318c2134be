"""Every answer carries a request id: the caller's when it looks sane, else a fresh one that
no other request of any worker shares, so a log search for it finds one request."""

from __future__ import annotations

import os
import re

from flask import Flask

from osnova.observability import _new_request_id

FRESH_ID = re.compile(r"[0-9a-f]{32}")


def test_a_sane_id_sent_by_the_caller_is_echoed(app: Flask) -> None:
    answer = app.test_client().get("/healthz", headers={"X-Request-ID": "trace-42.a:b"})

    assert answer.headers["X-Request-ID"] == "trace-42.a:b"


def test_a_missing_or_odd_id_is_replaced_by_a_fresh_one_each_time(app: Flask) -> None:
    client = app.test_client()
    sent = ["", "has spaces", "x" * 129, "<script>"] * 10

    ids = [
        client.get("/healthz", headers={"X-Request-ID": s}).headers["X-Request-ID"] for s in sent
    ]

    assert all(FRESH_ID.fullmatch(i) for i in ids), ids
    assert len(set(ids)) == len(ids)


def test_forked_workers_make_different_ids() -> None:
    """gunicorn forks its workers from one master: each must draw its own ids."""
    _new_request_id()  # the parent's generator is in use before the fork, as in a master
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: report its first ids and leave at once
        os.write(writer, "".join(_new_request_id() for _ in range(3)).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        from_child = pipe.read()
    os.waitpid(child, 0)
    from_parent = "".join(_new_request_id() for _ in range(3))

    assert len(from_child) == len(from_parent) == 96
    assert from_child != from_parent
