"""Imports over the HTTP row cap run in the job consumer: 202, a status that moves, the same
table as the CLI makes, and every row exactly once even when the consumer is killed."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from osnova.models import ImportJob, Item
from tests.support.clients import assert_problem, bearer, csrf_token, log_in, token_for
from tests.support.factories import UserFactory
from tests.support.jobs import Consumer, queued_settings

CAP = 100


def _items_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("title,description,is_public,external_id\n")
        for n in range(rows):
            out.write(f"Map {n},A printed map number {n},{'true' if n % 2 else 'false'},ext-{n}\n")
    return path


def _json(response: TestResponse) -> dict[str, Any]:
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def _submit(client: FlaskClient, headers: dict[str, str], path: Path) -> dict[str, Any]:
    response = client.post(
        "/api/v1/imports/items?format=csv",
        data=path.read_bytes(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 202, response.text
    body = _json(response)
    assert response.headers["Location"] == f"/api/v1/imports/jobs/{body['id']}"
    assert body["status"] == "queued"
    return body


def _poll(
    client: FlaskClient,
    headers: dict[str, str],
    job_id: int,
    until: Callable[[dict[str, Any]], bool],
    timeout: float = 240,
) -> list[dict[str, Any]]:
    """Every status seen until ``until`` holds (or the test fails)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/imports/jobs/{job_id}", headers=headers)
        assert response.status_code == 200
        seen.append(_json(response))
        if until(seen[-1]):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting; last status {seen[-1] if seen else None}")


