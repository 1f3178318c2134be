"""Every form shows all its errors on the first submit, and never cuts what was typed."""

from __future__ import annotations

import re
from html import unescape
from io import BytesIO

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osnova.models import Item, User
from tests.support.clients import csrf_token, log_in, post_form
from tests.support.factories import DEFAULT_PASSWORD, ItemFactory, UserFactory

ERRORS = re.compile(r'<ul class="errors" id="([\w-]+)-errors">(.*?)</ul>', re.S)
GOOD_PASSWORD = "plum orchard at dusk 42"


def field_errors(page: str) -> dict[str, list[str]]:
    """The errors each field of ``page`` shows, by the field's id."""
    return {
        field: [unescape(m) for m in re.findall(r"<li>(.*?)</li>", items, re.S)]
        for field, items in ERRORS.findall(page)
    }


def test_registration_shows_every_error_of_the_first_submit(
    client: FlaskClient, session: Session
) -> None:
    response = post_form(
        client,
        "/register",
        {
            "username": "A!",
            "email": "not-an-address",
            "full_name": "x" * 101,
            "password": "password1234",
            "password_confirm": "password12345",
        },
    )
    errors = field_errors(response.text)
    assert errors == {
        "username": ["Use at least 3 characters."],
        "email": ["Enter a valid email address."],
        "full_name": ["Use at most 100 characters; this has 101."],
        "password": [
            "This password is too easy to guess: it is a common password or close to one."
        ],
        "password_confirm": ["The two passwords differ."],
    }
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_taken_username_shows_with_a_weak_password_and_a_mismatch(
    client: FlaskClient, session: Session
) -> None:
    UserFactory(username="olena")
    response = post_form(
        client,
        "/register",
        {
            "username": " Olena ",
            "email": "someone@example.org",
            "password": "olena",
            "password_confirm": "olena!",
        },
    )
    assert field_errors(response.text) == {
        "username": ["This username is taken."],
        "password": ["Use at least 12 characters."],
        "password_confirm": ["The two passwords differ."],
    }
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_a_taken_username_and_a_weak_password_show_together_when_both_passwords_match(
    client: FlaskClient,
) -> None:
    UserFactory(username="olena")
    response = post_form(
        client,
        "/register",
        {
            "username": "olena",
            "email": "someone@example.org",
            "password": "qwertyuiop12",
            "password_confirm": "qwertyuiop12",
        },
    )
    errors = field_errors(response.text)
    assert errors["username"] == ["This username is taken."]
    assert errors["password"][0].startswith("This password is too easy to guess")


def test_an_over_long_title_is_refused_with_the_limit_and_nothing_is_saved(
    client: FlaskClient, session: Session
) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    form = client.get("/items/new").text
    assert "maxlength" not in form
    response = post_form(client, "/items/new", {"title": "t" * 300, "description": "d" * 10_001})
    assert response.status_code == 422
    assert field_errors(response.text) == {
        "title": ["Use at most 200 characters; this has 300."],
        "description": ["Use at most 10000 characters; this has 10001."],
    }
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_an_edit_keeps_the_stored_title_when_the_new_one_is_too_long(
    client: FlaskClient, session: Session
) -> None:
    owner = UserFactory(username="olena")
    item = ItemFactory(owner=owner, title="Kept")
    log_in(client, "olena")
    path = f"/items/{item.id}/edit"
    assert "maxlength" not in client.get(path).text
    response = post_form(client, path, {"title": "t" * 201})
    assert field_errors(response.text) == {"title": ["Use at most 200 characters; this has 201."]}
    session.expire_all()
    assert session.get(Item, item.id).title == "Kept"  # type: ignore[union-attr]


def test_a_bad_image_is_reported_with_a_missing_title(
    client: FlaskClient, session: Session
) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    response = client.post(
        "/items/new",
        data={
            "csrf_token": csrf_token(client, "/items/new"),
            "title": "   ",
            "image": (BytesIO(b"<?php echo 1; ?>"), "shell.png"),
        },
        content_type="multipart/form-data",
    )
    errors = field_errors(response.text)
    assert errors["title"] == ["This field is required."]
    assert errors["image"] == ["The file is not a valid JPEG, PNG or WebP image."]
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_the_password_form_shows_a_wrong_current_password_a_weak_new_one_and_a_mismatch(
    client: FlaskClient,
) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "not the password",
            "new_password": "aaaaaaaaaaaa",
            "new_password_confirm": "aaaaaaaaaaab",
        },
        form_page="/account",
    )
    errors = field_errors(response.text)
    assert errors["current_password"] == ["The current password is not correct."]
    assert errors["new_password"][0].startswith("This password is too easy to guess")
    assert errors["new_password_confirm"] == ["The two passwords differ."]
    assert log_in(client.application.test_client(), "olena").status_code == 302


def test_the_email_form_shows_a_bad_address_and_a_wrong_password_together(
    client: FlaskClient, session: Session
) -> None:
    user = UserFactory(username="olena")
    log_in(client, "olena")
    response = post_form(
        client,
        "/account/email",
        {"email": "olena@", "current_password": "not the password"},
        form_page="/account",
    )
    errors = field_errors(response.text)
    assert errors["email"] == ["Enter a valid email address."]
    assert errors["email_current_password"] == ["The current password is not correct."]
    session.expire_all()
    assert session.get(User, user.id).pending_email is None  # type: ignore[union-attr]


def test_the_profile_form_refuses_an_over_long_name_and_keeps_the_old_one(
    client: FlaskClient, session: Session
) -> None:
    user = UserFactory(username="olena", full_name="Olena K")
    log_in(client, "olena", DEFAULT_PASSWORD)
    assert 'maxlength="100"' not in client.get("/account").text
    response = post_form(client, "/account/profile", {"full_name": "n" * 150}, form_page="/account")
    assert field_errors(response.text)["full_name"] == ["Use at most 100 characters; this has 150."]
    session.expire_all()
    assert session.get(User, user.id).full_name == "Olena K"  # type: ignore[union-attr]


def test_the_register_page_has_no_maxlength_that_would_cut_a_pasted_value(
    client: FlaskClient,
) -> None:
    assert "maxlength" not in client.get("/register").text
    response = post_form(
        client,
        "/register",
        {
            "username": "u" * 40,
            "email": "olena@example.org",
            "password": GOOD_PASSWORD,
            "password_confirm": GOOD_PASSWORD,
        },
    )
    assert field_errors(response.text) == {"username": ["Use at most 32 characters; this has 40."]}


def test_an_admin_is_told_the_limit_of_an_over_long_email_and_nothing_changes(
    client: FlaskClient, session: Session
) -> None:
    UserFactory(username="boss", role="admin")
    member = UserFactory(username="member", email="member@example.org")
    log_in(client, "boss")
    page = client.get("/admin/users").text
    assert 'maxlength="254"' not in page
    address = "m" * 250 + "@example.org"
    response = post_form(
        client, f"/admin/users/{member.id}/email", {"email": address}, form_page="/admin/users"
    )
    assert response.status_code == 302
    assert "Use at most 254 characters; this has 262." in unescape(client.get("/admin/users").text)
    session.expire_all()
    assert session.get(User, member.id).email == "member@example.org"  # type: ignore[union-attr]
