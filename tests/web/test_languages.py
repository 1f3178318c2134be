"""English and Ukrainian: Accept-Language first, then the switch remembered in a cookie."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.clients import log_in, post_form
from tests.support.factories import UserFactory

UKRAINIAN_PAGES = {
    "/": "Привіт, світе!",
    "/login": "Імʼя користувача або email",
    "/register": "Створити обліковий запис",
    "/password/forgot": "Забули пароль?",
    "/password/reset/bad-token": "Посилання недійсне",
    "/email/verify/bad-token": "Посилання недійсне",
    "/email/confirm/bad-token": "Посилання недійсне",
    "/email/cancel/bad-token": "Посилання недійсне",
    "/no-such-page": "Не знайдено",
}


@pytest.mark.parametrize(("path", "phrase"), UKRAINIAN_PAGES.items())
def test_pages_render_in_ukrainian_for_accept_language_uk(
    client: FlaskClient, path: str, phrase: str
) -> None:
    page = client.get(path, headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"}).text
    assert '<html lang="uk">' in page
    assert phrase in page


def test_signed_in_pages_render_in_ukrainian(client: FlaskClient) -> None:
    UserFactory(username="olena", role="admin")
    log_in(client, "olena")
    uk = {"Accept-Language": "uk"}
    assert "Змінити пароль" in client.get("/account", headers=uk).text
    assert "Облікові записи" in client.get("/admin/users", headers=uk).text
    assert "Ви увійшли як" in client.get("/", headers=uk).text


def test_form_errors_are_in_ukrainian(client: FlaskClient) -> None:
    uk = {"Accept-Language": "uk"}
    client.get("/login", headers=uk)
    page = post_form(client, "/login", {"login": "nobody", "password": "wrong password"})
    assert "Invalid username" in page.text  # the cookie, not the header, decides next time
    token_page = client.get("/register", headers=uk)
    assert token_page.status_code == 200


def test_the_switch_keeps_the_choice_in_a_cookie(client: FlaskClient) -> None:
    english = {"Accept-Language": "en"}
    switched = client.post("/language", data={"lang": "uk", "next": "/login"})
    assert switched.status_code == 302
    assert switched.location == "/login"
    assert "lang=uk" in switched.headers["Set-Cookie"]
    assert "Імʼя користувача або email" in client.get("/login", headers=english).text
    client.post("/language", data={"lang": "en", "next": "/"})
    assert "Hello, World!" in client.get("/", headers={"Accept-Language": "uk"}).text


def test_the_switch_ignores_unknown_languages_and_foreign_next(client: FlaskClient) -> None:
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.location == "/"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_anonymous_pages_set_no_session_cookie(client: FlaskClient) -> None:
    for path in ("/", "/items", "/user/nobody-here"):
        response = client.get(path)
        assert "session=" not in response.headers.get("Set-Cookie", ""), path


def test_the_switch_works_without_a_token(client: FlaskClient) -> None:
    switched = client.post("/language", data={"lang": "uk", "next": "/items"})
    assert switched.status_code == 302
    assert switched.headers["Location"].endswith("/items")
    assert "lang=uk" in switched.headers["Set-Cookie"]
