"""The home page and public profiles."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support.clients import log_in
from tests.support.factories import ItemFactory, UserFactory


def test_home_greets_an_anonymous_visitor_as_world(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Hello, World!" in response.text


def test_home_greets_a_signed_in_user_by_username(client: FlaskClient) -> None:
    UserFactory(username="olena")
    assert log_in(client, "olena").status_code == 302
    assert "Hello, olena!" in client.get("/").text


def test_home_lists_newest_public_items_and_hides_private_ones(client: FlaskClient) -> None:
    ItemFactory(title="Older public map")
    ItemFactory(title="Newer public print")
    ItemFactory(title="Secret diary", is_public=False)
    page = client.get("/").text
    assert page.index("Newer public print") < page.index("Older public map")
    assert "Secret diary" not in page


def test_home_hides_items_of_deactivated_owners(client: FlaskClient) -> None:
    ItemFactory(title="Left behind", owner=UserFactory(is_active=False))
    assert "Left behind" not in client.get("/").text


def test_home_escapes_user_written_text(client: FlaskClient) -> None:
    ItemFactory(title="<script>alert(1)</script>")
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_profile_shows_the_user_and_their_public_items(client: FlaskClient) -> None:
    owner = UserFactory(username="taras", full_name="Taras Melnyk")
    ItemFactory(owner=owner, title="Oak chess set")
    ItemFactory(owner=owner, title="Unfinished sketch", is_public=False)
    response = client.get("/user/taras")
    assert response.status_code == 200
    assert "Taras Melnyk" in response.text
    assert "Oak chess set" in response.text
    assert "Unfinished sketch" not in response.text


def test_profile_lookup_ignores_case(client: FlaskClient) -> None:
    UserFactory(username="taras")
    assert client.get("/user/TARAS").status_code == 200


def test_unknown_profile_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/user/nobody")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404" in response.text


def test_a_10000_character_username_is_a_404_not_a_crash(client: FlaskClient) -> None:
    assert client.get("/user/" + "x" * 10_000).status_code == 404


def test_deactivated_profile_is_a_404(client: FlaskClient) -> None:
    UserFactory(username="gone", is_active=False)
    assert client.get("/user/gone").status_code == 404


def test_unknown_api_path_answers_problem_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    assert response.json["status"] == 404


def test_wrong_method_is_a_405_page(client: FlaskClient) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405
