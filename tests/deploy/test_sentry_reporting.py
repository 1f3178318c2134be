"""Errors reach Sentry with their request id and without personal data."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.sentry import SentrySink
from tests.support.servers import Gunicorn, fetch, osnova_env


def test_an_error_reaches_sentry_with_its_request_id_and_no_secrets(
    tmp_path: Path, sentry_sink: SentrySink
) -> None:
    port = sentry_sink.server_address[1]
    # The database was never migrated: listing items fails for real, with a 500.
    env = osnova_env(
        tmp_path,
        OSNOVA_ENV="production",
        OSNOVA_ALLOWED_HOSTS="127.0.0.1",
        OSNOVA_BASE_URL="https://catalogue.example.org",
        OSNOVA_SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1",
    )
    app = Gunicorn(tmp_path, env, workers=1).start()
    try:
        answer = fetch(
            f"{app.url}/items",
            headers={
                "X-Request-ID": "sentry-check-42",
                "Cookie": "session=secret-session-cookie",
                "Authorization": "Bearer secret-api-token",
            },
        )
        assert answer.status == 500
        assert b"sentry-check-42" in answer.body  # the error page shows the request id
        received = sentry_sink.wait_for_envelopes()
    finally:
        app.stop()
    assert b"sentry-check-42" in received
    assert b"OperationalError" in received
    assert b"secret-session-cookie" not in received
    assert b"secret-api-token" not in received


def test_a_password_being_checked_never_reaches_sentry(
    tmp_path: Path, sentry_sink: SentrySink
) -> None:
    """The token endpoint fails (no tables) while it holds the password in its locals."""
    port = sentry_sink.server_address[1]
    env = osnova_env(tmp_path, OSNOVA_SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1")
    app = Gunicorn(tmp_path, env, workers=1).start()
    password = "hunter2-but-much-longer-and-secret"
    try:
        answer = fetch(
            f"{app.url}/api/v1/auth/tokens",
            method="POST",
            body=json.dumps({"username": "olena", "password": password}).encode(),
            headers={"Content-Type": "application/json", "X-Request-ID": "sentry-check-43"},
        )
        assert answer.status == 500
        received = sentry_sink.wait_for_envelopes()
    finally:
        app.stop()
    assert b"sentry-check-43" in received
    assert password.encode() not in received
    assert b"olena" not in received  # nothing of the body
