"""Driving the HTML forms the way a browser does: fetch the page, read its CSRF token, post."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import DEFAULT_PASSWORD

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = CSRF_PATTERN.search(page.text)
    assert match is not None, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def post_form(
    client: FlaskClient, path: str, data: dict[str, str], *, form_page: str | None = None
) -> TestResponse:
    token = csrf_token(client, form_page or path)
    return client.post(path, data={"csrf_token": token, **data})


def log_in(
    client: FlaskClient, login: str, password: str = DEFAULT_PASSWORD, **extra: str
) -> TestResponse:
    return post_form(client, "/login", {"login": login, "password": password, **extra})


def log_out(client: FlaskClient) -> TestResponse:
    return post_form(client, "/logout", {}, form_page="/")
