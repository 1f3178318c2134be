"""The catalogue's key path in a real browser, in English and in Ukrainian."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import new_page, screenshot

PASSWORD = "a long enough browser password 7"


def photo(tmp_path: Path) -> Path:
    path = tmp_path / "lamp.png"
    out = BytesIO()
    Image.new("RGB", (64, 48), "goldenrod").save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


def register_and_sign_in(page: Page, username: str) -> None:
    page.goto("/register")
    page.fill("#username", username)
    page.fill("#email", f"{username}@example.org")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.fill("#login", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator(".nav-user")).to_contain_text(username)


def status_of(page: Page, path: str) -> int:
    response = page.goto(path)
    assert response is not None
    return response.status


def item_id_of(page: Page) -> int:
    match = re.search(r"/items/(\d+)$", page.url)
    assert match is not None, page.url
    return int(match.group(1))


def test_create_find_edit_hide_and_delete_an_item(
    browser: Browser, live_server: str, tmp_path: Path
) -> None:
    page = new_page(browser, live_server)
    register_and_sign_in(page, "alice")
    screenshot(page, "en-01-home-signed-in")

    page.goto("/items/new")
    page.fill("#title", "Brass desk lamp")
    page.fill("#description", "Warm light, <b>not bold</b>")
    page.check("#is_public")
    page.set_input_files("#image", str(photo(tmp_path)))
    screenshot(page, "en-02-new-item-form")
    page.click("main button[type=submit]")
    expect(page.locator(".flash-success")).to_have_text("The item is saved.")
    expect(page.locator("h1")).to_contain_text("Brass desk lamp")
    expect(page.locator(".item-text")).to_have_text("Warm light, <b>not bold</b>")
    item_id = item_id_of(page)
    expect(page.locator("img.item-image")).to_have_js_property("naturalWidth", 64)
    screenshot(page, "en-03-item-detail")

    page.goto("/items")
    page.fill("#q", "lamp")
    page.click(".search-form button")
    expect(page).to_have_url(re.compile(r"/items\?q=lamp"))
    expect(page.locator(".item-card")).to_have_count(1)
    expect(page.locator(".item-title a")).to_have_text("Brass desk lamp")
    screenshot(page, "en-04-search-results")

    page.click(".item-title a")
    page.click("text=Edit")
    page.fill("#title", "Brass desk lamp (restored)")
    page.uncheck("#is_public")
    screenshot(page, "en-05-edit-form")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Brass desk lamp (restored)")
    expect(page.locator("h1 .badge")).to_have_text("private")

    stranger = new_page(browser, live_server)
    register_and_sign_in(stranger, "bob")
    assert status_of(stranger, f"/items/{item_id}") == 404
    expect(stranger.locator("h1")).to_contain_text("404")
    screenshot(stranger, "en-06-private-item-404-for-another-user")
    assert status_of(new_page(browser, live_server), f"/items/{item_id}") == 404

    page.goto(f"/items/{item_id}")
    page.click("main a:has-text('Delete')")
    screenshot(page, "en-07-delete-confirmation")
    page.click("main form button[type=submit]")
    expect(page.locator(".flash-success")).to_have_text("The item is deleted.")
    assert status_of(page, f"/items/{item_id}") == 404

    page.goto("/")
    page.click("nav button:has-text('Sign out')")
    expect(page.locator("nav")).to_contain_text("Sign in")
    screenshot(page, "en-08-signed-out")


def test_the_key_path_in_ukrainian(browser: Browser, live_server: str, tmp_path: Path) -> None:
    page = new_page(browser, live_server, locale="uk-UA")
    page.goto("/register")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("label[for=username]")).to_have_text("Імʼя користувача")
    register_and_sign_in(page, "olena")
    page.goto("/items/new")
    expect(page.locator("h1")).to_have_text("Нова річ")
    page.fill("#title", "Книга про Київ")
    page.check("#is_public")
    page.set_input_files("#image", str(photo(tmp_path)))
    page.click("main button[type=submit]")
    expect(page.locator(".flash-success")).to_have_text("Річ збережено.")
    screenshot(page, "uk-01-item-detail")
    page.goto("/items?q=київ")
    expect(page.locator(".item-title a")).to_have_text("Книга про Київ")
    screenshot(page, "uk-02-search-results")
    assert status_of(page, "/items/999999") == 404
    expect(page.locator("h1")).to_contain_text("Не знайдено")
    screenshot(page, "uk-03-not-found")
    page.click("nav button:has-text('English')")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("nav button:has-text('Sign out')")
    expect(page.locator("nav")).to_contain_text("Sign in")
