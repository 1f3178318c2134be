"""The admin console as an admin and a moderator use it: what they see and what they change."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.database import utcnow
from osnova.models import ApiToken, AuditEvent, ImportJob, Item, User
from osnova.services.transfer import ImportReport, OnConflict
from tests.support.clients import bearer, csrf_token, log_in, post_form, token_for
from tests.support.factories import ItemFactory, UserFactory

NEXT_LINK = re.compile(r'href="([^"]*cursor=[^"]*)" rel="next"')


@pytest.fixture
def admin(client: FlaskClient) -> User:
    boss = UserFactory(username="boss", role="admin")
    log_in(client, "boss")
    return boss


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(session.scalars(query))


def follow_pages(client: FlaskClient, url: str, row: re.Pattern[str]) -> list[str]:
    """Every row matched by ``row`` on the first page and the pages its next links lead to."""
    found: list[str] = []
    while url:
        page = client.get(url)
        assert page.status_code == 200, url
        found += row.findall(page.text)
        link = NEXT_LINK.search(page.text)
        url = link.group(1).replace("&amp;", "&") if link else ""
    return found


def test_the_dashboard_counts_and_draws_thirty_days(
    client: FlaskClient, session: Session, admin: User
) -> None:
    UserFactory(username="newcomer")
    for n in range(3):
        ItemFactory(is_public=n == 0)
    page = client.get("/admin/")
    assert page.status_code == 200
    text = page.text
    assert re.search(r"Accounts</dt><dd><a [^>]*>5</a>", text)  # boss, newcomer, 3 owners
    assert re.search(r"Public items</dt><dd><a [^>]*>1</a>", text)
    assert re.search(r"Sign-ins today</dt><dd><a [^>]*>1</a>", text)  # the admin's own
    assert "Counted at " in text
    svg = text[text.index("<svg") : text.rindex("</svg>")]
    assert 'viewBox="0 0 360 190"' in svg
    assert svg.count('class="chart-bar series-sign-ups"') == 30
    assert "style=" not in text
    assert "<script" not in text
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]


def test_the_dashboard_speaks_ukrainian(client: FlaskClient, admin: User) -> None:
    text = client.get("/admin/", headers={"Accept-Language": "uk"}).text
    assert "Реєстрації за день" in text
    assert "Нові речі за день" in text
    day = utcnow().date()
    months = [
        "січ",
        "лют",
        "бер",
        "квіт",
        "трав",
        "черв",
        "лип",
        "серп",
        "вер",
        "жовт",
        "лист",
        "груд",
    ]
    assert f"{day.day} {months[day.month - 1]}" in text  # the chart's last day label


def test_admin_filters_sorts_and_pages_through_items(
    client: FlaskClient, session: Session, admin: User
) -> None:
    olena = UserFactory(username="olena")
    mine = [ItemFactory(owner=olena, title=f"book {n:02d}", is_public=n % 2 == 0) for n in range(7)]
    ItemFactory(title="book of someone else")
    row = re.compile(r'<a href="/items/(\d+)" id=')
    listed = follow_pages(client, "/admin/items?owner=olena&sort=title", row)
    assert listed == [str(item.id) for item in mine]  # 50 a page: one page
    private = follow_pages(client, "/admin/items?owner=olena&visibility=private", row)
    assert sorted(private) == sorted(str(i.id) for i in mine if not i.is_public)
    for plain in ("/admin/items", "/admin/tokens", "/admin/audit", "/admin/transfer/history"):
        assert 'class="errors"' not in client.get(plain).text, plain
    bad_date = client.get("/admin/items?created_from=not-a-date")
    assert bad_date.status_code == 200
    assert 'id="created_from-errors"' in bad_date.text
    assert client.get("/admin/items?cursor=forged").status_code == 422


def test_the_next_page_keeps_the_filters(client: FlaskClient, admin: User) -> None:
    owner = UserFactory(username="olena")
    for n in range(55):
        ItemFactory(owner=owner, title=f"thing {n}")
    ItemFactory(title="not hers")
    page = client.get("/admin/items?owner=olena&sort=oldest").text
    link = NEXT_LINK.search(page)
    assert link is not None
    assert "owner=olena" in link.group(1)
    assert "sort=oldest" in link.group(1)
    row = re.compile(r'<a href="/items/(\d+)" id=')
    assert len(follow_pages(client, "/admin/items?owner=olena&sort=oldest", row)) == 55


def test_unpublish_one_item_is_audited(client: FlaskClient, session: Session, admin: User) -> None:
    item = ItemFactory(is_public=True)
    back = "/admin/items?visibility=public"
    response = post_form(
        client, f"/admin/items/{item.id}/unpublish", {"next": back}, form_page="/admin/items"
    )
    assert response.status_code == 302
    assert response.location == back
    session.expire_all()
    assert session.get(Item, item.id).is_public is False  # type: ignore[union-attr]
    (event,) = events(session, "item.unpublish")
    assert (event.actor_id, event.target, event.remote_addr) == (
        admin.id,
        f"item:{item.id}",
        "127.0.0.1",
    )


def test_bulk_unpublish_asks_once_then_changes(
    client: FlaskClient, session: Session, admin: User
) -> None:
    chosen = [ItemFactory(is_public=True, title=f"chosen {n}") for n in range(3)]
    kept = ItemFactory(is_public=True, title="left alone")
    token = csrf_token(client, "/admin/items")
    ids = [str(item.id) for item in chosen]
    asked = client.post(
        "/admin/items/unpublish", data={"csrf_token": token, "item": ids, "next": "/admin/items"}
    )
    assert asked.status_code == 200
    assert "chosen 2" in asked.text
    assert "left alone" not in asked.text
    assert events(session, "item.unpublish") == []
    confirm_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', asked.text)
    assert confirm_token is not None
    done = client.post(
        "/admin/items/unpublish",
        data={"csrf_token": confirm_token.group(1), "item": ids, "confirmed": "yes"},
    )
    assert done.status_code == 302
    assert "3 items are private now." in client.get(done.location).text
    session.expire_all()
    assert [session.get(Item, i.id).is_public for i in chosen] == [False] * 3  # type: ignore[union-attr]
    assert session.get(Item, kept.id).is_public is True  # type: ignore[union-attr]
    assert sorted(str(e.target) for e in events(session, "item.unpublish")) == sorted(
        f"item:{i}" for i in ids
    )


def test_delete_names_the_item_first_and_is_audited(
    client: FlaskClient, session: Session, admin: User
) -> None:
    item_id = ItemFactory(title="Doomed lamp").id
    asked = client.get(f"/admin/items/{item_id}/delete?next=/admin/items%3Fq%3Dlamp")
    assert "Doomed lamp" in asked.text
    assert session.get(Item, item_id) is not None
    done = post_form(
        client,
        f"/admin/items/{item_id}/delete",
        {"next": "/admin/items?q=lamp"},
        form_page=f"/admin/items/{item_id}/delete",
    )
    assert done.location == "/admin/items?q=lamp"
    assert session.scalar(select(Item.id).where(Item.id == item_id)) is None
    (event,) = events(session, "item.delete")
    assert (event.actor_id, event.target, event.remote_addr) == (
        admin.id,
        f"item:{item_id}",
        "127.0.0.1",
    )


def test_a_foreign_next_address_is_not_followed(client: FlaskClient, admin: User) -> None:
    item = ItemFactory()
    asked = client.get(f"/admin/items/{item.id}/delete?next=javascript:alert(1)")
    assert 'href="javascript:' not in asked.text
    assert 'value="javascript:' not in asked.text
    done = post_form(
        client,
        f"/admin/items/{item.id}/unpublish",
        {"next": "https://evil.example/"},
        form_page="/admin/items",
    )
    assert done.location == "/admin/items"


def test_a_moderator_moderates_items(client: FlaskClient, session: Session) -> None:
    mod = UserFactory(username="mod", role="moderator")
    item = ItemFactory(is_public=True, title="Shared thing")
    log_in(client, "mod")
    assert "Shared thing" in client.get("/admin/items").text
    post_form(client, f"/admin/items/{item.id}/unpublish", {}, form_page="/admin/items")
    (event,) = events(session, "item.unpublish")
    assert event.actor_id == mod.id
    assert client.get("/admin/").status_code == 403


def test_admin_lists_and_revokes_tokens_of_every_account(
    client: FlaskClient, session: Session, admin: User, app: object
) -> None:
    olena, taras = UserFactory(username="olena"), UserFactory(username="taras")
    olena_secret = token_for(olena)
    token_for(olena)
    taras_secret = token_for(taras)
    listed = client.get("/admin/tokens").text
    assert "olena" in listed
    assert "taras" in listed
    assert "olena" not in client.get("/admin/tokens?user=taras").text
    olena_token = session.scalars(select(ApiToken).where(ApiToken.user_id == olena.id)).first()
    assert olena_token is not None
    post_form(
        client,
        f"/admin/tokens/{taras_token_id(session, taras)}/revoke",
        {},
        form_page="/admin/tokens",
    )
    assert client.get("/api/v1/users/me", headers=bearer(taras_secret)).status_code == 401
    (revoked,) = events(session, "token.revoke")
    assert revoked.actor_id == admin.id
    done = post_form(
        client, f"/admin/tokens/users/{olena.id}/revoke-all", {}, form_page="/admin/tokens"
    )
    assert "2 tokens of olena are revoked." in client.get(done.location).text
    assert client.get("/api/v1/users/me", headers=bearer(olena_secret)).status_code == 401
    (all_of,) = events(session, "token.revoke_all")
    assert (all_of.actor_id, all_of.target, all_of.details) == (
        admin.id,
        f"user:{olena.id}",
        {"revoked": 2},
    )
    revoked_page = client.get("/admin/tokens?state=revoked").text
    assert revoked_page.count(">revoked</span>") == 3
    assert "Revoke</button>" not in revoked_page


def taras_token_id(session: Session, user: User) -> int:
    found = session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)).one()
    return int(found)


@pytest.fixture
def trail(session: Session, admin: User) -> list[AuditEvent]:
    olena = UserFactory(username="olena")
    start = datetime(2026, 11, 1, 12, tzinfo=UTC)
    made = []
    for n in range(60):
        made.append(
            AuditEvent(
                at=start + timedelta(hours=n * 6),
                action=("login.failure", "import.items", "item.delete")[n % 3],
                actor_id=olena.id if n % 2 else None,
                target=f"item:{n}",
                remote_addr="192.0.2.7",
                details={"login": '=HYPERLINK("x")'} if n == 0 else {"n": n},
            )
        )
    session.add_all(made)
    session.commit()
    return made


def test_the_audit_trail_filters_and_pages_newest_first(
    client: FlaskClient, trail: list[AuditEvent]
) -> None:
    row = re.compile(r"<code>(item:\d+)</code>")
    everything = follow_pages(client, "/admin/audit?since=2026-11-01&until=2026-11-30", row)
    newest_first = sorted(trail, key=lambda e: e.at, reverse=True)
    assert everything == [e.target for e in newest_first]  # two pages of 50
    imports = follow_pages(client, "/admin/audit?action=import.*&actor=olena", row)
    assert imports == [
        e.target for e in newest_first if e.action == "import.items" and e.actor_id is not None
    ]
    assert follow_pages(client, "/admin/audit?target=item:7", row) == ["item:7"]
    assert follow_pages(client, "/admin/audit?actor=nobody", row) == []
    one_day = follow_pages(client, "/admin/audit?since=2026-11-02&until=2026-11-02", row)
    assert len(one_day) == 4


def test_the_audit_trail_downloads_as_escaped_csv(
    client: FlaskClient, session: Session, trail: list[AuditEvent], admin: User
) -> None:
    response = client.get("/admin/audit/export.csv?target=item:0")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "id",
        "at",
        "action",
        "actor",
        "actor_id",
        "target",
        "remote_addr",
        "details",
    ]
    assert len(rows) == 2
    assert rows[1][7] == '{"login":"=HYPERLINK(\\"x\\")"}'  # a JSON object: starts with {
    everything = client.get("/admin/audit/export.csv?action=login.failure").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(everything)))) == 1 + 20
    (export,) = events(session, "export.audit")[:1]
    assert (export.actor_id, export.details) == (admin.id, {"target": "item:0"})


def test_formula_cells_are_escaped_in_the_download(
    client: FlaskClient, session: Session, admin: User
) -> None:
    session.add(AuditEvent(action="login.failure", target="=cmd|' /C calc'!A0", details={}))
    session.commit()
    text = client.get("/admin/audit/export.csv?action=login.failure").get_data(as_text=True)
    (row,) = list(csv.reader(io.StringIO(text)))[1:]
    assert row[5] == "'=cmd|' /C calc'!A0"


def test_import_history_links_each_job_to_its_report(
    client: FlaskClient, session: Session, admin: User
) -> None:
    now = utcnow()
    for n, status in enumerate(["done", "failed", "queued"]):
        report = ImportReport(
            kind="items", format="csv", on_conflict=OnConflict.ERROR, dry_run=False
        )
        if status == "failed":
            report.add_error(2, "title", "too long")
        session.add(
            ImportJob(
                actor_id=admin.id,
                kind="items",
                format="csv",
                on_conflict="error",
                status=status,
                rows_done=10 * n,
                attempts=1,
                created_at=now - timedelta(hours=n),
                report=None if status == "queued" else report.to_dict(),
            )
        )
    session.commit()
    jobs = session.scalars(select(ImportJob).order_by(ImportJob.id)).all()
    page = client.get("/admin/transfer/history").text
    assert [int(i) for i in re.findall(r'href="/admin/transfer/jobs/(\d+)"', page)] == [
        job.id for job in jobs
    ]
    failed = client.get("/admin/transfer/history?status=failed").text
    assert re.findall(r'href="/admin/transfer/jobs/(\d+)"', failed) == [str(jobs[1].id)]
    assert "Import report" in client.get(f"/admin/transfer/jobs/{jobs[1].id}").text
