"""Two app hosts behind nginx share everything a visitor can tell apart: the session, its
end, uploaded images and the sign-in limit. Each host keeps its own metrics."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.support.browsing import Browser, post_json
from tests.support.cluster import APP_HOSTS, METRICS_TOKEN, PASSWORD, UPSTREAM_HEADER, Cluster
from tests.support.servers import SITE_HOST, Answer, fetch

# One cluster per test session: under xdist, every test of it on the same worker.
pytestmark = pytest.mark.xdist_group("cluster")


def served_by(cluster: Cluster, answer: Answer) -> str:
    return cluster.host_of(answer.headers[UPSTREAM_HEADER])


def png_picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def other(host: str) -> str:
    return next(name for name in APP_HOSTS if name != host)


def test_a_session_is_good_on_both_hosts_and_a_sign_out_on_one_ends_it_on_both(
    cluster: Cluster,
) -> None:
    cluster.create_user("olena")
    browser = Browser(cluster.url)
    signed_in = browser.post_form("/login", {"login": "olena", "password": PASSWORD})
    assert signed_in.status == 302

    pages = [browser.get("/account") for _ in range(4)]
    assert [page.status for page in pages] == [200] * 4
    assert all(b"olena" in page.body for page in pages)
    assert {served_by(cluster, page) for page in pages} == set(APP_HOSTS)  # round robin

    stolen = browser.copy()  # the cookie as it was while signed in
    signed_out = browser.post_form("/logout", {}, form_page="/")
    assert signed_out.status == 302
    for host in APP_HOSTS:
        page = stolen.copy(cluster.app_url(host)).get("/account")
        assert (host, page.status, page.headers["location"].split("?")[0]) == (
            host,
            302,
            "/login",
        )


def test_an_image_uploaded_through_one_host_is_served_by_the_other(cluster: Cluster) -> None:
    cluster.create_user("ivanka")
    browser = Browser(cluster.url)
    assert browser.post_form("/login", {"login": "ivanka", "password": PASSWORD}).status == 302
    created = browser.post_form(
        "/items/new",
        {"title": "Compass", "description": "", "is_public": "y"},
        files={"image": ("compass.png", png_picture())},
    )
    assert created.status == 302, created.body[:500]
    item_path = created.headers["location"]
    elsewhere = other(served_by(cluster, created))

    page = browser.copy(cluster.app_url(elsewhere)).get(item_path)
    assert page.status == 200
    found = re.search(rb'class="item-image" src="(/media/items/[^"]+)"', page.body)
    assert found is not None
    media = found.group(1).decode()
    for base in (cluster.app_url(elsewhere), cluster.url):  # the other host, and nginx
        picture = fetch(base + media, host=SITE_HOST)
        assert (picture.status, picture.headers["content-type"]) == (200, "image/png")
        assert picture.body.startswith(b"\x89PNG")


def test_eleven_failed_sign_ins_spread_over_both_hosts_are_refused(cluster: Cluster) -> None:
    cluster.create_user("taras")
    attempt = {"username": "taras", "password": "not the password"}
    # Sent to each host in turn, not through nginx, whose choice of host is its own.
    hosts = [APP_HOSTS[n % len(APP_HOSTS)] for n in range(10)]
    failures = [post_json(cluster.app_url(host), "/api/v1/auth/tokens", attempt) for host in hosts]
    assert [answer.status for answer in failures] == [401] * 10

    for host in APP_HOSTS:  # the eleventh, and a twelfth on the other host: both refused
        right = {**attempt, "password": PASSWORD}
        refused = post_json(cluster.app_url(host), "/api/v1/auth/tokens", right)
        assert refused.status == 429, host
        assert int(refused.headers["retry-after"]) > 0


def test_each_host_serves_its_own_metrics(cluster: Cluster) -> None:
    counts = {}
    for host in APP_HOSTS:
        for _ in range(3):
            assert fetch(cluster.app_url(host) + "/healthz", host=SITE_HOST).status == 200
        scrape = fetch(
            cluster.app_url(host) + "/metrics",
            host=SITE_HOST,
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        )
        assert scrape.status == 200
        counted = re.search(
            rb'osnova_http_requests_total\{endpoint="probes.healthz",method="GET",status="200"\} '
            rb"([0-9.e+]+)",
            scrape.body,
        )
        assert counted is not None, scrape.body[:2000]
        counts[host] = float(counted.group(1))
    assert all(count >= 3 for count in counts.values()), counts
    assert fetch(cluster.url + "/metrics", host=SITE_HOST).status == 403  # not from outside
