""" "Keep me signed in": a device stays signed in up to 30 days, is listed on the account page
and ends when forgotten, at sign-out, or when the password, email or role changes."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from osnova.config import Environment
from osnova.extensions import db
from osnova.models import AuditEvent, RememberedDevice, Role, User
from tests.support.clients import csrf_token, log_in, log_out, post_form
from tests.support.clock import ManualClock
from tests.support.environment import TEST_SECRET_KEY
from tests.support.factories import DEFAULT_PASSWORD
from tests.support.mail import SmtpSink, link_in
from tests.web.test_account_journey import add_user
from tests.web.test_redirects_and_sessions import signed_in

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
NEW_PASSWORD = "quiet harbour lanterns 7"


@pytest.fixture
def app(make_app: Callable[..., Flask], clock: ManualClock) -> Flask:
    application = make_app(clock=clock)
    add_user(application, username="olena", email="olena@example.org")
    return application


def remembered_browser(app: Flask, user_agent: str = FIREFOX) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    response = log_in(client, "olena", remember="y")
    assert response.status_code == 302
    return client


def device_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("remember_device")
    assert cookie is not None
    return cookie.value


def only_the_cookie(app: Flask, value: str) -> FlaskClient:
    """Another browser holding nothing but a copy of a device cookie."""
    stranger = app.test_client()
    stranger.set_cookie("remember_device", value)
    return stranger


def device_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(RememberedDevice.id).order_by(RememberedDevice.id)))


def test_a_remembered_device_stays_signed_in_past_the_session_limits_for_30_days(
    app: Flask, clock: ManualClock
) -> None:
    browser = remembered_browser(app)
    cookie = browser.get_cookie("remember_device")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert cookie.max_age == 30 * 24 * 3600
    clock.advance(hours=3)  # past the idle limit
    assert signed_in(browser)
    for _ in range(29):  # past the absolute limit, day after day
        clock.advance(days=1)
        assert signed_in(browser)
    clock.advance(hours=22)  # 30 days and an hour after signing in
    assert not signed_in(browser)
    assert browser.get_cookie("remember_device") is None
    assert device_ids(app) == []


def test_each_session_a_device_starts_is_in_the_audit_trail(app: Flask, clock: ManualClock) -> None:
    browser = remembered_browser(app)
    for _ in range(2):
        clock.advance(hours=1)
        assert signed_in(browser)
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["login.success", "device.remember", "login.remembered", "login.remembered"]


def test_the_account_page_lists_remembered_devices(app: Flask, clock: ManualClock) -> None:
    remembered_browser(app, PHONE)
    clock.advance(hours=1)
    laptop = remembered_browser(app)
    page = unescape(laptop.get("/account").text)
    assert "Remembered devices" in page
    assert "Chrome on Android" in page
    assert "Firefox on Linux" in page
    assert page.count("this device") == 1
    assert clock.now.strftime("%Y-%m-%d %H:%M") in page


def test_forgetting_another_device_signs_it_out_at_once_and_for_good(
    app: Flask, clock: ManualClock
) -> None:
    phone = remembered_browser(app, PHONE)
    phone_cookie = device_cookie(phone)
    laptop = remembered_browser(app)
    phone_device = device_ids(app)[0]
    answer = post_form(laptop, f"/account/devices/{phone_device}/forget", {}, form_page="/account")
    assert answer.status_code == 302
    assert not signed_in(phone)  # its current session ends with the device
    clock.advance(hours=1)
    assert not signed_in(only_the_cookie(app, phone_cookie))
    assert signed_in(laptop)


def test_an_expired_session_with_the_cookie_of_a_forgotten_device_stays_signed_out(
    app: Flask, clock: ManualClock
) -> None:
    phone = remembered_browser(app, PHONE)
    phone_cookie = device_cookie(phone)
    clock.advance(minutes=45)  # the phone's session has ended; its cookie would start another
    laptop = remembered_browser(app)
    post_form(laptop, f"/account/devices/{device_ids(app)[0]}/forget", {}, form_page="/account")
    assert not signed_in(phone)
    assert not signed_in(only_the_cookie(app, phone_cookie))


def test_forgetting_this_device_keeps_the_session_but_not_the_cookie(
    app: Flask, clock: ManualClock
) -> None:
    laptop = remembered_browser(app)
    post_form(laptop, f"/account/devices/{device_ids(app)[0]}/forget", {}, form_page="/account")
    assert laptop.get_cookie("remember_device") is None
    assert signed_in(laptop)
    clock.advance(minutes=31)
    assert not signed_in(laptop)


def test_forget_all_devices(app: Flask) -> None:
    phone = remembered_browser(app, PHONE)
    laptop = remembered_browser(app)
    post_form(laptop, "/account/devices/forget", {}, form_page="/account")
    assert device_ids(app) == []
    assert not signed_in(phone)
    assert signed_in(laptop)
    assert "No device is remembered." in laptop.get("/account").text


def test_a_device_of_someone_else_cannot_be_forgotten(app: Flask) -> None:
    remembered_browser(app)
    add_user(app, username="taras")
    intruder = app.test_client()
    log_in(intruder, "taras")
    answer = post_form(
        intruder, f"/account/devices/{device_ids(app)[0]}/forget", {}, form_page="/account"
    )
    assert answer.status_code == 404
    assert len(device_ids(app)) == 1


def test_a_password_change_forgets_every_device(app: Flask, clock: ManualClock) -> None:
    phone = remembered_browser(app, PHONE)
    phone_cookie = device_cookie(phone)
    laptop = remembered_browser(app)
    changed = post_form(
        laptop,
        "/account/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
        form_page="/account",
    )
    assert changed.status_code == 302
    assert device_ids(app) == []
    assert signed_in(laptop)  # the browser that changed it stays signed in, unremembered
    assert laptop.get_cookie("remember_device") is None
    assert not signed_in(phone)
    clock.advance(hours=1)
    assert not signed_in(only_the_cookie(app, phone_cookie))


def test_an_email_change_forgets_every_device_when_the_new_address_confirms_it(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="olena", email="olena@example.org")
    phone = remembered_browser(app, PHONE)
    laptop = remembered_browser(app)
    asked = post_form(
        laptop,
        "/account/email",
        {"email": "olena@example.net", "current_password": DEFAULT_PASSWORD},
        form_page="/account",
    )
    assert asked.status_code == 302
    assert len(device_ids(app)) == 2  # nothing changes until the new address answers
    link = link_in(smtp_sink.to("olena@example.net")[-1], "/email/confirm/")
    assert post_form(laptop, link, {}).status_code == 302
    assert device_ids(app) == []
    assert not signed_in(phone)
    assert signed_in(laptop)  # the browser that confirmed stays signed in, unremembered
    assert laptop.get_cookie("remember_device") is None


def test_cancelling_from_the_old_address_signs_out_remembered_devices_too(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink, clock: ManualClock
) -> None:
    app = make_app(smtp_url=smtp_sink.url, clock=clock)
    add_user(app, username="olena", email="olena@example.org")
    phone = remembered_browser(app, PHONE)
    phone_cookie = device_cookie(phone)
    post_form(
        phone,
        "/account/email",
        {"email": "mallory@example.net", "current_password": DEFAULT_PASSWORD},
        form_page="/account",
    )
    cancel = link_in(smtp_sink.to("olena@example.org")[-1], "/email/cancel/")
    assert post_form(app.test_client(), cancel, {}).status_code == 302
    assert device_ids(app) == []
    assert not signed_in(phone)
    clock.advance(hours=1)
    assert not signed_in(only_the_cookie(app, phone_cookie))


def test_a_role_change_forgets_every_device(app: Flask) -> None:
    phone = remembered_browser(app, PHONE)
    add_user(app, username="boss", role=Role.ADMIN.value)
    with app.app_context():
        olena = db.session.scalar(select(User.id).where(User.username == "olena"))
    admin = app.test_client()
    log_in(admin, "boss")
    answer = post_form(
        admin, f"/admin/users/{olena}/role", {"role": "moderator"}, form_page="/admin/users"
    )
    assert answer.status_code == 302
    assert device_ids(app) == []
    assert not signed_in(phone)


def test_signing_out_forgets_every_device(app: Flask) -> None:
    phone = remembered_browser(app, PHONE)
    laptop = remembered_browser(app)
    log_out(laptop)
    assert laptop.get_cookie("remember_device") is None
    assert device_ids(app) == []
    assert not signed_in(phone)


def test_remembering_can_be_turned_off(make_app: Callable[..., Flask]) -> None:
    app = make_app(remember_days=0)
    add_user(app, username="olena")
    client = app.test_client()
    assert "Keep me signed in" not in client.get("/login").text
    log_in(client, "olena", remember="y")
    assert client.get_cookie("remember_device") is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RememberedDevice)) == 0


def test_signing_in_again_on_a_remembered_browser_replaces_its_device(app: Flask) -> None:
    browser = remembered_browser(app)
    first = device_cookie(browser)
    log_in(browser, "olena", remember="y")
    assert len(device_ids(app)) == 1
    assert device_cookie(browser) != first
    assert not signed_in(only_the_cookie(app, first))


def test_in_production_the_device_cookie_is_host_only_and_secure(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(
        env=Environment.PRODUCTION,
        secret_key=TEST_SECRET_KEY * 2,
        allowed_hosts=["localhost"],
        base_url="https://localhost",
    )
    add_user(app, username="olena")
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/login"
    token = csrf_token(client, "https://localhost/login")
    answer = client.post(
        "https://localhost/login",
        data={"csrf_token": token, "login": "olena", "password": DEFAULT_PASSWORD, "remember": "y"},
    )
    assert answer.status_code == 302
    cookie = next(
        value
        for value in answer.headers.getlist("Set-Cookie")
        if value.startswith("__Host-remember_device=")
    )
    assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"} <= {
        part.strip() for part in cookie.split(";")
    }
    assert "Domain" not in cookie
