"""Registering through the API mails the same links as the HTML pages do."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.support.mail import SmtpSink
from tests.web.test_account_journey import add_user

PASSWORD = "an api registration passphrase"


def test_api_registration_mails_a_verification_link_that_works(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    client = app.test_client()
    response = client.post(
        "/api/v1/users",
        json={"username": "olena", "email": "olena@example.org", "password": PASSWORD},
    )
    assert response.status_code == 202
    assert smtp_sink.messages[-1]["To"] == "olena@example.org"
    verified = client.get(smtp_sink.last_link("/email/verify/"))
    assert verified.status_code == 302


def test_api_registration_with_a_taken_email_mails_its_owner_and_looks_the_same(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="taken", email="taken@example.org")
    client = app.test_client()
    fresh = client.post(
        "/api/v1/users",
        json={"username": "newbie", "email": "newbie@example.org", "password": PASSWORD},
    )
    taken = client.post(
        "/api/v1/users",
        json={"username": "other", "email": "taken@example.org", "password": PASSWORD},
    )
    assert (taken.status_code, taken.get_json()) == (fresh.status_code, fresh.get_json())
    assert smtp_sink.messages[-1]["To"] == "taken@example.org"
    assert "/password/forgot" in smtp_sink.messages[-1].get_content()
