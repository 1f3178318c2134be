"""The API tokens section of /account: create (secret shown once), list and revoke."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.support.clients import bearer, log_in, post_form
from tests.support.factories import UserFactory

SECRET = re.compile(r'<code class="token-secret">(osn_[A-Za-z0-9_-]+)</code>')


def test_a_token_made_on_the_account_page_works_once_shown_and_can_be_revoked(
    client: FlaskClient,
) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    created = post_form(client, "/account/tokens", {"name": "laptop"}, form_page="/account")
    assert created.status_code == 200
    match = SECRET.search(created.text)
    assert match is not None
    secret = match.group(1)
    assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 200

    page = client.get("/account").text
    assert "laptop" in page
    assert secret not in page
    revoke_path = re.search(r'action="(/account/tokens/\d+/revoke)"', page)
    assert revoke_path is not None
    revoked = post_form(client, revoke_path.group(1), {}, form_page="/account")
    assert revoked.status_code == 302
    assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 401
    assert "revoked" in client.get("/account").text


def test_someone_elses_token_cannot_be_revoked_from_my_page(client: FlaskClient) -> None:
    UserFactory(username="olena")
    UserFactory(username="taras")
    log_in(client, "taras")
    post_form(client, "/account/tokens", {"name": "mine"}, form_page="/account")
    token_path = re.search(r'action="(/account/tokens/\d+/revoke)"', client.get("/account").text)
    assert token_path is not None
    client.post("/logout")
    other = client.application.test_client()
    log_in(other, "olena")
    response = post_form(other, token_path.group(1), {}, form_page="/account")
    assert response.status_code == 404
    log_in(client, "taras")
    assert "revoked" not in client.get("/account").text


def test_the_tokens_section_is_in_ukrainian(client: FlaskClient) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    page = client.get("/account", headers={"Accept-Language": "uk"}).text
    assert "API-токени" in page
