"""The admin console's accounts: the list from the URL, invitations that end in a first
sign-in, deletion that says what goes first, and bulk actions after one confirmation."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.extensions import db
from osnova.models import AuditEvent, Item, User
from tests.support import factories
from tests.support.clients import bearer, csrf_token, log_in, post_form, token_for
from tests.support.factories import ItemFactory, UserFactory
from tests.support.mail import SmtpSink

NEXT_LINK = re.compile(r'href="([^"]*cursor=[^"]*)" rel="next"')
ROW_NAME = re.compile(r'id="name-\d+">([^<]+)</a>')
FIRST_PASSWORD = "walnut ferry midnight 31"


@pytest.fixture
def admin(client: FlaskClient) -> User:
    boss = UserFactory(username="boss", role="admin")
    log_in(client, "boss")
    return boss


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(session.scalars(query))


def fresh(session: Session, user_id: int) -> User | None:
    session.expire_all()
    return session.get(User, user_id)


def listed(client: FlaskClient, url: str) -> list[str]:
    """The usernames on every page of ``url``, following "Next page"."""
    names: list[str] = []
    while url:
        page = client.get(url)
        assert page.status_code == 200, url
        names += ROW_NAME.findall(page.text)
        link = NEXT_LINK.search(page.text)
        url = link.group(1).replace("&amp;", "&") if link else ""
    return names


def test_filters_and_order_live_in_the_url_and_the_next_page_keeps_them(
    client: FlaskClient, admin: User
) -> None:
    for n in range(55):
        UserFactory(username=f"member{n:02d}", role="moderator" if n % 5 == 0 else "user")
    UserFactory(username="olena", full_name="Olena Kovalenko", is_active=False)
    first = client.get("/admin/users?role=moderator&sort=username-desc")
    assert 'value="moderator" selected' in first.text  # the form shows the filter in force
    moderators = listed(client, "/admin/users?role=moderator&sort=username-desc")
    assert moderators == [f"member{n:02d}" for n in range(50, -1, -5)]
    everyone = listed(client, "/admin/users?sort=username")
    assert len(everyone) == 57
    assert everyone == sorted(everyone)
    link = NEXT_LINK.search(client.get("/admin/users?active=yes&sort=oldest").text)
    assert link is not None
    assert "active=yes" in link.group(1)
    assert "sort=oldest" in link.group(1)
    assert listed(client, "/admin/users?q=KOVAL&active=no") == ["olena"]
    assert listed(client, "/admin/users?q=koval&active=yes") == []
    assert client.get("/admin/users?cursor=forged&sort=username").status_code == 422
    unknown = client.get("/admin/users?role=emperor")  # ignored, and said so
    assert unknown.status_code == 200
    assert 'id="role-errors"' in unknown.text


def test_an_invitation_lets_the_person_choose_a_password_and_sign_in(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    with app.app_context():
        factories.bind(db.session)
        UserFactory(username="boss", role="admin")
    admin = app.test_client()
    log_in(admin, "boss")
    opened = post_form(
        admin,
        "/admin/users/new",
        {"username": "Taras", "email": "Taras@Example.org", "full_name": "Taras", "role": "user"},
    )
    assert opened.status_code == 302
    assert "taras@example.org" in admin.get(opened.location).text
    (mail,) = smtp_sink.to("taras@example.org")
    assert mail["Subject"] == "You are invited to osnova"
    link = smtp_sink.last_link("/password/invitation/")

    person = app.test_client()
    assert log_in(person, "taras", FIRST_PASSWORD).status_code == 200  # no password yet
    welcome = person.get(person.get(link).location)
    assert "Welcome to osnova" in welcome.text
    chosen = post_form(
        person,
        "/password/reset",
        {"password": FIRST_PASSWORD, "password_confirm": FIRST_PASSWORD},
    )
    assert chosen.status_code == 302
    assert log_in(person, "taras", FIRST_PASSWORD).status_code == 302
    assert person.get("/account").status_code == 200
    assert app.test_client().get(link).status_code == 404  # used: the link is dead
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "taras"))
        assert user is not None
        assert user.email_verified_at is not None
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.target == f"user:{user.id}")
        )
        assert "account.invite" in list(actions)


def test_an_invitation_is_in_the_admins_language(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    with app.app_context():
        factories.bind(db.session)
        UserFactory(username="boss", role="admin")
    admin = app.test_client()
    admin.set_cookie("lang", "uk")
    log_in(admin, "boss")
    form = admin.get("/admin/users/new")
    assert "Запросити" in form.text
    post_form(admin, "/admin/users/new", {"username": "oksana", "email": "o@example.org"})
    (mail,) = smtp_sink.to("o@example.org")
    assert mail["Subject"] == "Запрошення до osnova"


def test_an_invitation_to_a_taken_name_is_refused_and_opens_nothing(
    client: FlaskClient, session: Session, admin: User
) -> None:
    UserFactory(username="olena")
    answer = post_form(
        client, "/admin/users/new", {"username": "olena", "email": "new@example.org"}
    )
    assert answer.status_code == 200
    assert "already taken" in answer.text
    bad = post_form(client, "/admin/users/new", {"username": "no spaces", "email": "x@y.org"})
    assert 'id="username-errors"' in bad.text
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "new@example.org")) is None
    assert events(session, "account.invite") == []


def test_deleting_an_account_says_what_goes_with_it_then_audits(
    client: FlaskClient, session: Session, admin: User
) -> None:
    olena = UserFactory(username="olena")
    olena_id = olena.id
    for _ in range(3):
        ItemFactory(owner=olena)
    token_for(olena)
    page = client.get(f"/admin/users/{olena_id}/delete?next=/admin/users%3Fq%3Dol")
    assert "Its 3 items are deleted with it." in page.text
    assert "Its 1 live API token stops working." in page.text
    token = csrf_token(client, f"/admin/users/{olena_id}/delete")
    gone = client.post(
        f"/admin/users/{olena_id}/delete", data={"csrf_token": token, "next": "/admin/users?q=ol"}
    )
    assert gone.location == "/admin/users?q=ol"
    assert fresh(session, olena_id) is None
    assert session.scalar(select(Item).where(Item.owner_id == olena_id)) is None
    (event,) = events(session, "account.delete")
    assert (event.actor_id, event.target) == (admin.id, f"user:{olena_id}")


def test_the_last_admin_can_be_neither_deleted_nor_deactivated_in_bulk(
    client: FlaskClient, session: Session, admin: User
) -> None:
    page = client.get(f"/admin/users/{admin.id}/delete")
    assert "last active admin" in page.text
    assert "Delete the account</button>" not in page.text
    refused = post_form(
        client, f"/admin/users/{admin.id}/delete", {}, form_page=f"/admin/users/{admin.id}/delete"
    )
    assert "last active admin" in client.get(refused.location).text
    member = UserFactory(username="member")
    token = csrf_token(client, "/admin/users")
    done = client.post(
        "/admin/users/bulk",
        data={
            "csrf_token": token,
            "action": "deactivate",
            "confirmed": "yes",
            "user": [str(admin.id), str(member.id)],
        },
    )
    text = client.get(done.location).text
    assert "1 account is deactivated" in text
    assert "Skipped boss: The last active admin cannot be demoted or deactivated." in text
    assert fresh(session, admin.id).is_active is True  # type: ignore[union-attr]
    assert fresh(session, member.id).is_active is False  # type: ignore[union-attr]
    assert len(events(session, "account.deactivate")) == 1


def test_bulk_deactivation_confirms_first_then_ends_sessions_and_tokens(
    app: Flask, client: FlaskClient, session: Session, admin: User
) -> None:
    ann, ben = UserFactory(username="ann"), UserFactory(username="ben")
    bystander = UserFactory(username="cyril")
    ann_browser = app.test_client()
    log_in(ann_browser, "ann")
    assert ann_browser.get("/account").status_code == 200
    ben_token = token_for(ben)
    assert client.get("/api/v1/users/me", headers=bearer(ben_token)).status_code == 200
    token = csrf_token(client, "/admin/users")
    here = "/admin/users?sort=username"
    asked = client.post(
        "/admin/users/bulk",
        data={"csrf_token": token, "action": "deactivate", "next": here, "user": [ann.id, ben.id]},
    )
    assert asked.status_code == 200
    assert "These 2 accounts will be deactivated" in asked.text
    assert fresh(session, ann.id).is_active is True  # type: ignore[union-attr]
    confirm = re.findall(r'name="user" value="(\d+)"', asked.text)
    done = client.post(
        "/admin/users/bulk",
        data={
            "csrf_token": token,
            "action": "deactivate",
            "confirmed": "yes",
            "next": here,
            "user": confirm,
        },
    )
    assert done.location == here
    assert "2 accounts are deactivated" in client.get(done.location).text
    assert ann_browser.get("/account").status_code == 302  # signed out
    assert log_in(app.test_client(), "ann").status_code == 200  # cannot sign in again
    assert client.get("/api/v1/users/me", headers=bearer(ben_token)).status_code == 401
    deactivations = events(session, "account.deactivate")
    assert sorted(e.target or "" for e in deactivations) == [f"user:{ann.id}", f"user:{ben.id}"]
    assert fresh(session, bystander.id).is_active is True  # type: ignore[union-attr]


def test_bulk_reset_links_go_to_the_active_accounts_only(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    with app.app_context():
        factories.bind(db.session)
        UserFactory(username="boss", role="admin")
        ids = [UserFactory(username="ann").id, UserFactory(username="gone", is_active=False).id]
    admin = app.test_client()
    log_in(admin, "boss")
    token = csrf_token(admin, "/admin/users")
    form = {"csrf_token": token, "action": "reset", "user": [str(i) for i in ids]}
    asked = admin.post("/admin/users/bulk", data=form)
    assert "deactivated: a reset link would not work" in asked.text
    assert smtp_sink.messages == []
    done = admin.post("/admin/users/bulk", data=form | {"confirmed": "yes"})
    text = admin.get(done.location).text
    assert "A reset link was sent to 1 account." in text
    assert "Skipped gone: deactivated: a reset link would not work" in text
    assert [m["To"] for m in smtp_sink.messages] == ["ann@example.org"]
    assert "/password/reset/" in smtp_sink.messages[0].get_content()


def test_a_bulk_action_without_csrf_or_rows_changes_nothing(
    client: FlaskClient, session: Session, admin: User
) -> None:
    member = UserFactory(username="member")
    forged = client.post(
        "/admin/users/bulk",
        data={"action": "deactivate", "confirmed": "yes", "user": [str(member.id)]},
    )
    assert forged.status_code == 403
    token = csrf_token(client, "/admin/users")
    empty = client.post("/admin/users/bulk", data={"csrf_token": token, "action": "deactivate"})
    assert "Tick at least one account first." in client.get(empty.location).text
    assert fresh(session, member.id).is_active is True  # type: ignore[union-attr]
