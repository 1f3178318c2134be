"""An email change in a real browser: asked for on the account page, confirmed from the link
mailed to the new address, undone from the link mailed to the old one."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_catalogue_in_chromium import PASSWORD, register_and_sign_in
from tests.support.browser import SCREENSHOTS, new_page
from tests.support.databases import migrate_database
from tests.support.environment import free_port
from tests.support.live import served_osnova
from tests.support.mail import SmtpSink, link_in, smtp_sink_on

OLD, NEW = "petro@example.org", "petro.new@example.org"


@pytest.fixture(scope="module")
def mail() -> Iterator[SmtpSink]:
    with smtp_sink_on(free_port()) as sink:
        yield sink


@pytest.fixture(scope="module")
def mailing_server(tmp_path_factory: pytest.TempPathFactory, mail: SmtpSink) -> Iterator[str]:
    """osnova under gunicorn that sends its mail to the sink."""
    workdir = tmp_path_factory.mktemp("live-mail")
    url = f"sqlite:///{workdir / 'e2e.sqlite3'}"
    migrate_database(url, workdir / "instance")
    with served_osnova(url, workdir, OSNOVA_SMTP_URL=mail.url) as base_url:
        yield base_url


def shoot(page: Page, folder: Path, name: str) -> None:
    """A full-page screenshot in the test's folder, copied beside the suite's other ones."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SCREENSHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SCREENSHOTS / path.name)


def test_change_confirm_and_undo_an_email_in_chromium(
    browser: Browser, mailing_server: str, mail: SmtpSink, tmp_path: Path
) -> None:
    owner = new_page(browser, mailing_server)
    register_and_sign_in(owner, "petro")

    owner.goto("/account")
    owner.fill("#email", NEW)
    owner.fill("#email_current_password", PASSWORD)
    owner.click("form[action$='/account/email'] button[type=submit]")
    expect(owner.locator(".flash-success")).to_contain_text(f"We sent a link to {NEW}")
    expect(owner.locator(".pending-email")).to_contain_text(f"pending: {NEW}")
    expect(owner.locator(".facts")).to_contain_text(OLD)
    shoot(owner, tmp_path, "email-01-account-with-pending-change")

    (notice,) = mail.to(OLD)[-1:]
    (confirmation,) = mail.to(NEW)
    new_mailbox = new_page(browser, mailing_server)
    new_mailbox.goto(link_in(confirmation, "/email/confirm/"))
    expect(new_mailbox.locator("h1")).to_have_text("Confirm your new email address")
    expect(new_mailbox.locator("main")).to_contain_text(f"Make {NEW} the email address")
    shoot(new_mailbox, tmp_path, "email-02-confirmation-page")
    new_mailbox.click("main button[type=submit]")
    expect(new_mailbox).to_have_url(re.compile(r"/login$"))
    expect(new_mailbox.locator(".flash-success")).to_have_text(f"Your email address is now {NEW}.")

    owner.goto("/account")
    expect(owner.locator(".facts")).to_contain_text(NEW)
    expect(owner.locator(".pending-email")).to_have_count(0)
    shoot(owner, tmp_path, "email-03-account-after-confirmation")

    old_mailbox = new_page(browser, mailing_server)
    old_mailbox.goto(link_in(notice, "/email/cancel/"))
    expect(old_mailbox.locator("h1")).to_have_text("Cancel the email change")
    expect(old_mailbox.locator("main")).to_contain_text(f"was changed from {OLD} to {NEW}")
    shoot(old_mailbox, tmp_path, "email-04-cancel-page")
    old_mailbox.click("main button[type=submit]")
    expect(old_mailbox.locator(".flash-success")).to_contain_text("The email change is undone")

    owner.goto("/account")
    expect(owner).to_have_url(re.compile(r"/login\?next="))  # signed out everywhere
    owner.fill("#login", OLD)
    owner.fill("#password", PASSWORD)
    owner.click("main button[type=submit]")
    owner.goto("/account")
    expect(owner.locator(".facts")).to_contain_text(OLD)
    assert sorted(path.name for path in tmp_path.glob("email-*.png")) == [
        "email-01-account-with-pending-change.png",
        "email-02-confirmation-page.png",
        "email-03-account-after-confirmation.png",
        "email-04-cancel-page.png",
    ]
