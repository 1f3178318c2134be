"""The interactive docs work in a real browser under the site's CSP, "Try it out" included."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from osnova.extensions import db
from osnova.models import Item
from tests.api.test_openapi import OPERATIONS
from tests.support.clients import token_for
from tests.support.environment import free_port, require_program
from tests.support.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.live import CHROMIUM_FLAGS


@pytest.fixture
def live_app(app: Flask) -> Iterator[str]:
    """The test's app behind a real HTTP server on loopback."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_swagger_ui_renders_every_operation_and_calls_the_api_with_a_token(
    app: Flask, live_app: str
) -> None:
    chromium = require_program("chromium")
    secret = token_for(UserFactory(username="olena"))
    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda message: (
                    violations.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            page.goto(f"{live_app}/api/docs")
            page.wait_for_selector(".opblock", timeout=15_000)
            assert page.locator(".opblock").count() == len(OPERATIONS)
            page.click("button.authorize")
            page.fill(".auth-container input", secret)
            page.click(".auth-btn-wrapper button.authorize")
            page.click(".auth-btn-wrapper button.btn-done")
            operation = page.locator(".opblock-get", has_text="/api/v1/users/me").first
            operation.locator(".opblock-summary").click()
            operation.locator("button.try-out__btn").click()
            operation.locator("button.execute").click()
            page.wait_for_selector(
                ".live-responses-table tr.response .response-col_status", timeout=15_000
            )
            status = operation.locator(
                ".live-responses-table tr.response .response-col_status"
            ).first
            assert status.inner_text().strip().startswith("200")
            assert "olena" in operation.locator(".live-responses-table").inner_text()
        finally:
            browser.close()
    assert violations == []


def test_a_signed_in_visitor_creates_an_item_with_try_it_out(app: Flask, live_app: str) -> None:
    """No token: the session cookie, and the CSRF token the page sends for the visitor."""
    chromium = require_program("chromium")
    UserFactory(username="mykola")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.goto(f"{live_app}/login")
            page.fill("#login", "mykola")
            page.fill("#password", DEFAULT_PASSWORD)
            page.click("form button[type=submit].button")
            page.wait_for_url(f"{live_app}/")
            page.goto(f"{live_app}/api/docs")
            page.wait_for_selector(".opblock", timeout=15_000)
            operation = page.locator(".opblock-post", has_text="/api/v1/items").first
            operation.locator(".opblock-summary").click()
            operation.locator("button.try-out__btn").click()
            body = {"title": "Made in the docs", "description": "", "is_public": True}
            operation.locator("textarea.body-param__text").fill(json.dumps(body))
            operation.locator("button.execute").click()
            status = operation.locator(
                ".live-responses-table tr.response .response-col_status"
            ).first
            status.wait_for(timeout=15_000)
            assert status.inner_text().strip().startswith("201")
        finally:
            browser.close()
    with app.app_context():
        created = db.session.scalars(select(Item).where(Item.title == "Made in the docs")).one()
        assert created.owner.username == "mykola"
