"""The admin's tables keep their columns in line, on a desktop and on a phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.e2e.test_admin_console_in_chromium import SCREENS, seed, signed_in
from tests.support.databases import migrate_database
from tests.support.live import served_osnova

# Each row's cells, as the browser lays them out: top edge and height, in whole pixels.
ROW_CELLS = """
[...document.querySelectorAll("main table tbody tr")].map(row =>
  [...row.children].map(cell => {
    const box = cell.getBoundingClientRect();
    return [Math.round(box.top), Math.round(box.height), getComputedStyle(cell).display];
  }))
"""


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("tables")
    url = f"sqlite:///{workdir / 'tables.sqlite3'}"
    migrate_database(url, workdir / "instance")
    seed(url, workdir)
    with served_osnova(url, workdir) as base_url:
        yield base_url


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_every_cell_of_an_accounts_row_shares_its_top_and_height(
    browser: Browser, console: str, device: str
) -> None:
    page = signed_in(browser, console, "en-GB", SCREENS[device])
    response = page.goto("/admin/users")
    assert response is not None
    assert response.status == 200
    rows = page.evaluate(ROW_CELLS)
    assert len(rows) >= 10
    for cells in rows:
        assert {display for _top, _height, display in cells} == {"table-cell"}
        assert len({(top, height) for top, height, _display in cells}) == 1, cells
