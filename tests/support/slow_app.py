"""osnova plus one route whose query runs for seconds, for the deadline tests' live server.

``gunicorn … 'tests.support.slow_app:build()'`` serves it (importing this module builds
nothing); the product has no such route. The route first writes a row, so a test can see
that a request cut short keeps nothing; ``?wait=0.5`` spends that long in Python first (the
statement then starts late).
"""

from __future__ import annotations

import time

from flask import Flask, request
from sqlalchemy import text

from osnova.app import create_app
from osnova.extensions import db
from osnova.models import User

# Each runs for seconds: 5 s of sleep, or a count to a billion on SQLite (minutes).
SLOW_QUERIES = {
    "postgresql": "SELECT pg_sleep(5)",
    "mysql": "SELECT SLEEP(5)",
    "sqlite": (
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000)"
        " SELECT count(*) FROM c"
    ),
}
WRITTEN_USERNAME = "written-before-the-slow-query"


def build() -> Flask:
    """The app from the environment's settings, and the slow route."""
    app = create_app()
    app.add_url_rule("/slow-query", view_func=slow_query)
    return app


def slow_query() -> str:
    db.session.add(User(username=WRITTEN_USERNAME, email=f"{WRITTEN_USERNAME}@example.org"))
    db.session.flush()
    time.sleep(min(float(request.args.get("wait", "0")), 5))
    db.session.execute(text(SLOW_QUERIES[db.engine.dialect.name]))
    db.session.commit()
    return "finished"
