"""nginx (Debian's) in front of gunicorn, with the shipped configuration."""

from __future__ import annotations

import http.client
import io
import json
import re
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
from PIL import Image

from tests.support.clients import CSRF_PATTERN
from tests.support.environment import free_port, require_program
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

SECURITY_HEADERS = (
    "content-security-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
    "permissions-policy",
)
PASSWORD = "a long enough nginx password 7"


def assert_security_headers_once(answer: Answer) -> None:
    """Every security header exactly once: none dropped by nginx, none repeated after the app."""
    counts = Counter(name for name, _value in answer.header_lines)
    assert {name: counts[name] for name in SECURITY_HEADERS} == dict.fromkeys(SECURITY_HEADERS, 1)


def answered_by_nginx(answer: Answer) -> bool:
    """nginx's own error pages sign with its name; the app's never do."""
    return b"<center>nginx</center>" in answer.body


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    return require_program("nginx")


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, nginx_binary: str
) -> Iterator[tuple[Gunicorn, Nginx]]:
    workdir = tmp_path_factory.mktemp("nginx-stack")
    env = osnova_env(workdir, OSNOVA_TRUSTED_PROXIES="1", OSNOVA_ALLOWED_HOSTS=SITE_HOST)
    migrate(env)
    collect_static(env, workdir / "static")
    media = workdir / "media"
    (media / "items").mkdir(parents=True)
    app = Gunicorn(workdir, env, workers=2).start()
    proxy = Nginx(workdir, app_port=app.port, media_dir=media, static_dir=workdir / "static")
    try:
        proxy.start(nginx_binary)
        yield app, proxy
    finally:
        proxy.stop()
        app.stop()


class NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Visitor:
    """A browser's side of the site's forms through nginx: cookies, CSRF tokens, uploads."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), NoRedirect())

    def open(self, request: Request) -> tuple[int, str, bytes]:
        """Status, Location path and body; a redirect is an answer here, not followed."""
        request.add_header("Host", SITE_HOST)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, "", response.read()
        except HTTPError as error:
            location = urllib.parse.urlsplit(error.headers.get("Location", "")).path
            return error.code, location, error.read()

    def get(self, path: str) -> bytes:
        status, _location, body = self.open(Request(self.base_url + path))
        assert status == 200, path
        return body

    def post(self, path: str, fields: dict[str, str], image: bytes | None = None) -> str:
        """Post the form at ``path`` with its CSRF token; the path it redirects to."""
        match = CSRF_PATTERN.search(self.get(path).decode())
        assert match is not None, path
        body, content_type = multipart({"csrf_token": match.group(1), **fields}, image)
        request = Request(self.base_url + path, data=body, headers={"Content-Type": content_type})
        status, location, _body = self.open(request)
        assert status == 302, (path, status)
        return location


def multipart(fields: dict[str, str], image: bytes | None) -> tuple[bytes, str]:
    boundary = "osnova-nginx-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    if image is not None:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            'filename="picture.png"\r\nContent-Type: image/png\r\n\r\n'
        )
        parts.append(head.encode() + image + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def png_picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def test_pages_come_from_the_app_through_nginx(stack: tuple[Gunicorn, Nginx]) -> None:
    _app, proxy = stack
    page = fetch(f"{proxy.url}/", host=SITE_HOST)
    assert page.status == 200
    assert b"Hello, World!" in page.body
    assert "default-src 'self'" in page.headers["content-security-policy"]  # the app's policy
    assert page.headers["x-request-id"]
    assert_security_headers_once(page)


def test_static_files_are_served_by_nginx_not_the_app(stack: tuple[Gunicorn, Nginx]) -> None:
    app, proxy = stack
    page = fetch(f"{proxy.url}/", host=SITE_HOST).body.decode()
    linked = re.search(r'rel="stylesheet" href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
    assert linked is not None
    css = fetch(f"{proxy.url}{linked.group(1)}", host=SITE_HOST)
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert css.body == Path("src/osnova/static/css/site.css").read_bytes()
    plain = fetch(f"{proxy.url}/static/css/site.css", host=SITE_HOST)
    assert (plain.status, plain.headers["cache-control"]) == (200, "public, max-age=3600")
    assert [name for name, _value in css.header_lines].count("cache-control") == 1
    assert not [line for line in app.app_log() if str(line.get("path", "")).startswith("/static/")]
    assert_security_headers_once(css)


def test_a_missing_fingerprinted_file_is_not_cached(stack: tuple[Gunicorn, Nginx]) -> None:
    _app, proxy = stack
    missing = fetch(f"{proxy.url}/static/css/site.0123456789ab.css", host=SITE_HOST)
    assert missing.status == 404
    assert "cache-control" not in missing.headers
    assert_security_headers_once(missing)


def test_the_favicon_is_served_by_nginx(stack: tuple[Gunicorn, Nginx]) -> None:
    app, proxy = stack
    icon = fetch(f"{proxy.url}/favicon.ico", host=SITE_HOST)
    assert icon.status == 200
    assert icon.body == Path("src/osnova/static/favicon.ico").read_bytes()
    assert icon.headers["cache-control"] == "public, max-age=3600"
    assert not [line for line in app.app_log() if line.get("path") == "/favicon.ico"]


def test_nginx_sends_the_values_the_app_sends_and_a_stricter_policy(
    stack: tuple[Gunicorn, Nginx],
) -> None:
    _app, proxy = stack
    page = fetch(f"{proxy.url}/", host=SITE_HOST)
    css = fetch(f"{proxy.url}/static/css/site.css", host=SITE_HOST)
    same = set(SECURITY_HEADERS) - {"content-security-policy", "strict-transport-security"}
    assert {name: css.headers[name] for name in same} == {name: page.headers[name] for name in same}
    assert css.headers["content-security-policy"].startswith("default-src 'none'")
    assert "sandbox" in css.headers["content-security-policy"]


def test_an_uploaded_image_is_served_by_nginx_with_the_headers_once(
    stack: tuple[Gunicorn, Nginx],
) -> None:
    app, proxy = stack
    visitor = Visitor(proxy.url)
    account = {"username": "uploader", "email": "uploader@example.org", "password": PASSWORD}
    visitor.post("/register", {**account, "password_confirm": PASSWORD})
    visitor.post("/login", {"login": account["username"], "password": PASSWORD})
    item_path = visitor.post(
        "/items/new", {"title": "Compass", "description": "", "is_public": "y"}, png_picture()
    )
    found = re.search(
        r'class="item-image" src="(/media/items/[^"]+)"', visitor.get(item_path).decode()
    )
    assert found is not None
    picture = fetch(f"{proxy.url}{found.group(1)}", host=SITE_HOST)
    assert (picture.status, picture.headers["content-type"]) == (200, "image/png")
    assert picture.body.startswith(b"\x89PNG")
    assert "sandbox" in picture.headers["content-security-policy"]
    assert_security_headers_once(picture)
    assert not [line for line in app.app_log() if str(line.get("path", "")).startswith("/media/")]


def test_media_are_never_served_as_html(stack: tuple[Gunicorn, Nginx]) -> None:
    _app, proxy = stack
    (proxy.media_dir / "items" / "page.html").write_bytes(b"<script>alert(1)</script>")
    page = fetch(f"{proxy.url}/media/items/page.html", host=SITE_HOST)
    assert page.headers["content-type"] == "application/octet-stream"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in page.headers["content-security-policy"]
    assert_security_headers_once(page)


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
    assert answered_by_nginx(answer)
    assert_security_headers_once(answer)


def test_nginx_answers_502_with_the_headers_when_the_app_is_down(
    nginx_binary: str, tmp_path: Path
) -> None:
    (tmp_path / "media").mkdir()
    proxy = Nginx(tmp_path, app_port=free_port(), media_dir=tmp_path / "media")  # nobody listens
    try:
        proxy.start(nginx_binary)
        answer = fetch(f"{proxy.url}/items", host=SITE_HOST)
    finally:
        proxy.stop()
    assert answer.status == 502
    assert answered_by_nginx(answer)
    assert_security_headers_once(answer)


def test_a_bare_gunicorn_error_gets_the_headers_from_nginx(stack: tuple[Gunicorn, Nginx]) -> None:
    _app, proxy = stack
    # More header lines than gunicorn's limit (100): gunicorn refuses before the app runs.
    many = {f"X-Filler-{n}": "x" for n in range(120)}
    answer = fetch(f"{proxy.url}/", host=SITE_HOST, headers=many)
    assert answer.status == 431
    assert "x-request-id" not in answer.headers  # not the app's answer
    assert_security_headers_once(answer)


def test_a_request_nginx_cannot_parse_gets_the_headers(stack: tuple[Gunicorn, Nginx]) -> None:
    _app, proxy = stack
    answer = fetch(f"{proxy.url}/{'a' * 9000}", host=SITE_HOST)
    assert answer.status == 414
    assert answered_by_nginx(answer)
    assert_security_headers_once(answer)


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("/login", "127.0.0.11"),
        ("/api/v1/auth/tokens", "127.0.0.12"),
        ("/register", "127.0.0.13"),
        ("/api/v1/users", "127.0.0.14"),
        ("/api/v1/imports/items", "127.0.0.15"),
        ("/admin/transfer", "127.0.0.16"),
    ],
)
def test_a_flood_of_posts_gets_429_from_nginx(
    stack: tuple[Gunicorn, Nginx], path: str, source: str
) -> None:
    _app, proxy = stack
    url = f"{proxy.url}{path}"
    # Stop at nginx's first refusal rather than count: a slow machine refills the zone a
    # little while the requests go out, and the app may refuse some with its own 429 first.
    for _attempt in range(300):
        answer = fetch(url, method="POST", host=SITE_HOST, source=source, body=b"")
        if answer.status == 429 and answered_by_nginx(answer):
            break
    else:
        pytest.fail(f"nginx never refused a POST to {path}")
    assert_security_headers_once(answer)
    assert fetch(url, host=SITE_HOST, source=source).status != 429  # only POSTs count


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
    metrics = fetch(f"{proxy.url}/metrics", host=SITE_HOST)
    assert metrics.status == 403
    assert_security_headers_once(metrics)


def test_no_log_line_holds_a_reset_token(stack: tuple[Gunicorn, Nginx]) -> None:
    """The reset link's token reaches the app once and is redacted in the app's, gunicorn's
    and nginx's (shipped format) logs; the form itself lives at a token-free address."""
    app, proxy = stack
    registration = fetch(
        f"{proxy.url}/api/v1/users",
        method="POST",
        body=json.dumps(
            {
                "username": "logreader",
                "email": "logreader@example.org",
                "password": "a long and unusual passphrase",
            }
        ).encode(),
        headers={"Content-Type": "application/json"},
        host=SITE_HOST,
    )
    assert registration.status == 202
    visitor = Visitor(proxy.url)
    assert visitor.post("/password/forgot", {"email": "logreader@example.org"}) == "/login"
    mails = sorted((app.workdir / "instance" / "mail").glob("*.eml"))
    message = BytesParser(policy=default_policy).parsebytes(mails[-1].read_bytes())
    assert isinstance(message, EmailMessage)
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+)", message.get_content())
    assert link is not None
    token = link.group(1).removeprefix("/password/reset/")

    status, location, _body = visitor.open(Request(proxy.url + link.group(1)))
    assert (status, location) == (302, "/password/reset")
    new_password = "another long and unusual passphrase"
    done = visitor.post(
        "/password/reset", {"password": new_password, "password_confirm": new_password}
    )
    assert done == "/login"

    logs = {
        "app and gunicorn": app.stderr_path.read_text() + app.stdout_path.read_text(),
        "nginx": (proxy.workdir / "nginx" / "logs" / "osnova.access.log").read_text(),
    }
    for name, text in logs.items():
        assert token not in text, name
        assert "/password/reset/[redacted]" in text, name
