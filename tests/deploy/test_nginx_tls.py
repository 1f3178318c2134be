"""deploy/nginx/osnova-tls.conf with the real nginx: HTTPS only, HSTS, HTTP redirected."""

from __future__ import annotations

import http.client
import socket
import ssl
import subprocess
from collections.abc import Iterator

import pytest

from tests.deploy.test_nginx_in_front import assert_security_headers_once
from tests.support.environment import require_program
from tests.support.servers import (
    SITE_HOST,
    Answer,
    Gunicorn,
    Nginx,
    collect_static,
    fetch,
    migrate,
    osnova_env,
)


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    nginx = require_program("nginx")
    openssl = require_program("openssl")
    workdir = tmp_path_factory.mktemp("nginx-tls")
    certificates = workdir / "live"
    certificates.mkdir()
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(certificates / "privkey.pem")),
            *("-out", str(certificates / "fullchain.pem")),
            *("-subj", f"/CN={SITE_HOST}", "-addext", f"subjectAltName=DNS:{SITE_HOST}"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    env = osnova_env(workdir, OSNOVA_TRUSTED_PROXIES="1", OSNOVA_ALLOWED_HOSTS=SITE_HOST)
    migrate(env)
    collect_static(env, workdir / "static")
    (workdir / "media").mkdir()
    app = Gunicorn(workdir, env, workers=1).start()
    proxy = Nginx(
        workdir,
        app_port=app.port,
        media_dir=workdir / "media",
        static_dir=workdir / "static",
        site_file="osnova-tls.conf",
        certificate_dir=certificates,
    )
    try:
        proxy.start(nginx)
        yield proxy
    finally:
        proxy.stop()
        app.stop()


def fetch_tls(proxy: Nginx, path: str, server_name: str = SITE_HOST) -> Answer:
    """GET ``path`` over TLS, trusting the site's own certificate, naming ``server_name``."""
    assert proxy.certificate_dir is not None
    context = ssl.create_default_context(cafile=str(proxy.certificate_dir / "fullchain.pem"))
    raw = socket.create_connection(("127.0.0.1", proxy.tls_port), timeout=15)
    connection = http.client.HTTPConnection(SITE_HOST, timeout=15)
    connection.sock = context.wrap_socket(raw, server_hostname=server_name)
    try:
        connection.request("GET", path, headers={"Host": SITE_HOST})
        response = connection.getresponse()
        lines = tuple((name.lower(), value) for name, value in response.getheaders())
        return Answer(response.status, dict(lines), response.read(), lines)
    finally:
        connection.close()


def test_plain_http_is_redirected_to_https_with_path_and_query(tls_site: Nginx) -> None:
    answer = fetch(f"{tls_site.url}/items?q=compass", host=SITE_HOST)
    assert answer.status == 301
    assert answer.headers["location"] == f"https://{SITE_HOST}/items?q=compass"
    assert_security_headers_once(answer)


def test_the_site_answers_over_https_with_hsts_once(tls_site: Nginx) -> None:
    page = fetch_tls(tls_site, "/")
    assert page.status == 200
    assert b"Hello, World!" in page.body
    assert page.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert_security_headers_once(page)
    css = fetch_tls(tls_site, "/static/css/site.css")
    assert (css.status, css.headers["cache-control"]) == (200, "public, max-age=3600")


def test_an_unknown_server_name_gets_no_handshake(tls_site: Nginx) -> None:
    with pytest.raises(ssl.SSLError):
        fetch_tls(tls_site, "/", server_name="evil.example")
