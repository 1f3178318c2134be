"""Everything gunicorn and the app write is a JSON line, and a 500 is logged once.

An operator's log reader parses each line as JSON: the master's messages, the workers'
errors, the access log and the app's records alike. A failing request leaves one error
record with its traceback (and its request id), not one per layer that saw it.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.support.servers import Gunicorn, fetch, osnova_env, wait_until_up

PRODUCTION = {
    "OSNOVA_ENV": "production",
    "OSNOVA_ALLOWED_HOSTS": "127.0.0.1",
    "OSNOVA_BASE_URL": "https://catalogue.example.org",
}
REQUEST_ID = "log-check-500"


@pytest.fixture(scope="module", params=["production", "testing"])
def logged_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Gunicorn:
    """A gunicorn that answered a 500, a 200 and a 404, was reloaded, and stopped.

    The database is never migrated, so listing items fails for real. In production the app
    answers the 500 itself; the testing profile lets the exception reach gunicorn, which
    then answers and logs it.
    """
    workdir = tmp_path_factory.mktemp(f"logs-{request.param}")
    env = osnova_env(workdir, **(PRODUCTION if request.param == "production" else {}))
    server = Gunicorn(workdir, env, workers=1).start()
    try:
        failed = fetch(f"{server.url}/items", headers={"X-Request-ID": REQUEST_ID})
        assert failed.status == 500
        assert fetch(f"{server.url}/healthz").status == 200
        assert fetch(f"{server.url}/nothing-here").status == 404
        reload_and_wait(server)
        assert fetch(f"{server.url}/healthz").status == 200  # a reloaded worker answers
    finally:
        server.stop()
    return server


def reload_and_wait(server: Gunicorn, timeout: float = 90) -> None:
    """HUP: the master logs the reload, and new workers (which load the app) replace the
    old ones; wait until none of the old ones is left."""
    old = server.worker_pids()
    server.signal(signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while server.worker_pids() & old or not server.worker_pids():
        assert time.monotonic() < deadline, "the old workers did not leave after a reload"
        time.sleep(0.2)
    wait_until_up(f"{server.url}/healthz", timeout=timeout)


def test_every_line_on_stderr_and_stdout_is_a_json_record(logged_run: Gunicorn) -> None:
    errors, access = logged_run.app_log(), logged_run.access_log()  # each fails on plain text
    loggers = {record["logger"] for record in errors}
    assert {"gunicorn.error", "osnova.request"} <= loggers
    messages = [str(record["message"]) for record in errors]
    assert any(m.startswith("Listening at") for m in messages)
    assert any(m.startswith("Shutting down") for m in messages)
    assert {record["logger"] for record in access} == {"gunicorn.access"}
    statuses = {(record["path"], record["status"]) for record in access}
    assert statuses == {("/healthz", 200), ("/items", 500), ("/nothing-here", 404)}
    assert all({"time", "level", "pid"} <= set(record) for record in errors + access)


def test_a_500_is_one_error_record_with_the_traceback_and_request_id(
    logged_run: Gunicorn,
) -> None:
    records = logged_run.app_log() + logged_run.access_log()
    with_traceback = [r for r in records if "Traceback (most recent call last)" in str(r)]
    assert len(with_traceback) == 1, with_traceback
    error = with_traceback[0]
    assert error["level"] == "ERROR"
    assert "no such table: items" in str(error["exc_info"])
    assert [r for r in records if r["level"] == "ERROR"] == [error]
    if error["logger"] != "gunicorn.error":  # the app answered: the record has its id
        assert error["request_id"] == REQUEST_ID
