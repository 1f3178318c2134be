"""Item pages: ownership (IDOR), escaping (XSS), uploads, search and paging in the browser door."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from osnova.config import Settings
from osnova.models import Item
from tests.support.clients import csrf_token, log_in, post_form
from tests.support.factories import ItemFactory, UserFactory


def image_file(image_format: str = "PNG", size: tuple[int, int] = (16, 16)) -> BytesIO:
    out = BytesIO()
    Image.new("RGB", size, "orange").save(out, format=image_format)
    out.seek(0)
    return out


def item_state(session: Session, item_id: int) -> tuple[object, ...]:
    session.expire_all()
    row = session.execute(
        select(Item.title, Item.description, Item.is_public, Item.owner_id).where(
            Item.id == item_id
        )
    ).one()
    return tuple(row)


def post_item(
    client: FlaskClient, path: str, fields: dict[str, object], form_page: str
) -> tuple[int, str]:
    pairs: list[tuple[str, object]] = [("csrf_token", csrf_token(client, form_page))]
    for name, value in fields.items():
        if isinstance(value, tuple):  # (stream, filename) as a browser sends a file
            stream, filename = value
            value = FileStorage(stream, filename=filename, name=name)  # noqa: PLW2901
        pairs.append((name, value))
    values = MultiDict(pairs)
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(values)
    response = client.post(
        path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    return response.status_code, response.text


def test_another_users_private_item_is_404_by_url_and_by_form(
    client: FlaskClient, session: Session
) -> None:
    UserFactory(username="alice")
    secret = ItemFactory(owner=UserFactory(username="bob"), title="Bob's diary", is_public=False)
    before = item_state(session, secret.id)
    log_in(client, "alice")
    assert client.get(f"/items/{secret.id}").status_code == 404
    assert client.get(f"/items/{secret.id}/edit").status_code == 404
    assert client.get(f"/items/{secret.id}/delete").status_code == 404
    token = csrf_token(client, "/items/new")
    edited = client.post(
        f"/items/{secret.id}/edit", data={"csrf_token": token, "title": "Mine", "is_public": "y"}
    )
    deleted = client.post(f"/items/{secret.id}/delete", data={"csrf_token": token})
    assert (edited.status_code, deleted.status_code) == (404, 404)
    assert "Bob&#39;s diary" not in edited.text
    assert item_state(session, secret.id) == before
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get(f"/items/{secret.id}").status_code == 404  # anonymous too


def test_another_users_public_item_is_visible_but_not_editable(
    client: FlaskClient, session: Session
) -> None:
    UserFactory(username="alice")
    shared = ItemFactory(owner=UserFactory(username="bob"), title="Bob's lamp", is_public=True)
    before = item_state(session, shared.id)
    log_in(client, "alice")
    assert client.get(f"/items/{shared.id}").status_code == 200
    assert "/edit" not in client.get(f"/items/{shared.id}").text
    refused = post_form(
        client, f"/items/{shared.id}/edit", {"title": "Mine"}, form_page="/items/new"
    )
    assert refused.status_code == 403
    assert item_state(session, shared.id) == before


def test_a_moderator_can_edit_and_unpublish_someone_elses_item(
    client: FlaskClient, session: Session
) -> None:
    UserFactory(username="mod", role="moderator")
    item = ItemFactory(owner=UserFactory(username="bob"), title="Rude words", is_public=True)
    log_in(client, "mod")
    status, _ = post_item(
        client,
        f"/items/{item.id}/edit",
        {"title": "Tidied", "description": ""},  # the unticked box unpublishes
        form_page=f"/items/{item.id}/edit",
    )
    assert status == 302
    assert item_state(session, item.id)[:3] == ("Tidied", "", False)


XSS_TITLE = "<script>alert(1)</script>"
XSS_DESCRIPTION = '" onmouseover="alert(2)'


def test_user_written_text_is_escaped_on_every_page(client: FlaskClient) -> None:
    owner = UserFactory(username="mallory")
    item = ItemFactory(owner=owner, title=XSS_TITLE, description=XSS_DESCRIPTION, is_public=True)
    log_in(client, "mallory")
    pages = [
        "/",
        "/items",
        f"/items/{item.id}",
        "/user/mallory",
        "/items?q=alert",
        f"/items/{item.id}/edit",
        f"/items/{item.id}/delete",
        "/account",
    ]
    for path in pages:
        text = client.get(path).text
        assert "<script>alert(1)" not in text, path
        assert 'onmouseover="alert' not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path


def test_create_with_an_image_then_find_edit_and_delete(
    client: FlaskClient, session: Session, settings: Settings
) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    status, _ = post_item(
        client,
        "/items/new",
        {
            "title": "Copper kettle",
            "description": "Old but shiny",
            "is_public": "y",
            "image": (image_file("JPEG"), "../../kettle photo.jpg"),
        },
        form_page="/items/new",
    )
    assert status == 302
    item = session.scalars(select(Item)).one()
    assert item.image is not None
    assert re.fullmatch(r"items/[A-Za-z0-9_-]{24}\.jpg", item.image)
    stored = settings.resolved_media_dir() / item.image
    served = client.get(f"/media/{item.image}")
    assert (served.status_code, served.mimetype) == (200, "image/jpeg")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    served.close()
    assert "kettle" in client.get("/items?q=kettle").text
    post_item(
        client,
        f"/items/{item.id}/edit",
        {"title": "Copper kettle", "description": "", "remove_image": "y"},
        form_page=f"/items/{item.id}/edit",
    )
    assert not stored.exists()
    assert item_state(session, item.id)[2] is False
    deleted = post_form(client, f"/items/{item.id}/delete", {}, form_page=f"/items/{item.id}")
    assert deleted.status_code == 302
    assert session.scalars(select(Item)).first() is None


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "case",
    [
        (b"<?php system($_GET['c']); ?>", "shell.png", 422, "not a valid JPEG, PNG or WebP"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "drawing.svg",
            422,
            "not a valid JPEG, PNG or WebP",
        ),
        (b"GIF89a" + b"\x00" * 64, "anim.png", 422, "not a valid JPEG, PNG or WebP"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 * 1024 * 1024), "huge.png", 413, "larger than 5 MiB"),
    ],
    ids=["php-as-png", "svg", "gif-as-png", "6-mib"],
)
def test_bad_uploads_are_refused_with_a_clear_message_and_write_nothing(
    client: FlaskClient,
    session: Session,
    settings: Settings,
    tmp_path: Path,
    case: tuple[bytes, str, int, str],
) -> None:
    upload, filename, status, message = case
    UserFactory(username="olena")
    log_in(client, "olena")
    before = files_under(tmp_path)
    got, text = post_item(
        client,
        "/items/new",
        {"title": "Trojan", "is_public": "y", "image": (BytesIO(upload), filename)},
        form_page="/items/new",
    )
    assert got == status
    assert message in text
    assert session.scalars(select(Item)).first() is None
    assert files_under(tmp_path) == before


def test_a_traversal_filename_cannot_place_a_file_outside_the_media_folder(
    client: FlaskClient, session: Session, settings: Settings, tmp_path: Path
) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    before = files_under(tmp_path)
    post_item(
        client,
        "/items/new",
        {"title": "Sneaky", "image": (image_file("PNG"), "../../x.png")},
        form_page="/items/new",
    )
    media = settings.resolved_media_dir().resolve()
    added = files_under(tmp_path) - before
    assert len(added) == 1
    (new_file,) = added
    assert new_file.resolve().is_relative_to(media)
    assert new_file.name != "x.png"
    assert client.get("/media/../../x.png").status_code == 404
    assert client.get("/media/items/..%2F..%2Fosnova.sqlite3").status_code == 404


def test_metadata_is_stripped_from_stored_images(
    client: FlaskClient, session: Session, settings: Settings
) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    photo = BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Secret Camera Co"  # Make
    Image.new("RGB", (20, 20), "blue").save(photo, format="JPEG", exif=exif.tobytes())
    photo.seek(0)
    assert b"Secret Camera Co" in photo.getvalue()
    post_item(
        client,
        "/items/new",
        {"title": "Photo", "image": (photo, "p.jpg")},
        form_page="/items/new",
    )
    item = session.scalars(select(Item)).one()
    assert item.image is not None
    stored = (settings.resolved_media_dir() / item.image).read_bytes()
    assert b"Secret Camera Co" not in stored


def test_search_pages_keep_the_query_in_older_and_newer_links(
    client: FlaskClient, session: Session
) -> None:
    owner = UserFactory()
    for n in range(25):
        ItemFactory(owner=owner, title=f"teapot {n}", is_public=True)
    ItemFactory(owner=owner, title="unrelated", is_public=True)
    first = client.get("/items?q=teapot").text
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older is not None
    assert "q=teapot" in older.group(1)
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert second.count('class="item-card"') == 5
    assert "unrelated" not in second
    newer = re.search(r'href="([^"]+)" rel="prev"', second)
    assert newer is not None
    assert "q=teapot" in newer.group(1)


def test_a_malformed_cursor_is_a_clear_error_page(client: FlaskClient) -> None:
    response = client.get("/items?cursor=%27%20OR%201%3D1")
    assert response.status_code == 422
    assert "not a valid cursor" in response.text


def test_an_unexpected_error_shows_no_traceback(app: Flask, client: FlaskClient) -> None:
    def explode() -> str:
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", "explode", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does, not re-raise
    response = client.get("/explode", headers={"Accept-Language": "uk"})
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert 'lang="uk"' in response.text
