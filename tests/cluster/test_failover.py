"""One app host dies, or loses its database, under load: nginx's passive health checks and
retry rules keep reads answered (all but one the killed host was in the middle of answering),
and no acknowledged write is lost or made twice."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable

import pytest

from tests.support.browsing import token_for
from tests.support.cluster import PASSWORD, Cluster
from tests.support.load import Load, Outcome
from tests.support.servers import DEPLOY, SITE_HOST, fetch

FAIL_TIMEOUT = 10  # seconds; the upstream's fail_timeout in tests.support.cluster

# One cluster per test session: under xdist, every test of it on the same worker.
pytestmark = pytest.mark.xdist_group("cluster")


def touched(cluster: Cluster, outcome: Outcome, host: str) -> bool:
    """nginx sent this request to ``host`` (first try or retry)."""
    return f"{cluster.network.address(host)}:" in outcome.upstream


def test_the_shipped_config_never_retries_a_post_on_another_host() -> None:
    shipped = (DEPLOY / "nginx" / "osnova.conf").read_text()
    rules = re.findall(r"^\s*proxy_next_upstream\s+([^;]*);", shipped, re.MULTILINE)
    assert rules
    assert all("non_idempotent" not in rule for rule in rules)


def test_an_app_host_killed_under_write_load_loses_no_acknowledged_item_and_doubles_none(
    cluster: Cluster, record_property: Callable[[str, object], None]
) -> None:
    cluster.create_user("writer")
    load = Load(cluster, token_for(cluster.url, "writer", PASSWORD), "failover")
    load.start(writers=3, readers=1)
    try:
        time.sleep(4)
        killed_from = time.monotonic()
        cluster.services["app1"].kill()  # master and workers, SIGKILL
        killed_by = time.monotonic()
        time.sleep(4)
        cluster.start_app("app1")
        cluster.wait_for_app("app1")
        rejoined = time.monotonic()
        # nginx leaves a failed host alone for fail_timeout (10 s) from its last failure, so
        # the restarted host is back in rotation at most that long after it answers again.
        back_in_rotation = None
        while time.monotonic() - rejoined < FAIL_TIMEOUT + 8:
            if any(touched(cluster, o, "app1") for o in load.since(rejoined)):
                back_in_rotation = time.monotonic() - rejoined
                break
            time.sleep(0.2)
        time.sleep(2)
    finally:
        load.stop()

    acknowledged = load.acknowledged_titles()
    stored = Counter(load.stored_titles())
    writes, reads = load.of_kind("write"), load.of_kind("read")
    failed_writes = Counter(o.status for o in writes if o.status != 201)
    failed_reads = [o for o in reads if o.status != 200]
    # nginx passes a read to the other host only while it has sent the client nothing: a read
    # whose answer app1 had begun (its headers sent, its body not) when killed is cut off.
    cut_off = [o for o in failed_reads if o.started <= killed_by and o.finished >= killed_from]
    figures = {
        "writes": len(writes),
        "acknowledged": len(acknowledged),
        "failed writes by status": dict(failed_writes),
        "stored but not acknowledged": len(set(stored) - set(acknowledged)),
        "reads": len(reads),
        "failed reads": len(failed_reads),
        "of those, in flight at the kill": len(cut_off),
        "back in rotation after (s)": back_in_rotation,
    }
    record_property("failover", figures)
    print(f"\nfailover: {figures}")
    assert len(acknowledged) > 20
    assert all(stored[title] == 1 for title in acknowledged)  # none lost
    assert [title for title, count in stored.items() if count > 1] == []  # none doubled
    assert failed_reads == cut_off
    assert len(cut_off) <= 1  # one reader: at most one read in flight
    assert back_in_rotation is not None


def test_an_app_host_cut_off_from_postgresql_fails_readiness_and_nginx_steers_reads_away(
    cluster: Cluster, record_property: Callable[[str, object], None]
) -> None:
    cluster.create_user("reader")
    load = Load(cluster, token_for(cluster.url, "reader", PASSWORD), "cut")
    load.start(writers=0, readers=3)
    readiness: list[int] = []
    try:
        time.sleep(2)
        cluster.network.cut("app1")
        cut_at = time.monotonic()
        while time.monotonic() - cut_at < 12:
            try:
                answer = fetch(f"{cluster.app_url('app1')}/readyz", host=SITE_HOST, timeout=15)
                readiness.append(answer.status)
            except OSError:
                readiness.append(-1)
        cluster.network.mend("app1")
        mended_at = time.monotonic()
        cluster.wait_for_app("app1", timeout=30)
        back_after = time.monotonic() - mended_at
    finally:
        cluster.network.mend("app1")
        load.stop()

    reads = load.of_kind("read")
    during = [o for o in reads if cut_at <= o.started < mended_at]
    late = [o for o in during if o.started > cut_at + 8]
    figures = {
        "reads during the cut": len(during),
        "failed reads during the cut": sum(o.status != 200 for o in during),
        "failed reads by status and host": dict(
            Counter((o.status, o.upstream) for o in during if o.status != 200)
        ),
        "reads sent to the cut host": sum(touched(cluster, o, "app1") for o in during),
        "of those in its last 4 s": sum(touched(cluster, o, "app1") for o in late),
        "slowest read (s)": round(max(o.seconds for o in during), 1),
        "readyz answers of the cut host": dict(Counter(readiness)),
        "seconds until it is ready again": round(back_after, 1),
        "failed reads outside the cut (s from the cut, status, hosts)": [
            (round(o.started - cut_at, 1), o.status, o.upstream)
            for o in reads
            if o.status != 200 and o not in during
        ],
    }
    record_property("network cut", figures)
    print(f"\nnetwork cut: {figures}")
    assert 503 in readiness
    assert figures["failed reads during the cut"] == 0
    assert all(o.status == 200 for o in reads)
    late_on_cut_host = sum(touched(cluster, o, "app1") for o in late)
    assert len(late) > 10 * late_on_cut_host  # nearly all go elsewhere
