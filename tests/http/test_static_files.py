"""Static files under fingerprinted names, served by the app itself (no nginx, no collect)."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from osnova.services.static_files import content_hash
from tests.support.clients import log_in
from tests.support.factories import UserFactory

STATIC = Path("src/osnova/static")
STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/static/css/site\.([0-9a-f]+)\.css)">')


def linked_stylesheet(client: FlaskClient) -> re.Match[str]:
    found = STYLESHEET.search(client.get("/").get_data(as_text=True))
    assert found is not None
    return found


def test_pages_link_the_stylesheet_by_its_content_hash(client: FlaskClient) -> None:
    found = linked_stylesheet(client)
    assert found.group(2) == content_hash(STATIC / "css" / "site.css")


def test_the_fingerprinted_stylesheet_is_served_and_cached_for_good(client: FlaskClient) -> None:
    with client.get(linked_stylesheet(client).group(1)) as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.get_data() == (STATIC / "css" / "site.css").read_bytes()


def test_a_signed_in_user_gets_the_stylesheet_cached_too(client: FlaskClient) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    with client.get(linked_stylesheet(client).group(1)) as response:
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_the_plain_name_is_served_with_a_short_cache(client: FlaskClient) -> None:
    with client.get("/static/css/site.css") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=3600"


def test_an_unknown_fingerprint_is_not_found(client: FlaskClient) -> None:
    assert client.get("/static/css/site.000000000000.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404


def test_every_page_names_an_icon_and_favicon_ico_is_answered(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="(/static/favicon\.[0-9a-f]+\.ico)"', page)
    assert icon is not None
    with client.get(icon.group(1)) as response:
        assert response.status_code == 200
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.get_data() == (STATIC / "favicon.ico").read_bytes()
        assert response.mimetype in {"image/vnd.microsoft.icon", "image/x-icon"}
