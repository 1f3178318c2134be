"""``osnova check --deploy``: unsafe settings, and every configured service that does not answer.

The services are real: PostgreSQL, MariaDB and Redis from the test URLs, an SMTP sink, a
closed port on loopback (refused at once) and a port that accepts but never speaks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.environment import free_port, require_env
from tests.support.mail import SmtpSink

OSNOVA = str(Path(sys.executable).parent / "osnova")
PASSWORD = "pw-that-must-not-show"  # made up, to look for in the output
HARDENED = {
    "OSNOVA_ENV": "production",
    "OSNOVA_SECRET_KEY": "k" * 16 + "a-real-random-looking-secret-9f8e7d6c",
    "OSNOVA_ALLOWED_HOSTS": "catalogue.example.org",
    "OSNOVA_BASE_URL": "https://catalogue.example.org",
}
DRIVERS = {"psycopg": "postgresql+psycopg", "pymysql": "mysql+pymysql"}
SERVICE_NAMES = {"psycopg": "PostgreSQL", "pymysql": "MariaDB"}


def run_deploy_check(tmp_path: Path, **values: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSNOVA_")}
    env |= {
        "OSNOVA_INSTANCE_DIR": str(tmp_path / "instance"),
        "OSNOVA_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }
    return subprocess.run(
        [OSNOVA, "check", "--deploy"],
        env=env | values,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def findings(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Each finding line as setting → problem (one line each, by construction)."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("OSNOVA_")]
    return dict(line.split(": ", 1) for line in lines)


def test_check_deploy_lists_every_unsafe_setting_of_a_development_setup(tmp_path: Path) -> None:
    result = run_deploy_check(tmp_path, OSNOVA_DEBUG="1")
    assert result.returncode == 1
    assert {
        "OSNOVA_SECRET_KEY",
        "OSNOVA_DEBUG",
        "OSNOVA_ENV",
        "OSNOVA_ALLOWED_HOSTS",
        "OSNOVA_DATABASE_URL",
    } <= set(findings(result))


def test_check_deploy_reports_a_missing_sqlite_file_without_creating_it(tmp_path: Path) -> None:
    result = run_deploy_check(tmp_path)
    assert "SQLite at sqlite:///" in result.stderr
    assert "does not answer: unable to open database file" in result.stderr
    assert not (tmp_path / "cli.sqlite3").exists()


def test_check_deploy_passes_a_hardened_configuration_whose_services_answer(
    tmp_path: Path, backend: str, database_url: str, smtp_sink: SmtpSink
) -> None:
    result = run_deploy_check(
        tmp_path,
        **HARDENED,
        OSNOVA_DATABASE_URL=database_url,
        OSNOVA_REDIS_URL=require_env("OSNOVA_TEST_REDIS_URL"),
        OSNOVA_SMTP_URL=smtp_sink.url,
    )
    if backend == "sqlite":  # it answers, but is no production database
        assert findings(result) == {
            "OSNOVA_DATABASE_URL": "is SQLite: use PostgreSQL or MariaDB in production"
        }
        assert result.returncode == 1
    else:
        assert result.stderr == ""
        assert result.returncode == 0
        assert "no problems found" in result.stdout
    assert smtp_sink.messages == []  # a greeting and NOOP, no mail


def unreachable(driver: str, port: int) -> dict[str, str]:
    """Every service at ``port`` on loopback, each URL with a password."""
    return {
        **HARDENED,
        "OSNOVA_DATABASE_URL": f"{DRIVERS[driver]}://osnova:{PASSWORD}@127.0.0.1:{port}/osnova",
        "OSNOVA_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:{port}/0",
        "OSNOVA_SMTP_URL": f"smtp://mailer:{PASSWORD}@127.0.0.1:{port}",
    }


def assert_each_service_reported(
    result: subprocess.CompletedProcess[str], driver: str, port: int
) -> None:
    found = findings(result)
    assert result.returncode == 1
    assert found["OSNOVA_DATABASE_URL"].startswith(
        f"{SERVICE_NAMES[driver]} at {DRIVERS[driver]}://osnova:***@127.0.0.1:{port}/osnova "
        "does not answer: "
    )
    assert found["OSNOVA_REDIS_URL"].startswith(
        f"Redis at redis://:***@127.0.0.1:{port}/0 does not answer: "
    )
    assert found["OSNOVA_SMTP_URL"].startswith(
        f"SMTP server at smtp://mailer:***@127.0.0.1:{port} does not answer: "
    )
    assert PASSWORD not in result.stdout + result.stderr
    assert "no problems found" not in result.stdout


@pytest.mark.parametrize("driver", DRIVERS)
def test_check_deploy_names_each_service_on_a_closed_port(tmp_path: Path, driver: str) -> None:
    port = free_port()  # bound and released: nothing listens there
    result = run_deploy_check(tmp_path, **unreachable(driver, port))
    assert_each_service_reported(result, driver, port)
    assert "refused" in findings(result)["OSNOVA_REDIS_URL"].lower()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections the kernel accepts but no program ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize("driver", DRIVERS)
def test_check_deploy_gives_up_on_services_that_never_answer(
    tmp_path: Path, driver: str, silent_port: int
) -> None:
    started = time.monotonic()
    result = run_deploy_check(tmp_path, **unreachable(driver, silent_port))
    # A few seconds per check, side by side; without timeouts it would wait forever.
    assert time.monotonic() - started < 60
    assert_each_service_reported(result, driver, silent_port)


@pytest.mark.parametrize(
    ("variable", "service"),
    [("OSNOVA_TEST_POSTGRES_URL", "PostgreSQL"), ("OSNOVA_TEST_MARIADB_URL", "MariaDB")],
)
def test_check_deploy_reports_a_server_that_has_no_such_database(
    tmp_path: Path, variable: str, service: str
) -> None:
    missing = make_url(require_env(variable)).set(database="osnova_no_such_database")
    result = run_deploy_check(
        tmp_path, **HARDENED, OSNOVA_DATABASE_URL=missing.render_as_string(hide_password=False)
    )
    problem = findings(result)["OSNOVA_DATABASE_URL"]
    assert problem.startswith(f"{service} at ")
    assert "osnova_no_such_database" in problem
    assert result.returncode == 1
