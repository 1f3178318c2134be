"""Whether each service the settings name answers: the database, Redis, the SMTP server.

``config.deployment_findings`` judges the settings alone and never touches the network;
this module dials out, for ``osnova check --deploy``: a deployment whose database is down
is not ready, however safe its settings. Each check gives up after a few seconds, and a
service that does not answer becomes a finding naming it and its URL, password hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from osnova.config import Finding, Settings
from osnova.database import normalise_url
from osnova.services.mail import connect_smtp

TIMEOUT_SECONDS = 3
DATABASE_NAMES = {"postgresql": "PostgreSQL", "mysql": "MariaDB", "sqlite": "SQLite"}


@dataclass(frozen=True)
class ServiceCheck:
    setting: str
    service: str
    url: str
    answer: Callable[[str], None]  # returns when the service answers, raises otherwise


def unreachable_services(settings: Settings) -> list[Finding]:
    """A finding for each configured service that does not answer; empty when all do.

    The checks run side by side, so silent services cost one timeout, not one each.
    """
    database_url = settings.resolved_database_url()
    backend = make_url(database_url).get_backend_name()
    checks = [
        ServiceCheck(
            "OSNOVA_DATABASE_URL", DATABASE_NAMES.get(backend, backend), database_url, select_one
        )
    ]
    if settings.redis_url:
        checks.append(ServiceCheck("OSNOVA_REDIS_URL", "Redis", settings.redis_url, ping_redis))
    if settings.smtp_url:
        checks.append(ServiceCheck("OSNOVA_SMTP_URL", "SMTP server", settings.smtp_url, greet_smtp))
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        outcomes = list(pool.map(_finding, checks))
    return [finding for finding in outcomes if finding is not None]


def _finding(check: ServiceCheck) -> Finding | None:
    try:
        check.answer(check.url)
    except Exception as error:  # whatever failed, the service did not answer
        problem = f"{check.service} at {shown(check.url)} does not answer: "
        return Finding(check.setting, problem + one_line(error, check.url))
    return None


def select_one(url: str) -> None:
    """Connect and run ``SELECT 1``; an SQLite file is opened read-only, never created."""
    parsed = make_url(normalise_url(url))
    backend = parsed.get_backend_name()
    connect_args: dict[str, object] = {}
    if backend == "sqlite":
        parsed = _read_only_sqlite(parsed)
    elif backend == "postgresql":
        connect_args = {"connect_timeout": TIMEOUT_SECONDS}
    elif backend == "mysql":
        connect_args = {
            "connect_timeout": TIMEOUT_SECONDS,
            "read_timeout": TIMEOUT_SECONDS,
            "write_timeout": TIMEOUT_SECONDS,
        }
    engine = create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def _read_only_sqlite(url: URL) -> URL:
    if url.database in (None, "", ":memory:"):
        return url
    return url.set(database=f"file:{url.database}?mode=ro").update_query_dict({"uri": "true"})


def ping_redis(url: str) -> None:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def greet_smtp(url: str) -> None:
    """Connect, wait for the greeting, then EHLO and NOOP; no mail is sent."""
    with connect_smtp(url, timeout=TIMEOUT_SECONDS) as client:
        client.ehlo()
        code, message = client.noop()
        if code != 250:
            raise ConnectionError(f"NOOP answered {code} {message.decode(errors='replace')}")


def shown(url: str) -> str:
    """``url`` fit for a terminal or a log: the password as ``***``, no query string."""
    base = url.split("?", 1)[0]
    netloc = urlsplit(base).netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return base
    return base.replace(netloc, f"{userinfo.split(':', 1)[0]}:***@{hostport}", 1)


def one_line(error: BaseException, url: str) -> str:
    """The driver's own words for ``error``, on one line, without the URL's password."""
    cause = getattr(error, "orig", None) or error
    words = " ".join(str(cause).split()) or type(cause).__name__
    password = urlsplit(url).password
    return words.replace(password, "***") if password else words
