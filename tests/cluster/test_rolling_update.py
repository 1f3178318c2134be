"""A release under load: an expand-only migration first, then each app host restarted in
turn while nginx holds it out of rotation. Not one request fails."""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from collections.abc import Callable

import pytest
from flask_migrate import downgrade

from osnova import create_app
from osnova.commands.migrations import init_migrations
from tests.support.browsing import token_for
from tests.support.cluster import APP_HOSTS, PASSWORD, Cluster
from tests.support.databases import dispose_engine, make_settings
from tests.support.load import Load
from tests.support.servers import ROOT

# One cluster per test session: under xdist, every test of it on the same worker.
pytestmark = pytest.mark.xdist_group("cluster")

VERSIONS = ROOT / "src" / "osnova" / "migrations" / "versions"


def head_revision() -> str:
    newest = sorted(VERSIONS.glob("[0-9]*.py"))[-1]
    found = re.search(r'^revision = "([^"]+)"', newest.read_text(), re.MULTILINE)
    assert found is not None
    return found.group(1)


def schema_revision(cluster: Cluster) -> str:
    [(revision,)] = cluster.sql("SELECT version_num FROM alembic_version")
    return str(revision)


def step_back_one_revision(cluster: Cluster) -> None:
    """The database as the previous release left it (the newest migration not yet run)."""
    app = create_app(make_settings(cluster.database_url, cluster.workdir / "admin" / "instance"))
    init_migrations(app)
    with app.app_context():
        downgrade(revision="-1")
    dispose_engine(app)


def test_a_migration_and_a_host_by_host_restart_under_load_fail_no_request(
    cluster: Cluster, record_property: Callable[[str, object], None]
) -> None:
    step_back_one_revision(cluster)
    assert schema_revision(cluster) != head_revision()
    cluster.create_user("releaser")
    load = Load(cluster, token_for(cluster.url, "releaser", PASSWORD), "release")
    load.start(writers=2, readers=2)
    try:
        time.sleep(1)
        cluster.osnova("db", "upgrade")  # expand-only: the running code never notices
        for host in APP_HOSTS:
            cluster.reload_nginx(down=frozenset({host}))
            cluster.services[host].stop(signal.SIGTERM, timeout=35)  # graceful: finish, exit
            cluster.start_app(host)
            cluster.wait_for_app(host)
            cluster.reload_nginx()
        time.sleep(1)
    finally:
        load.stop()

    outcomes = load.of_kind("write") + load.of_kind("read")
    figures = {
        "requests": len(outcomes),
        "by kind and status": dict(Counter((o.kind, o.status) for o in outcomes)),
        "slowest (s)": round(max(o.seconds for o in outcomes), 1),
    }
    record_property("rolling update", figures)
    print(f"\nrolling update: {figures}")
    assert schema_revision(cluster) == head_revision()
    assert len(outcomes) > 50
    assert [o for o in outcomes if o.status not in (200, 201)] == []
    assert sorted(load.stored_titles()) == sorted(load.acknowledged_titles())
