"""Admin pages: who may reach them, and the last admin's protection."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from osnova.models import User
from tests.support.clients import log_in, post_form
from tests.support.factories import UserFactory


def role_of(session: Session, user_id: int) -> str:
    session.expire_all()
    user = session.get(User, user_id)
    assert user is not None
    return user.role


def test_a_plain_user_gets_403_on_admin_pages(client: FlaskClient) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/").status_code == 403


def test_a_moderator_gets_403_on_account_admin(client: FlaskClient) -> None:
    UserFactory(username="mod", role="moderator")
    log_in(client, "mod")
    assert client.get("/admin/users").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client: FlaskClient) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_a_user_cannot_change_their_own_role_through_any_form(
    client: FlaskClient, session: Session
) -> None:
    user = UserFactory(username="olena")
    log_in(client, "olena")
    post_form(
        client,
        "/account/profile",
        {"full_name": "O", "role": "admin", "is_active": "0"},
        form_page="/account",
    )
    post_form(
        client, "/account/email", {"email": "o2@example.org", "role": "admin"}, form_page="/account"
    )
    denied = post_form(client, f"/admin/users/{user.id}/role", {"role": "admin"}, form_page="/")
    assert denied.status_code == 403
    assert role_of(session, user.id) == "user"


def test_admin_changes_a_role_and_deactivates_an_account(
    client: FlaskClient, session: Session
) -> None:
    UserFactory(username="boss", role="admin")
    member = UserFactory(username="member")
    log_in(client, "boss")
    post_form(
        client, f"/admin/users/{member.id}/role", {"role": "moderator"}, form_page="/admin/users"
    )
    assert role_of(session, member.id) == "moderator"
    post_form(client, f"/admin/users/{member.id}/active", {"active": "0"}, form_page="/admin/users")
    session.expire_all()
    assert session.get(User, member.id).is_active is False  # type: ignore[union-attr]


def test_the_last_admin_cannot_be_demoted_or_deactivated(
    client: FlaskClient, session: Session
) -> None:
    boss = UserFactory(username="boss", role="admin")
    log_in(client, "boss")
    demoted = post_form(
        client, f"/admin/users/{boss.id}/role", {"role": "user"}, form_page="/admin/users"
    )
    assert "last active admin" in client.get(demoted.location).text
    post_form(client, f"/admin/users/{boss.id}/active", {"active": "0"}, form_page="/admin/users")
    assert role_of(session, boss.id) == "admin"
    session.expire_all()
    assert session.get(User, boss.id).is_active is True  # type: ignore[union-attr]


def test_a_second_admin_makes_demotion_possible(client: FlaskClient, session: Session) -> None:
    boss = UserFactory(username="boss", role="admin")
    UserFactory(username="deputy", role="admin")
    log_in(client, "boss")
    post_form(client, f"/admin/users/{boss.id}/role", {"role": "user"}, form_page="/admin/users")
    assert role_of(session, boss.id) == "user"


def test_admin_list_searches_and_pages(client: FlaskClient) -> None:
    UserFactory(username="boss", role="admin")
    for number in range(55):
        UserFactory(username=f"member{number:02d}")
    UserFactory(username="olena", full_name="Olena Kovalenko")
    log_in(client, "boss")
    found = client.get("/admin/users?q=KOVAL")
    assert "olena" in found.text
    assert "member01" not in found.text
    first = client.get("/admin/users?sort=username")
    assert "member00" in first.text
    link = re.search(r'href="([^"]*cursor=[^"]*)" rel="next"', first.text)
    assert link is not None
    second = client.get(link.group(1).replace("&amp;", "&"))
    assert "member49" in second.text
    assert "member00" not in second.text


def test_admin_search_treats_wildcards_as_text(client: FlaskClient) -> None:
    UserFactory(username="boss", role="admin")
    UserFactory(username="olena")
    log_in(client, "boss")
    assert "olena" not in client.get("/admin/users?q=%25").text
