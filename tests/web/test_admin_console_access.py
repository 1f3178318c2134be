"""Who reaches the admin console: every /admin URL of the URL map, not a hand-made list.

Admins reach everything. Moderators reach the moderation of items and nothing else; users
reach nothing; anonymous visitors are sent to the login page.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.support.clients import csrf_token, log_in
from tests.support.factories import UserFactory
from tests.support.routes import admin_urls

MODERATION_BLUEPRINT = "admin_items"


def answers(client: FlaskClient, method: str, url: str, token: str) -> int:
    if method == "GET":
        return client.get(url).status_code
    return client.post(url, data={"csrf_token": token}).status_code


def test_the_url_map_has_the_console_pages(app: Flask) -> None:
    endpoints = {rule.endpoint for rule, _, _ in admin_urls(app)}
    assert {
        "admin_dashboard.index",
        "admin_items.index",
        "admin_items.bulk_unpublish",
        "admin_tokens.index",
        "admin_tokens.revoke_all",
        "admin_audit.index",
        "admin_audit.export",
        "transfer_pages.history",
        "admin.users",
        "admin_accounts.invite",
        "admin_accounts.delete",
        "admin_accounts.bulk",
    } <= endpoints


def test_a_user_gets_403_on_every_admin_url(app: Flask, client: FlaskClient) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    token = csrf_token(client, "/account")
    refused = {
        (method, url): answers(client, method, url, token) for _, method, url in admin_urls(app)
    }
    assert set(refused.values()) == {403}, refused


def test_a_moderator_reaches_only_the_moderation_of_items(app: Flask, client: FlaskClient) -> None:
    UserFactory(username="mod", role="moderator")
    log_in(client, "mod")
    token = csrf_token(client, "/account")
    for rule, method, url in admin_urls(app):
        status = answers(client, method, url, token)
        if rule.endpoint.startswith(f"{MODERATION_BLUEPRINT}."):
            assert status != 403, (method, url)
            assert status < 500, (method, url)
        else:
            assert status == 403, (method, url, status)


def test_an_admin_reaches_every_admin_page(app: Flask, client: FlaskClient) -> None:
    UserFactory(username="boss", role="admin")
    log_in(client, "boss")
    for _, method, url in admin_urls(app):
        if method == "GET":
            response = client.get(url)
            response.get_data()  # a download streams: read it where it was made
            assert response.status_code in (200, 404), url


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, client: FlaskClient) -> None:
    for _, method, url in admin_urls(app):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.location.startswith("/login?next="), url


def test_the_navigation_offers_each_role_its_part(client: FlaskClient) -> None:
    UserFactory(username="mod", role="moderator")
    log_in(client, "mod")
    home = client.get("/").text
    assert 'href="/admin/items"' in home
    assert 'href="/admin/"' not in home
    page = client.get("/admin/items").text
    assert "/admin/audit" not in page
    assert "/admin/tokens" not in page
