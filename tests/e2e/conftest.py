"""A real osnova (gunicorn) on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import TEST_SECRET_KEY, free_port, require_program

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """osnova served by gunicorn on a free port, on its own migrated SQLite file."""
    workdir = tmp_path_factory.mktemp("live")
    osnova = str(Path(sys.executable).parent / "osnova")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSNOVA_")}
    env |= {
        "OSNOVA_ENV": "testing",
        "OSNOVA_SECRET_KEY": TEST_SECRET_KEY,
        "OSNOVA_DATABASE_URL": f"sqlite:///{workdir / 'e2e.sqlite3'}",
        "OSNOVA_INSTANCE_DIR": str(workdir / "instance"),
    }
    subprocess.run([osnova, "db", "upgrade"], env=env, check=True, timeout=60)
    port = free_port()
    server = subprocess.Popen(
        [osnova, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


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
