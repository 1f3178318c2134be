"""Apache httpd (Debian's) in front of gunicorn, with deploy/apache/osnova.conf."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.test_nginx_in_front import assert_security_headers_once
from tests.support.environment import require_program
from tests.support.servers import (
    SITE_HOST,
    Apache,
    Gunicorn,
    collect_static,
    fetch,
    migrate,
    osnova_env,
)

STYLESHEET = re.compile(r'rel="stylesheet" href="(/static/css/site\.[0-9a-f]{12}\.css)"')


@pytest.fixture(scope="module")
def apache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gunicorn, Apache]]:
    binary = require_program("apache2")
    workdir = tmp_path_factory.mktemp("apache-stack")
    # Apache's workers run as www-data: the folders it serves must be readable by them.
    served = Path(tempfile.mkdtemp(prefix="osnova-apache-"))
    served.chmod(0o755)
    env = osnova_env(workdir, OSNOVA_TRUSTED_PROXIES="1", OSNOVA_ALLOWED_HOSTS=SITE_HOST)
    migrate(env)
    collect_static(env, served / "static")
    (served / "media").mkdir()
    app = Gunicorn(workdir, env, workers=1).start()
    proxy = Apache(
        workdir, app_port=app.port, media_dir=served / "media", static_dir=served / "static"
    )
    try:
        proxy.start(binary)
        yield app, proxy
    finally:
        proxy.stop()
        app.stop()
        shutil.rmtree(served, ignore_errors=True)


def test_pages_come_from_the_app_with_its_headers_once(apache: tuple[Gunicorn, Apache]) -> None:
    _app, proxy = apache
    page = fetch(f"{proxy.url}/", host=SITE_HOST)
    assert page.status == 200
    assert b"Hello, World!" in page.body
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-request-id"]
    assert_security_headers_once(page)


def test_the_fingerprinted_stylesheet_is_served_by_apache_for_good(
    apache: tuple[Gunicorn, Apache],
) -> None:
    app, proxy = apache
    linked = STYLESHEET.search(fetch(f"{proxy.url}/", host=SITE_HOST).body.decode())
    assert linked is not None
    css = fetch(f"{proxy.url}{linked.group(1)}", host=SITE_HOST)
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert css.body == Path("src/osnova/static/css/site.css").read_bytes()
    assert "sandbox" in css.headers["content-security-policy"]
    assert_security_headers_once(css)
    plain = fetch(f"{proxy.url}/static/css/site.css", host=SITE_HOST)
    assert plain.headers["cache-control"] == "public, max-age=3600"
    assert not [line for line in app.app_log() if str(line.get("path", "")).startswith("/static/")]


def test_apaches_own_errors_carry_the_headers(apache: tuple[Gunicorn, Apache]) -> None:
    _app, proxy = apache
    missing = fetch(f"{proxy.url}/static/css/site.0123456789ab.css", host=SITE_HOST)
    assert missing.status == 404
    assert "cache-control" not in missing.headers
    assert_security_headers_once(missing)
    metrics = fetch(f"{proxy.url}/metrics", host=SITE_HOST)
    assert metrics.status == 403
    assert_security_headers_once(metrics)


def test_media_are_never_served_as_html(apache: tuple[Gunicorn, Apache]) -> None:
    _app, proxy = apache
    (proxy.media_dir / "page.html").write_bytes(b"<script>alert(1)</script>")
    os.chmod(proxy.media_dir / "page.html", 0o644)
    page = fetch(f"{proxy.url}/media/page.html", host=SITE_HOST)
    assert page.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in page.headers["content-security-policy"]
    assert_security_headers_once(page)


def test_an_oversized_body_is_refused_by_apache(apache: tuple[Gunicorn, Apache]) -> None:
    _app, proxy = apache
    answer = fetch(
        f"{proxy.url}/items/new",
        method="POST",
        host=SITE_HOST,
        body=b"x" * (17 * 1024 * 1024),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert answer.status == 413
    assert_security_headers_once(answer)


def test_the_app_logs_the_client_address_not_a_forged_one(
    apache: tuple[Gunicorn, Apache],
) -> None:
    app, proxy = apache
    answer = fetch(
        f"{proxy.url}/healthz",
        host=SITE_HOST,
        source="127.0.0.3",
        headers={"X-Request-ID": "apache-127-0-0-3", "X-Forwarded-For": "6.6.6.6"},
    )
    assert answer.status == 200
    logged = [entry for entry in app.app_log() if entry.get("request_id") == "apache-127-0-0-3"]
    assert [entry["remote_addr"] for entry in logged] == ["127.0.0.3"]


def test_unknown_hosts_are_refused(apache: tuple[Gunicorn, Apache]) -> None:
    _app, proxy = apache
    answer = fetch(f"{proxy.url}/", host="evil.example")
    assert answer.status == 403
    assert b"Hello, World!" not in answer.body


def test_the_access_log_keeps_no_mailed_token(apache: tuple[Gunicorn, Apache]) -> None:
    _app, proxy = apache
    token = "a-secret-reset-token-in-the-path"
    fetch(f"{proxy.url}/password/reset/{token}", host=SITE_HOST)
    fetch(f"{proxy.url}/items?q=visible", host=SITE_HOST)
    log = _access_log_once_it_holds(proxy, '"GET /items?q=visible HTTP/1.1"')
    assert token not in log
    assert '"GET /password/reset/[redacted] HTTP/1.1"' in log
    assert '"GET /items?q=visible HTTP/1.1"' in log


def _access_log_once_it_holds(proxy: Apache, line: str, timeout: float = 10) -> str:
    """Apache writes an access-log line after the answer has gone, so a client can read the
    log before its last request is in it: read again until ``line`` is there."""
    path = proxy.workdir / "apache" / "logs" / "osnova.access.log"
    deadline = time.monotonic() + timeout
    while line not in (log := path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return log
