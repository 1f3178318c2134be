"""What counting sign-in attempts in the database costs a sign-in request.

Run with ``make bench`` (or ``.venv/bin/python bench/sign_in_throttle.py [--requests 400]``).
A failed sign-in (``POST /login`` with a wrong password) is timed in process, through the
Flask test client, with the rate-limit counts in process memory (what each worker had before)
and in the database (what every worker shares without Redis), interleaved in rounds so that
machine noise hits both alike. The testing profile's cheap argon2 keeps the hash out of the
difference; one verification with OWASP's parameters is timed beside it for scale.
SQLite always; PostgreSQL and MariaDB too when OSNOVA_BENCH_POSTGRES_URL /
OSNOVA_BENCH_MARIADB_URL are set (server URLs osnova may use to create and drop the database
``osnova_bench_throttle``). The table goes to bench/results/sign_in_throttle.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from osnova import create_app
from osnova.commands.migrations import init_migrations
from osnova.config import Environment, Settings
from osnova.extensions import db, limiter
from osnova.models import User
from osnova.security import hash_password, verify_password

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "sign_in_throttle.md"
DATABASE = "osnova_bench_throttle"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"  # noqa: S105 - a bench, not a site
PASSWORD = "the right password for the bench"  # noqa: S105
ROUNDS = 8
NO_LIMIT = "1000000 per 15 minutes"


def settings_for(url: str, instance: Path, env: Environment = Environment.TESTING) -> Settings:
    return Settings(
        env=env,
        secret_key=SECRET,
        database_url=url,
        instance_dir=instance,
        login_failures_per_account=NO_LIMIT,
        login_attempts_per_ip=NO_LIMIT,
        log_level="WARNING",
        _env_file=None,
    )


@contextmanager
def server_database(admin_url: str) -> Iterator[str]:
    backend = make_url(admin_url).get_backend_name()
    quote = '"' if backend == "postgresql" else "`"
    force = " WITH (FORCE)" if backend == "postgresql" else ""
    charset = "" if backend == "postgresql" else " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {quote}{DATABASE}{quote}{force}"))
        connection.execute(text(f"CREATE DATABASE {quote}{DATABASE}{quote}{charset}"))
    try:
        yield make_url(admin_url).set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quote}{DATABASE}{quote}{force}"))
        admin.dispose()


def use_storage(storage: Storage) -> None:
    """Point the shared limiter at ``storage`` (a bench-only swap of its counting backend)."""
    limiter._storage = storage
    limiter._limiter = FixedWindowRateLimiter(storage)


def failed_sign_in(client: FlaskClient) -> float:
    match = CSRF.search(client.get("/login").text)
    if match is None:
        raise SystemExit("no CSRF token on /login")
    form = {"csrf_token": match.group(1), "login": "olena", "password": "a wrong password"}
    started = time.perf_counter()
    response = client.post("/login", data=form)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"a failed sign-in answered {response.status_code}, not 200")
    return elapsed


def measure(app: Flask, requests: int) -> dict[str, list[float]]:
    database_storage = limiter.storage
    storages: dict[str, Storage] = {"memory": MemoryStorage(), "database": database_storage}
    samples: dict[str, list[float]] = {name: [] for name in storages}
    client = app.test_client()
    for storage in storages.values():  # warm both paths (connections, caches)
        use_storage(storage)
        for _ in range(20):
            failed_sign_in(client)
    per_round = max(1, requests // ROUNDS)
    for _ in range(ROUNDS):
        for name, storage in storages.items():
            use_storage(storage)
            samples[name] += [failed_sign_in(client) for _ in range(per_round)]
    use_storage(database_storage)
    return samples


def bench_backend(url: str, instance: Path, requests: int) -> dict[str, list[float]]:
    app = create_app(settings_for(url, instance))
    init_migrations(app)
    with app.app_context():
        upgrade()
        db.session.add(
            User(
                username="olena",
                email="olena@example.org",
                full_name="Olena",
                password_hash=hash_password(app.extensions["osnova.settings"], PASSWORD),
            )
        )
        db.session.commit()
        db.session.remove()
    samples = measure(app, requests)
    with app.app_context():
        db.engine.dispose()
    return samples


def owasp_verify_ms(instance: Path) -> float:
    settings = settings_for("sqlite://", instance, Environment.DEVELOPMENT)
    hashed = hash_password(settings, PASSWORD)
    times = []
    for _ in range(10):
        started = time.perf_counter()
        verify_password(settings, hashed, "a wrong password")
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def ms(values: list[float], quantile: float) -> str:
    ordered = sorted(values)
    return f"{ordered[int(quantile * (len(ordered) - 1))] * 1000:.2f}"


def write_results(
    results: dict[str, dict[str, list[float]]], argon2_ms: float, notes: list[str]
) -> None:
    lines = [
        "# Sign-in throttle: counts in memory vs in the database",
        "",
        f"`bench/sign_in_throttle.py` on {platform.node() or 'this machine'}, "
        f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the end), "
        f"Python {platform.python_version()}. One failed sign-in "
        "(`POST /login`, wrong password, testing-profile argon2) through the Flask test client; "
        f"{sum(len(s) for s in next(iter(results.values())).values()) // 2} requests per row, "
        f"in {ROUNDS} interleaved rounds. Each request counts one per-address hit (with its "
        "`X-RateLimit-*` headers) and one per-account attempt.",
        "",
        "| database | counts in | median ms | p90 ms | added by the database (median) |",
        "|---|---|---:|---:|---:|",
    ]
    for label, samples in results.items():
        memory = statistics.median(samples["memory"])
        for name in ("memory", "database"):
            values = samples[name]
            added = (
                f"{(statistics.median(values) - memory) * 1000:+.2f} ms"
                if name == "database"
                else ""
            )
            lines.append(f"| {label} | {name} | {ms(values, 0.5)} | {ms(values, 0.9)} | {added} |")
    lines += [
        "",
        f"For scale: one argon2id verification with OWASP's parameters (19 MiB, 2 passes), "
        f"which every real sign-in pays, takes {argon2_ms:.1f} ms here.",
        "",
        *notes,
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines).rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400, help="per storage and database")
    args = parser.parse_args()
    results: dict[str, dict[str, list[float]]] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="osnova-bench-") as folder:
        work = Path(folder)
        results["SQLite"] = bench_backend(
            f"sqlite:///{work / 'throttle.sqlite3'}", work / "instance", args.requests
        )
        for label, variable in (
            ("PostgreSQL", "OSNOVA_BENCH_POSTGRES_URL"),
            ("MariaDB", "OSNOVA_BENCH_MARIADB_URL"),
        ):
            server = os.environ.get(variable)
            if not server:
                notes.append(f"{label} not measured: {variable} is not set.")
                continue
            with server_database(server) as url:
                results[label] = bench_backend(url, work / "instance", args.requests)
        argon2_ms = owasp_verify_ms(work / "instance")
    write_results(results, argon2_ms, notes)
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
