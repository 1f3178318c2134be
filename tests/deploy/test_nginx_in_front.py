"""nginx (Debian's) in front of gunicorn, with the shipped configuration."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.environment import require_program
from tests.support.servers import SITE_HOST, Gunicorn, Nginx, fetch, migrate, osnova_env


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gunicorn, Nginx]]:
    nginx_binary = require_program("nginx")
    workdir = tmp_path_factory.mktemp("nginx-stack")
    env = osnova_env(workdir, OSNOVA_TRUSTED_PROXIES="1", OSNOVA_ALLOWED_HOSTS=SITE_HOST)
    migrate(env)
    media = workdir / "media"
    (media / "items").mkdir(parents=True)
    app = Gunicorn(workdir, env, workers=2).start()
    proxy = Nginx(workdir, app_port=app.port, media_dir=media)
    try:
        proxy.start(nginx_binary)
        yield app, proxy
    finally:
        proxy.stop()
        app.stop()


def test_pages_come_from_the_app_through_nginx(stack: tuple[Gunicorn, Nginx]) -> None:
    _app, proxy = stack
    page = fetch(f"{proxy.url}/", host=SITE_HOST)
    assert page.status == 200
    assert b"Hello, World!" in page.body
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-request-id"]


def test_static_files_are_served_by_nginx_not_the_app(stack: tuple[Gunicorn, Nginx]) -> None:
    app, proxy = stack
    css = fetch(f"{proxy.url}/static/css/site.css", host=SITE_HOST)
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "max-age=2592000" in css.headers["cache-control"]
    assert css.body == Path("src/osnova/static/css/site.css").read_bytes()
    assert not [line for line in app.app_log() if str(line.get("path", "")).startswith("/static/")]


def test_media_are_served_with_nosniff_and_never_as_html(
    stack: tuple[Gunicorn, Nginx], tmp_path: Path
) -> None:
    _app, proxy = stack
    media = proxy.media_dir / "items"
    (media / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    (media / "page.html").write_bytes(b"<script>alert(1)</script>")
    picture = fetch(f"{proxy.url}/media/items/picture.png", host=SITE_HOST)
    assert (picture.status, picture.headers["content-type"]) == (200, "image/png")
    assert picture.headers["x-content-type-options"] == "nosniff"
    page = fetch(f"{proxy.url}/media/items/page.html", host=SITE_HOST)
    assert page.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in page.headers["content-security-policy"]


def test_an_oversized_upload_gets_413_from_nginx(stack: tuple[Gunicorn, Nginx]) -> None:
    _app, proxy = stack
    body = b"x" * (17 * 1024 * 1024)
    answer = fetch(
        f"{proxy.url}/items/new",
        method="POST",
        host=SITE_HOST,
        body=body,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert answer.status == 413


def test_the_app_logs_the_forwarded_client_address(stack: tuple[Gunicorn, Nginx]) -> None:
    app, proxy = stack
    answer = fetch(
        f"{proxy.url}/healthz",
        host=SITE_HOST,
        source="127.0.0.2",
        headers={"X-Request-ID": "from-127-0-0-2", "X-Forwarded-For": "6.6.6.6"},
    )
    assert answer.status == 200
    logged = [entry for entry in app.app_log() if entry.get("request_id") == "from-127-0-0-2"]
    assert [entry["remote_addr"] for entry in logged] == ["127.0.0.2"]  # not 6.6.6.6, not nginx


def test_unknown_hosts_and_metrics_are_refused(stack: tuple[Gunicorn, Nginx]) -> None:
    _app, proxy = stack
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        fetch(f"{proxy.url}/", host="evil.example")
    assert fetch(f"{proxy.url}/metrics", host=SITE_HOST).status == 403
