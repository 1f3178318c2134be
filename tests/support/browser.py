"""A real osnova (gunicorn) on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.databases import migrate_database
from tests.support.environment import require_program
from tests.support.live import CHROMIUM_FLAGS, served_osnova

SCREENSHOTS = Path(__file__).parents[1] / "e2e" / "screenshots"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """osnova served by gunicorn on a free port, on its own migrated SQLite file."""
    workdir = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{workdir / 'e2e.sqlite3'}"
    migrate_database(url, workdir / "instance")
    with served_osnova(url, workdir) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require_program("chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


def new_page(browser: Browser, base_url: str, locale: str = "en-GB") -> Page:
    context = browser.new_context(
        base_url=base_url, locale=locale, viewport={"width": 1000, "height": 800}
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
