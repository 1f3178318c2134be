"""Jobs queued by an app host run on the worker host, from the Redis queue they share.

A job waiting in Redis survives the worker host's death and runs once when it is back. An
import that was running when the worker died is rolled back with it and run again from its
spooled file (a folder every host shares), so its rows arrive exactly once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.browsing import Browser, get_json, token_for
from tests.support.cluster import APP_HOSTS, PASSWORD, UPSTREAM_HEADER, Cluster
from tests.support.servers import SITE_HOST, fetch

# One cluster per test session: under xdist, every test of it on the same worker.
pytestmark = pytest.mark.xdist_group("cluster")

ROWS = 10_000


def mails_to(folder: Path, address: str) -> list[Path]:
    return [path for path in folder.glob("*.eml") if f"To: {address}" in path.read_text()]


def test_a_reset_mail_queued_while_the_worker_host_is_dead_is_sent_once_it_is_back(
    cluster: Cluster,
) -> None:
    cluster.create_user("mykola")
    worker = cluster.services["worker"]
    worker.kill()
    asked = Browser(cluster.url).post_form("/password/forgot", {"email": "mykola@example.org"})
    assert asked.status == 302
    queued_on = cluster.host_of(asked.headers[UPSTREAM_HEADER])

    cluster.start_worker()
    outbox = cluster.workdir / "worker" / "instance" / "mail"
    deadline = time.monotonic() + 60
    while not mails_to(outbox, "mykola@example.org") and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # room for a second copy, were there one
    assert len(mails_to(outbox, "mykola@example.org")) == 1
    for host in APP_HOSTS:  # written by the worker host, not by the host that queued it
        assert not mails_to(cluster.workdir / host / "instance" / "mail", "mykola@example.org")
    assert queued_on in APP_HOSTS


def items_csv(rows: int) -> bytes:
    lines = ["title,description,is_public,external_id"]
    lines += [f"Map {n},A printed map number {n},true,cluster-{n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def poll(
    cluster: Cluster, token: str, job_id: int, until: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answer = get_json(cluster.url, f"/api/v1/imports/jobs/{job_id}", token=token)
        assert answer.status == 200, answer.body
        status: dict[str, Any] = json.loads(answer.body)
        if until(status):
            return status
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for import {job_id}")


def test_an_import_killed_with_the_worker_host_is_run_again_and_lands_exactly_once(
    cluster: Cluster,
) -> None:
    cluster.create_user("importer", admin=True)
    token = token_for(cluster.url, "importer", PASSWORD)
    submitted = fetch(
        cluster.url + "/api/v1/imports/items?format=csv",
        method="POST",
        host=SITE_HOST,
        body=items_csv(ROWS),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        timeout=60,
    )
    assert submitted.status == 202, submitted.body
    job_id = json.loads(submitted.body)["id"]

    poll(cluster, token, job_id, lambda s: s["status"] == "running" and s["rows_done"] > 0)
    cluster.services["worker"].kill()
    cluster.start_worker()
    done = poll(cluster, token, job_id, lambda s: s["status"] in ("done", "failed"))

    assert (done["status"], done["attempts"], done["report"]["created"]) == ("done", 2, ROWS)
    [(count, distinct)] = cluster.sql(
        "SELECT count(*), count(DISTINCT external_id) FROM items WHERE external_id LIKE 'cluster-%'"
    )
    assert (count, distinct) == (ROWS, ROWS)
