"""The admin console in a real browser: an admin signs in, reads the dashboard and works
through accounts, items, tokens and the audit trail, in English and Ukrainian, on a desktop
and a phone; axe-core checks each page for accessibility problems.

Screenshots go to tests/e2e/screenshots/admin/ (or ``OSNOVA_SCREENSHOTS_DIR``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from osnova import create_app
from osnova.database import utcnow
from osnova.extensions import current_settings, db
from osnova.models import ImportJob, Item, Role, User
from osnova.schemas import UserCreate
from osnova.services import accounts, audit, tokens
from tests.support.browser import SCREENSHOTS
from tests.support.databases import make_settings, migrate_database
from tests.support.live import served_osnova

PASSWORD = "a long enough console password 5"
VIRA_PASSWORD = "vira keeps her own long password 8"
DESKTOP = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENS = {"desktop": DESKTOP, "phone": PHONE}
LOCALES = {"en": "en-GB", "uk": "uk-UA"}
PAGES = [
    ("dashboard", "/admin/"),
    ("accounts", "/admin/users?sort=username"),
    ("invite", "/admin/users/new"),
    ("items", "/admin/items?sort=title"),
    ("tokens", "/admin/tokens"),
    ("audit", "/admin/audit"),
    ("imports", "/admin/transfer/history"),
]


def screenshots_dir() -> Path:
    chosen = os.environ.get("OSNOVA_SCREENSHOTS_DIR")
    folder = Path(chosen) if chosen else SCREENSHOTS / "admin"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def seed(url: str, workdir: Path) -> None:
    """An admin, people who joined over the last weeks, their items, tokens and events."""
    app = create_app(make_settings(url, workdir / "instance"))
    with app.app_context():
        session = db.session()
        admin = accounts.create_user(
            session=session,
            settings=current_settings(),
            data=UserCreate(username="boss", email="boss@example.org", password=PASSWORD),
            role=Role.ADMIN,
        )
        accounts.create_user(
            session=session,
            settings=current_settings(),
            data=UserCreate(
                username="vira",
                email="vira@example.org",
                full_name="Vira Bondar",
                password=VIRA_PASSWORD,
            ),
        )
        now = utcnow()
        for n in range(12):
            person = User(
                username=f"member{n}",
                email=f"member{n}@example.org",
                full_name=f"Member {n}",
                created_at=now - timedelta(days=(n * 5) % 29),
            )
            session.add(person)
            for k in range(n % 4 + 1):
                session.add(
                    Item(
                        owner=person,
                        title=f"Thing {k} of member {n}",
                        is_public=k % 2 == 0,
                        created_at=now - timedelta(days=(n + k * 3) % 30),
                    )
                )
            session.flush()
            if n % 3 == 0:
                tokens.create_token(session=session, user=person, name=f"laptop {n}")
            audit.record(
                session=session, action="login.success", actor=person, remote_addr="192.0.2.5"
            )
        audit.record(session=session, action="login.failure", details={"login": "mallory"})
        session.add(
            ImportJob(
                actor_id=admin.id,
                kind="items",
                format="csv",
                on_conflict="error",
                status="queued",
                rows_done=0,
                attempts=0,
            )
        )
        session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{workdir / 'console.sqlite3'}"
    migrate_database(url, workdir / "instance")
    seed(url, workdir)
    with served_osnova(url, workdir) as base_url:
        yield base_url


def signed_in(browser: Browser, base_url: str, locale: str, viewport: dict[str, int]) -> Page:
    context = browser.new_context(base_url=base_url, locale=locale, viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("#login", "boss")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator(".nav-user")).to_contain_text("boss")
    return page


def accessibility_problems(page: Page) -> str:
    """axe-core's report of the page's violations ("" when there are none)."""
    results = Axe().run(page)
    return "" if results.violations_count == 0 else results.generate_report()


def fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("language", ["en", "uk"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_every_console_page_reads_well_and_passes_axe(
    browser: Browser, console: str, language: str, device: str
) -> None:
    page = signed_in(browser, console, LOCALES[language], SCREENS[device])
    folder = screenshots_dir()
    for name, path in PAGES:
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert accessibility_problems(page) == "", f"{path}:\n{accessibility_problems(page)}"
        assert fits_the_width(page), f"{path} is wider than the {device} screen"
        page.screenshot(path=str(folder / f"{language}-{device}-{name}.png"), full_page=True)


def test_the_dashboard_chart_is_drawn_and_labelled(browser: Browser, console: str) -> None:
    for locale, title in [("en-GB", "Sign-ups per day"), ("uk-UA", "Реєстрації за день")]:
        page = signed_in(browser, console, locale, PHONE)
        page.goto("/admin/")
        chart = page.locator("#chart-sign-ups-title")
        expect(chart).to_have_text(title)
        expect(page.locator("svg .series-sign-ups")).to_have_count(30)
        width = page.locator("svg.chart-svg").first.bounding_box()
        assert width is not None
        assert width["width"] <= PHONE["width"]
        fill = page.locator("svg .series-sign-ups").first.evaluate(
            "bar => getComputedStyle(bar).fill"
        )
        assert fill == "rgb(31, 95, 191)"  # coloured by site.css: the stylesheet applies


def test_an_admin_unpublishes_ticked_items_after_confirming(browser: Browser, console: str) -> None:
    page = signed_in(browser, console, "en-GB", DESKTOP)
    page.goto("/admin/items?owner=member3&visibility=public")
    rows = page.locator("tbody tr")
    count = rows.count()
    assert count >= 2
    for n in range(count):
        rows.nth(n).locator("input[type=checkbox]").check()
    page.click("text=Unpublish the ticked items…")
    expect(page.locator("h1")).to_have_text("Unpublish items")
    expect(page.locator(".chosen-list li")).to_have_count(count)
    assert accessibility_problems(page) == ""
    page.screenshot(path=str(screenshots_dir() / "en-desktop-bulk-confirm.png"), full_page=True)
    page.click("main form button:has-text('Unpublish')")
    expect(page.locator(".flash-success")).to_have_text(f"{count} items are private now.")
    expect(page).to_have_url(re.compile(r"owner=member3&visibility=public"))
    expect(page.locator("tbody tr")).to_have_count(0)
    page.goto("/admin/audit?action=item.unpublish")
    expect(page.locator("tbody tr")).to_have_count(count)
    page.screenshot(path=str(screenshots_dir() / "en-desktop-audit-unpublish.png"), full_page=True)


def test_an_admin_revokes_an_accounts_tokens(browser: Browser, console: str) -> None:
    page = signed_in(browser, console, "uk-UA", PHONE)
    page.goto("/admin/tokens")
    page.click("tbody tr >> nth=0 >> td >> nth=0 >> a")
    expect(page).to_have_url(re.compile(r"user=member\d+"))
    page.click("text=Відкликати всі токени")
    expect(page.locator(".flash-success")).to_contain_text("відкликано")
    expect(page.locator("tbody .badge-warn")).to_have_count(1)
    page.screenshot(path=str(screenshots_dir() / "uk-phone-tokens-revoked.png"), full_page=True)


def tick_and_ask(page: Page, search: str, button: str) -> int:
    """Search the accounts, tick every row found, press a bulk button; the rows ticked."""
    page.goto("/admin/users")
    page.fill("#q", search)
    page.click("main form[role=search] button[type=submit]")
    expect(page).to_have_url(re.compile(r"q=" + re.escape(search)))
    rows = page.locator("tbody tr")
    count = rows.count()
    for n in range(count):
        rows.nth(n).locator("input[type=checkbox]").check()
    page.click(f"text={button}")
    return count


@pytest.mark.parametrize("language", ["en", "uk"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_bulk_confirmation_reads_well_and_passes_axe(
    browser: Browser, console: str, language: str, device: str
) -> None:
    page = signed_in(browser, console, LOCALES[language], SCREENS[device])
    button = {
        "en": "Deactivate the ticked accounts…",
        "uk": "Деактивувати позначені облікові записи…",
    }[language]
    count = tick_and_ask(page, "member1", button)
    assert count == 3  # member1, member10, member11
    expect(page.locator(".chosen-list li")).to_have_count(count)
    assert accessibility_problems(page) == ""
    assert fits_the_width(page), f"the confirmation is wider than the {device} screen"
    folder = screenshots_dir()
    page.screenshot(path=str(folder / f"{language}-{device}-accounts-confirm.png"), full_page=True)


def test_an_admin_finds_and_deactivates_someone_through_the_bulk_action(
    browser: Browser, console: str
) -> None:
    context = browser.new_context(base_url=console, locale="en-GB", viewport=PHONE)  # type: ignore[arg-type]
    person = context.new_page()
    person.goto("/login")
    person.fill("#login", "vira")
    person.fill("#password", VIRA_PASSWORD)
    person.click("main button[type=submit]")
    expect(person.locator(".nav-user")).to_contain_text("vira")

    page = signed_in(browser, console, "en-GB", DESKTOP)
    assert tick_and_ask(page, "bondar", "Deactivate the ticked accounts…") == 1
    expect(page.locator("h1")).to_have_text("Deactivate accounts")
    expect(page.locator(".chosen-list li")).to_contain_text("vira")
    page.click("main form button:has-text('Deactivate')")
    expect(page.locator(".flash-success")).to_contain_text("1 account is deactivated")
    expect(page).to_have_url(re.compile(r"q=bondar"))
    expect(page.locator("tbody tr .badge-warn").first).to_have_text("deactivated")
    assert accessibility_problems(page) == ""
    page.screenshot(path=str(screenshots_dir() / "en-desktop-accounts-deactivated.png"))

    person.reload()  # the session the person had is over
    expect(person.locator(".nav-user")).to_have_count(0)
    person.goto("/login")
    person.fill("#login", "vira")
    person.fill("#password", VIRA_PASSWORD)
    person.click("main button[type=submit]")
    expect(person).to_have_url(re.compile(r"/login"))
    expect(person.locator(".nav-user")).to_have_count(0)

    page.goto("/admin/audit?action=account.deactivate")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("boss")
    assert accessibility_problems(page) == ""
    page.screenshot(path=str(screenshots_dir() / "en-desktop-audit-deactivate.png"), full_page=True)