def _table(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    rows = session.execute(
        select(Item.owner_id, Item.title, Item.description, Item.is_public, Item.external_id)
    ).all()
    return sorted(tuple(row) for row in rows)


def test_an_import_over_the_cap_is_queued_runs_and_gives_the_cli_s_table(
    make_app: Callable[..., Flask],
    queue_storage: str,
    consumer_for: Callable[[Flask], Consumer],
    session: Session,
    tmp_path: Path,
) -> None:
    rows = 30_000
    app = make_app(**queued_settings(queue_storage, import_http_max_rows=CAP))
    client = app.test_client()
    headers = bearer(token_for(UserFactory(username="olena")))
    session.commit()
    csv_file = _items_csv(tmp_path / "items.csv", rows)

    small = client.post(
        "/api/v1/imports/items?format=csv",
        data=_items_csv(tmp_path / "small.csv", CAP).read_bytes(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert small.status_code == 200  # at the cap: still answered in the request
    session.execute(delete(Item))
    session.commit()

    job = _submit(client, headers, csv_file)
    consumer_for(app).start()
    seen = _poll(client, headers, job["id"], lambda status: status["status"] == "done")
    running = [status["rows_done"] for status in seen if status["status"] == "running"]
    assert len({count for count in running if count > 0}) >= 2, running  # it moved
    assert running == sorted(running)
    done = seen[-1]
    assert done["rows_done"] == rows
    assert done["report"]["ok"]
    assert done["report"]["created"] == rows
    via_job = _table(session)
    assert len(via_job) == rows

    session.execute(delete(Item))
    session.commit()
    result = app.test_cli_runner().invoke(args=["import", "items", str(csv_file), "--as", "olena"])
    assert result.exit_code == 0, result.output
    assert _table(session) == via_job


def test_a_consumer_killed_mid_import_leaves_every_row_exactly_once(
    make_app: Callable[..., Flask],
    queue_storage: str,
    consumer_for: Callable[[Flask], Consumer],
    session: Session,
    tmp_path: Path,
) -> None:
    rows = 40_000
    app = make_app(**queued_settings(queue_storage, import_http_max_rows=CAP))
    client = app.test_client()
    headers = bearer(token_for(UserFactory(username="olena")))
    session.commit()
    job = _submit(client, headers, _items_csv(tmp_path / "items.csv", rows))

    consumer = consumer_for(app).start()
    _poll(
        client,
        headers,
        job["id"],
        lambda status: status["status"] == "running" and status["rows_done"] > 0,
    )
    consumer.kill()
    assert session.scalar(select(func.count()).select_from(Item)) == 0  # rolled back

    consumer.start()
    done = _poll(client, headers, job["id"], lambda status: status["status"] == "done")[-1]
    assert done["attempts"] == 2
    assert done["report"]["created"] == rows
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Item)) == rows
    assert session.scalar(select(func.count(func.distinct(Item.external_id)))) == rows
    leftover = session.scalar(select(ImportJob.spool_name).where(ImportJob.id == job["id"]))
    assert leftover is None


def test_an_ordinary_account_gets_three_imports_a_minute(
    make_app: Callable[..., Flask], session: Session, tmp_path: Path
) -> None:
    app = make_app(imports_per_account="3 per minute")
    client = app.test_client()
    olena = bearer(token_for(UserFactory(username="olena")))
    taras = bearer(token_for(UserFactory(username="taras")))
    session.commit()
    body = _items_csv(tmp_path / "few.csv", 2).read_bytes()

    def post(headers: dict[str, str]) -> int:
        return client.post(
            "/api/v1/imports/items?format=csv&dry_run=true",
            data=body,
            headers={**headers, "Content-Type": "text/csv"},
        ).status_code

    assert [post(olena) for _ in range(3)] == [200, 200, 200]
    refused = client.post(
        "/api/v1/imports/items?format=csv",
        data=body,
        headers={**olena, "Content-Type": "text/csv"},
    )
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) > 0
    assert post(taras) == 200  # counted per account
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_a_job_is_visible_to_its_account_and_admins_only(
    make_app: Callable[..., Flask], queue_storage: str, session: Session, tmp_path: Path
) -> None:
    app = make_app(**queued_settings(queue_storage, import_http_max_rows=CAP))
    client = app.test_client()
    olena = bearer(token_for(UserFactory(username="olena")))
    taras = bearer(token_for(UserFactory(username="taras")))
    admin = bearer(token_for(UserFactory(username="boss", role="admin")))
    session.commit()
    job = _submit(client, olena, _items_csv(tmp_path / "items.csv", CAP + 1))
    url = f"/api/v1/imports/jobs/{job['id']}"
    assert _json(client.get(url, headers=olena))["status"] == "queued"
    assert client.get(url, headers=admin).status_code == 200
    assert_problem(client.get(url, headers=taras), 404)
    assert_problem(client.get(url), 401)
    assert_problem(client.get("/api/v1/imports/jobs/999999", headers=olena), 404)
    refused = client.post(
        "/api/v1/imports/users?format=csv",
        data=b"username,email\n" + b"".join(b"u%d,u%d@example.org\n" % (n, n) for n in range(200)),
        headers={**olena, "Content-Type": "text/csv"},
    )
    assert_problem(refused, 403)  # refused before anything is queued
    assert session.scalar(select(func.count()).select_from(ImportJob)) == 1


def test_the_admin_page_follows_a_background_import_to_its_report(
    make_app: Callable[..., Flask],
    queue_storage: str,
    consumer_for: Callable[[Flask], Consumer],
    session: Session,
    tmp_path: Path,
) -> None:
    app = make_app(**queued_settings(queue_storage, import_http_max_rows_admin=5))
    client = app.test_client()
    UserFactory(username="boss", role="admin")
    session.commit()
    log_in(client, "boss")
    page = "/admin/transfer"
    uploaded = client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "kind": "items",
            "file_format": "auto",
            "on_conflict": "error",
            "file": (io.BytesIO(_items_csv(tmp_path / "items.csv", 12).read_bytes()), "items.csv"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    job_page = uploaded.headers["Location"]
    waiting = client.get(job_page)
    assert "Import in progress" in waiting.text
    assert '<meta http-equiv="refresh" content="2">' in waiting.text
    assert session.scalar(select(func.count()).select_from(Item)) == 0

    consumer_for(app).start()
    deadline = time.monotonic() + 60
    while "Import report" not in (report := client.get(job_page)).text:
        assert time.monotonic() < deadline, report.text
        time.sleep(0.1)
    assert "<dt>Created</dt><dd>12</dd>" in report.text
    assert "http-equiv" not in report.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Item)) == 12
