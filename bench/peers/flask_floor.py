"""How fast Flask itself serves osnova's reads: the same statements through ``sqlite3``.

Served like Flask hello (``gunicorn -c deploy/gunicorn.conf.py --chdir bench/peers
flask_floor:app``, osnova's environment), on the database osnova serves. It answers the
first page, a search and the HTML list with the statements osnova sends for them (printed
by ``SQLALCHEMY_ECHO``), the same JSON fields and similar markup, and nothing else: no
framework extensions, no ORM, no input schema, no sessions, no deadlines.

With ``FLOOR_DUTIES=1`` it also does, through osnova's own code, the per-request work the
operations guide asks of every answer: an ``X-Request-ID``, a JSON log line, the Prometheus
multiprocess metrics, the security headers and the Host check. The two variants bound what
osnova's rows can reach on this machine: a row above the second would have to skip a duty.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from datetime import datetime
from typing import Any

import orjson
from flask import Flask, Response, g, render_template, request
from jinja2 import DictLoader

DUTIES = os.environ.get("FLOOR_DUTIES") == "1"
DATABASE = os.environ["OSNOVA_DATABASE_URL"].removeprefix("sqlite:///")
LISTED = (
    "SELECT items.id, items.title, items.description, items.is_public, items.image, "
    "items.created_at, items.updated_at, users.username, users.full_name "
    "FROM items JOIN users ON users.id = items.owner_id "
)
NEWEST = " ORDER BY items.created_at DESC, items.id DESC LIMIT ? OFFSET ?"
FIRST_PAGE = LISTED + "WHERE items.is_public IS 1 AND users.is_active IS 1" + NEWEST
MATCHES = "SELECT count(*) FROM (SELECT rowid FROM items_fts WHERE items_fts MATCH ? LIMIT ?)"
FOUND = (
    LISTED  # noqa: S608 - constant text; the word is a bound parameter
    + "WHERE (+ items.is_public) IS 1 AND users.is_active IS 1 AND items.id IN "
    "(SELECT items_fts.rowid FROM items_fts WHERE items_fts MATCH ?)" + NEWEST
)
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Items · osnova</title>
<link rel="stylesheet" href="/static/site.css"></head><body>
<header class="site-header"><nav class="nav"><a class="brand" href="{{ url_for('items_page') }}">
osnova</a><ul class="nav-links"><li><a href="{{ url_for('items_page') }}">Items</a></li>
<li><a href="/login">Sign in</a></li><li><a href="/register">Register</a></li></ul></nav>
</header><main class="content" id="content"><h1>Items</h1>
<form method="get" action="{{ url_for('items_page') }}" class="search-form" role="search">
<label for="q">Search</label><input type="search" id="q" name="q" value="{{ q }}">
<button type="submit" class="button">Search</button></form>
<ul class="item-list">{% for item in items %}
  <li class="item-card"><div class="item-body">
    <h3 class="item-title"><a href="{{ url_for('item_page', item_id=item.id) }}">
      {{ item.title }}</a></h3>
    <p class="item-description">{{ item.description }}</p>
    <p class="item-meta">by <a href="{{ url_for('user_page', username=item.owner) }}">
      {{ item.owner_name }}</a> · <time datetime="{{ item.created_at }}">
      {{ item.created_at[:10] }}</time></p>
  </div></li>{% endfor %}
</ul>{% if more %}<a href="?cursor={{ more }}">Next</a>{% endif %}</main></body></html>
"""

app = Flask(__name__)
app.jinja_loader = DictLoader({"items.html": PAGE})
connections = threading.local()


def rows(statement: str, *params: Any) -> list[Any]:
    connection = getattr(connections, "sqlite", None)
    if connection is None:
        connection = connections.sqlite = sqlite3.connect(DATABASE, check_same_thread=False)
    return connection.execute(statement, params).fetchall()


def stamp(text: str) -> str:
    return datetime.fromisoformat(text + "+00:00").isoformat().replace("+00:00", "Z")


def page(limit: int = 20) -> tuple[list[dict[str, Any]], str | None]:
    """The first page of public items, or of those matching ``q``."""
    query = request.args.get("q", "").strip()
    if query:
        word = '"' + query.replace('"', '""') + '"'
        found = rows(FOUND, word, limit + 1, 0) if rows(MATCHES, word, 100_000)[0][0] else []
    else:
        found = rows(FIRST_PAGE, limit + 1, 0)
    listed = [
        {
            "id": row[0],
            "title": row[1],
            "description": row[2],
            "is_public": bool(row[3]),
            "owner": row[7],
            "owner_name": row[8] or row[7],
            "created_at": stamp(row[5]),
            "updated_at": stamp(row[6]),
        }
        for row in found[:limit]
    ]
    more = f"{listed[-1]['created_at']}_{listed[-1]['id']}" if len(found) > limit else None
    return listed, more


@app.get("/api/v1/items")
def items_api() -> Response:
    limit = request.args.get("limit", 20, type=int)
    if not 1 <= limit <= 100:
        return Response(b'{"title":"Bad limit"}', 422, mimetype="application/problem+json")
    listed, more = page(limit)
    for item in listed:
        del item["owner_name"]
    return Response(
        orjson.dumps({"items": listed, "next_cursor": more}), mimetype="application/json"
    )


@app.get("/items")
def items_page() -> str:
    listed, more = page()
    return render_template("items.html", items=listed, more=more, q=request.args.get("q", ""))


@app.get("/items/<int:item_id>")
def item_page(item_id: int) -> str:
    return str(item_id)


@app.get("/user/<username>")
def user_page(username: str) -> str:
    return username


if DUTIES:
    from osnova import metrics
    from osnova.http.headers import HSTS, SECURITY_HEADERS, SecurityHeaders
    from osnova.logs import is_json_handler, json_handler
    from osnova.observability import _SANE_REQUEST_ID, REQUEST_ID_HEADER, _new_request_id

    root = logging.getLogger()
    if not any(is_json_handler(handler) for handler in root.handlers):
        root.addHandler(json_handler())
    root.setLevel(logging.INFO)
    request_log = logging.getLogger("osnova.request")
    app.config["TRUSTED_HOSTS"] = ["127.0.0.1"]

    @app.before_request
    def start_request() -> None:
        request.host  # noqa: B018 - the Host check (400 for an untrusted host), as osnova's
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else _new_request_id()
        g.started = time.perf_counter()
        metrics.IN_FLIGHT.inc()
        metrics.DB_CHECKED_OUT.inc()  # osnova counts its pool's checkout and return

    @app.after_request
    def finish_request(response: Response) -> Response:
        duration = time.perf_counter() - g.started
        response.headers[REQUEST_ID_HEADER] = g.request_id
        endpoint, method = request.endpoint or "unmatched", request.method
        metrics.REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
        metrics.LATENCY.labels(endpoint, method).observe(duration)
        request_log.info(
            "request",
            extra={
                "request_id": g.request_id,
                "method": method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 2),
                "user_id": None,
                "remote_addr": request.remote_addr,
            },
        )
        return response

    @app.teardown_request
    def leave(_error: BaseException | None) -> None:
        metrics.DB_CHECKED_OUT.dec()
        metrics.IN_FLIGHT.dec()

    def with_security_headers(wsgi: Any) -> Any:
        return SecurityHeaders(wsgi, (*SECURITY_HEADERS, HSTS))

    app.wsgi_app = with_security_headers(app.wsgi_app)  # type: ignore[method-assign]
