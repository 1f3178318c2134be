"""Admin import and export pages: upload, dry-run report, confirm once; downloads."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from osnova.models import Item, User
from osnova.web import pending_imports
from tests.support.clients import CSRF_PATTERN, csrf_token, log_in
from tests.support.factories import ItemFactory, UserFactory

PAGE = "/admin/transfer"
USERS_CSV = "username,email,full_name\nann,ann@example.org,Ann\nbob,bob@example.org,Bob\n"
TICKET_PATTERN = re.compile(r'name="ticket" type="hidden" value="([^"]+)"')
UK = {"Accept-Language": "uk"}


def count(session: Session, model: type[User] | type[Item]) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def upload(
    client: FlaskClient,
    content: str | bytes,
    filename: str = "people.csv",
    *,
    kind: str = "users",
    file_format: str = "auto",
    on_conflict: str = "error",
) -> TestResponse:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        PAGE,
        data={
            "csrf_token": csrf_token(client, PAGE),
            "kind": kind,
            "file_format": file_format,
            "on_conflict": on_conflict,
            "file": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def ticket_on(report: TestResponse) -> str:
    match = TICKET_PATTERN.search(report.text)
    assert match is not None, report.text
    return match.group(1)


def confirm(client: FlaskClient, report: TestResponse, ticket: str | None = None) -> TestResponse:
    """Press "Confirm import" on a report page (optionally with another ticket)."""
    token = CSRF_PATTERN.search(report.text)
    assert token is not None
    return client.post(
        f"{PAGE}/confirm",
        data={"csrf_token": token.group(1), "ticket": ticket or ticket_on(report)},
    )


def stored_uploads(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def admin_client(client: FlaskClient) -> FlaskClient:
    UserFactory(username="boss", role="admin")
    log_in(client, "boss")
    return client


def test_an_upload_shows_the_dry_run_and_confirm_creates_the_users(
    admin_client: FlaskClient, session: Session
) -> None:
    report = upload(admin_client, USERS_CSV)
    assert report.status_code == 200
    assert "Check of the import" in report.text
    assert "<dt>Would be created</dt><dd>2</dd>" in report.text
    assert "Confirm import" in report.text
    assert count(session, User) == 1  # nothing written by the check

    done = confirm(admin_client, report)
    assert done.status_code == 200
    assert "Imported: 2 created, 0 updated, 0 skipped." in done.text
    assert "<dt>Created</dt><dd>2</dd>" in done.text
    assert "Confirm import" not in done.text
    session.expire_all()
    assert set(session.scalars(select(User.username))) == {"boss", "ann", "bob"}


def test_a_bad_row_is_listed_with_line_and_column_and_cannot_be_confirmed(
    admin_client: FlaskClient, session: Session
) -> None:
    report = upload(admin_client, USERS_CSV + "carol,not-an-email,Carol\n")
    assert report.status_code == 422
    row = re.search(r"<tr><td>4</td><td>email</td><td>([^<]+)</td></tr>", report.text)
    assert row is not None, report.text
    assert "<dt>Errors</dt><dd>1</dd>" in report.text
    assert "Confirm import" not in report.text
    assert 'name="ticket"' not in report.text
    assert count(session, User) == 1


def test_a_tampered_ticket_is_refused_and_writes_nothing(
    admin_client: FlaskClient, session: Session
) -> None:
    report = upload(admin_client, USERS_CSV)
    ticket = ticket_on(report)
    forged = ticket[:-2] + ("AA" if not ticket.endswith("AA") else "BB")
    refused = confirm(admin_client, report, forged)
    assert refused.status_code == 302
    assert refused.location == PAGE
    assert "This import cannot be confirmed" in admin_client.get(PAGE).text
    assert count(session, User) == 1


def test_a_ticket_only_works_for_the_admin_who_uploaded(
    app: Flask, admin_client: FlaskClient, session: Session
) -> None:
    report = upload(admin_client, USERS_CSV)
    UserFactory(username="deputy", role="admin")
    other = app.test_client()
    log_in(other, "deputy")
    page = other.get(PAGE)
    refused = confirm(other, page, ticket_on(report))
    assert refused.status_code == 302
    assert "This import cannot be confirmed" in other.get(PAGE).text
    assert count(session, User) == 2
    assert len(stored_uploads(app)) == 1  # still there for the admin who uploaded it


def test_an_expired_ticket_is_refused(
    admin_client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = upload(admin_client, USERS_CSV)
    monkeypatch.setattr(pending_imports, "MAX_AGE_SECONDS", -1)
    refused = confirm(admin_client, report)
    assert refused.status_code == 302
    assert "This import cannot be confirmed" in admin_client.get(PAGE).text
    assert count(session, User) == 1


def test_the_stored_upload_is_deleted_after_the_confirm_and_cannot_be_replayed(
    app: Flask, admin_client: FlaskClient, session: Session
) -> None:
    report = upload(admin_client, USERS_CSV)
    stored = stored_uploads(app)
    assert len(stored) == 1
    assert "people" not in stored[0].name  # a random name, never the uploader's
    confirm(admin_client, report)
    assert stored_uploads(app) == []
    again = confirm(admin_client, report)
    assert again.status_code == 302
    assert count(session, User) == 3


def test_a_ticket_redeemed_once_finds_no_file_the_second_time(
    app: Flask, admin_client: FlaskClient, session: Session
) -> None:
    ticket = ticket_on(upload(admin_client, USERS_CSV))
    admin_id = session.scalar(select(User.id).where(User.username == "boss"))
    assert admin_id is not None
    with app.test_request_context():
        first = pending_imports.redeem(ticket, user_id=admin_id)
        second = pending_imports.redeem(ticket, user_id=admin_id)
    assert first is not None
    assert first.path.is_file()
    assert second is None  # a confirmation sent twice at once imports the file once


def test_a_refused_file_is_not_kept(app: Flask, admin_client: FlaskClient) -> None:
    upload(admin_client, "username,email\nx,bad\n")
    assert stored_uploads(app) == []


def test_uploads_older_than_a_ticket_are_removed_by_the_next_upload(
    app: Flask, admin_client: FlaskClient
) -> None:
    upload(admin_client, USERS_CSV)
    [old] = stored_uploads(app)
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    upload(admin_client, USERS_CSV)
    remaining = stored_uploads(app)
    assert len(remaining) == 1
    assert old not in remaining


def test_the_format_comes_from_the_file_name_or_must_be_chosen(
    admin_client: FlaskClient,
) -> None:
    jsonl = '{"username": "ann", "email": "ann@example.org"}\n'
    assert "<dd>JSON Lines</dd>" in upload(admin_client, jsonl, "people.jsonl").text
    unknown = upload(admin_client, jsonl, "people.txt")
    assert unknown.status_code == 422
    assert "The format cannot be told from the file name" in unknown.text
    chosen = upload(admin_client, jsonl, "people.txt", file_format="jsonl")
    assert "<dt>Would be created</dt><dd>1</dd>" in chosen.text


def test_plain_users_get_403_and_anonymous_visitors_the_login_page(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    anonymous = app.test_client()
    for path in (PAGE, f"{PAGE}/export/users.csv"):
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert response.location.startswith("/login?next=")
    UserFactory(username="olena")
    log_in(client, "olena")
    assert client.get(PAGE).status_code == 403
    token = csrf_token(client, "/account")
    posted = client.post(
        PAGE,
        data={
            "csrf_token": token,
            "kind": "users",
            "file_format": "csv",
            "on_conflict": "error",
            "file": (io.BytesIO(USERS_CSV.encode()), "people.csv"),
        },
        content_type="multipart/form-data",
    )
    assert posted.status_code == 403
    confirmed = client.post(f"{PAGE}/confirm", data={"csrf_token": token, "ticket": "x"})
    assert confirmed.status_code == 403
    for kind in ("users", "items"):
        for fmt in ("csv", "json", "jsonl"):
            assert client.get(f"{PAGE}/export/{kind}.{fmt}").status_code == 403
    assert count(session, User) == 1
    assert stored_uploads(app) == []


def test_an_items_csv_download_is_an_attachment_that_imports_back(
    admin_client: FlaskClient, session: Session
) -> None:
    owner = UserFactory(username="ann")
    ItemFactory(owner=owner, title="Lamp", external_id="lamp-1")
    ItemFactory(owner=owner, title="=SUM(A1)", external_id="formula")
    download = admin_client.get(f"{PAGE}/export/items.csv")
    payload = download.get_data()
    download.close()
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    disposition = download.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="osnova-items-\d{8}\.csv"', disposition)
    assert download.headers["Cache-Control"] == "no-store"
    assert b"'=SUM(A1)" in payload

    again = upload(admin_client, payload, "items.csv", kind="items", on_conflict="skip")
    assert "<dt>Would be skipped</dt><dd>2</dd>" in again.text
    done = confirm(admin_client, again)
    assert "Imported: 0 created, 0 updated, 2 skipped." in done.text
    assert count(session, Item) == 2


def test_the_pages_link_to_each_other(admin_client: FlaskClient) -> None:
    assert f'href="{PAGE}"' in admin_client.get("/admin/users").text
    page = admin_client.get(PAGE).text
    assert 'href="/admin/users"' in page
    for fmt in ("csv", "json", "jsonl"):
        assert f'href="{PAGE}/export/users.{fmt}"' in page


def test_an_upload_over_the_size_limit_gets_the_413_page(admin_client: FlaskClient) -> None:
    huge = b"username,email\n" + b"x" * (17 * 1024 * 1024)
    fields = {"csrf_token": csrf_token(admin_client, PAGE), "kind": "users"}
    boundary, body = encode_multipart({**fields, "file": FileStorage(io.BytesIO(huge), "big.csv")})
    response = admin_client.post(
        PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"


def test_the_page_and_the_report_render_in_ukrainian(admin_client: FlaskClient) -> None:
    page = admin_client.get(PAGE, headers=UK)
    assert '<html lang="uk">' in page.text
    assert "Імпорт і експорт" in page.text
    token = CSRF_PATTERN.search(page.text)
    assert token is not None
    report = admin_client.post(
        PAGE,
        data={
            "csrf_token": token.group(1),
            "kind": "users",
            "file_format": "auto",
            "on_conflict": "error",
            "file": (io.BytesIO(USERS_CSV.encode()), "people.csv"),
        },
        content_type="multipart/form-data",
        headers=UK,
    )
    assert "Підтвердити імпорт" in report.text


def test_an_error_quoting_a_crafted_row_is_shown_escaped(admin_client: FlaskClient) -> None:
    crafted = "<script>alert(1)</script>"
    rows = f"title,external_id\nLamp,{crafted}\nChair,{crafted}\n"
    report = upload(admin_client, rows, "items.csv", kind="items")
    assert report.status_code == 422
    assert "is already on line 2 of this file" in report.text
    assert crafted not in report.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report.text
