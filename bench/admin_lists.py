"""Admin console benchmark: the first and a deep page of each admin list, on a big catalogue.

Run with ``.venv/bin/python bench/admin_lists.py`` (``--items``/``--users`` to change the
sizes). It imports ``--users`` accounts and ``--items`` items with ``osnova import`` (the
same CSV shapes as bench/transfer.py), then adds with bound-parameter SQL what no command
imports: one API token per account (some revoked or expired), ``--events`` audit events and
``--jobs`` import jobs, and an image name on one item in 1,000. It then builds the app in this
process and times each page through the Flask test client, signed in as an admin: the first
page, the page reached by following "Next page" ``--depth`` times, and a page whose cursor
points 90% of the way down the list. Each figure is the median of ``--repeat`` requests.

SQLite always; PostgreSQL too when OSNOVA_BENCH_POSTGRES_URL is set (a server URL osnova may
use to create and drop the database ``osnova_bench_admin``). ``--reuse`` keeps both databases
after the run and measures the kept ones next time instead of importing again. Generated
files go to bench/data/ (git-ignored); the table goes to bench/results/admin_lists.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import re
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, before_render_template, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results" / "admin_lists.md"
OSNOVA = str(Path(sys.executable).parent / "osnova")
ADMIN, ADMIN_PASSWORD = "benchadmin", "a long bench admin password 9"
TARGET_MS = 50
WORDS = [
    *("lamp", "table", "chair", "book", "clock", "radio", "kettle", "mirror", "basket"),
    *("vase", "map", "coat", "scarf", "bowl", "candle", "drum", "violin", "globe"),
    *("compass", "ladder", "bench", "stool", "pillow", "quilt", "teapot"),
]
ACTIONS = ("login.success", "login.success", "login.success", "login.failure", "logout")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
NEXT = re.compile(r'href="([^"]*cursor=[^"]*)" rel="next"')


@dataclass(frozen=True)
class Timing:
    """Medians in ms: the whole request, its part outside the template, and the CPU time this
    process spent on it (on SQLite the database runs in the process, so this is the request's
    own cost, whatever else the machine is doing)."""

    total: float
    data: float
    cpu: float


@dataclass
class Figure:
    database: str
    page: str
    first: Timing
    followed: Timing | None
    deep: Timing | None


class RenderClock:
    """Adds up the time spent rendering templates (Flask's template signals)."""

    def __init__(self, app: Flask) -> None:
        self.spent = 0.0
        self._started = 0.0
        before_render_template.connect(self._before, app)
        template_rendered.connect(self._after, app)

    def _before(self, *_args: Any, **_kwargs: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, *_args: Any, **_kwargs: Any) -> None:
        self.spent += time.perf_counter() - self._started


def osnova_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSNOVA_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env | {"OSNOVA_DATABASE_URL": url, "OSNOVA_INSTANCE_DIR": str(DATA / "instance")}


def run_osnova(url: str, *args: str, stdin: str | None = None) -> None:
    done = subprocess.run(  # noqa: S603
        [OSNOVA, *args],
        env=osnova_env(url),
        input=stdin,
        text=True,
        check=False,
        capture_output=True,
    )
    if done.returncode:
        raise SystemExit(f"osnova {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def write_files(users: int, items: int) -> tuple[Path, Path]:
    """The import files (made once, kept in bench/data/)."""
    users_path, items_path = DATA / f"admin-users-{users}.csv", DATA / f"admin-items-{items}.csv"
    rng = random.Random(7)  # noqa: S311 - made-up titles, the same on every run
    if not users_path.exists():
        with users_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["username", "email", "full_name", "role", "is_active"])
            for n in range(users):
                active = "false" if n % 50 == 0 else "true"
                writer.writerow([f"user{n}", f"user{n}@example.org", f"User {n}", "user", active])
    if not items_path.exists():
        with items_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["title", "description", "is_public", "owner", "external_id"])
            for n in range(items):
                title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {n}"
                description = " ".join(rng.choice(WORDS) for _ in range(8))
                public = "true" if n % 2 == 0 else "false"
                writer.writerow([title, description, public, f"user{n % users}", f"ext-{n}"])
    return users_path, items_path


def fill(url: str, users: int, items: int, events: int, jobs: int) -> None:
    """Import the accounts and items with the CLI, then add tokens, events, jobs and images."""
    users_path, items_path = write_files(users, items)
    run_osnova(url, "db", "upgrade")
    run_osnova(
        url,
        "create-admin",
        "--username",
        ADMIN,
        "--email",
        f"{ADMIN}@example.org",
        "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )
    started = time.perf_counter()
    run_osnova(url, "import", "users", str(users_path))
    run_osnova(url, "import", "items", str(items_path))
    print(
        f"  imported {users:,} users and {items:,} items in {time.perf_counter() - started:.0f} s"
    )
    engine = create_engine(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        ids = [row[0] for row in connection.execute(text("SELECT id FROM users ORDER BY id"))]
        insert_batches(
            connection,
            "UPDATE users SET last_login_at = :t WHERE id = :i",
            (
                {"i": user_id, "t": now - timedelta(minutes=n)}
                for n, user_id in enumerate(ids)
                if n % 3
            ),
        )
        connection.execute(text("UPDATE users SET role = 'moderator' WHERE id % 500 = 250"))
        connection.execute(
            text("UPDATE items SET image = 'bench.png' WHERE id % 1000 = 0"),
        )
        insert_batches(
            connection,
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at, "
            "revoked_at) VALUES (:u, :n, :h, :c, :e, :r)",
            (
                {
                    "u": user_id,
                    "n": "laptop",
                    "h": f"{n:064x}",
                    "c": now - timedelta(seconds=n),
                    "e": now + timedelta(days=30 - (n % 40)),
                    "r": now if n % 10 == 0 else None,
                }
                for n, user_id in enumerate(ids)
            ),
        )
        insert_batches(
            connection,
            "INSERT INTO audit_events (at, actor_id, action, target, remote_addr, details) "
            "VALUES (:a, :u, :x, :t, '192.0.2.1', '{}')",
            (
                {
                    "a": now - timedelta(seconds=events - n),
                    "u": ids[n % len(ids)],
                    "x": ACTIONS[n % len(ACTIONS)],
                    "t": f"user:{ids[n % len(ids)]}",
                }
                for n in range(events)
            ),
        )
        insert_batches(
            connection,
            "INSERT INTO import_jobs (actor_id, kind, format, on_conflict, dry_run, status, "
            "rows_done, attempts, created_at) VALUES (:u, 'items', 'csv', 'error', false, "
            "'done', 100, 1, :c)",
            ({"u": ids[0], "c": now - timedelta(minutes=n)} for n in range(jobs)),
        )
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))  # planner statistics, as a live database has
        connection.commit()
    engine.dispose()


def insert_batches(connection: Any, sql: str, rows: Any, size: int = 20_000) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            connection.execute(text(sql), batch)
            batch = []
    if batch:
        connection.execute(text(sql), batch)


def build_app(url: str) -> Flask:
    from osnova import create_app  # noqa: PLC0415 - imported after the data is in place
    from osnova.config import Environment, Settings  # noqa: PLC0415

    settings = Settings(
        env=Environment.TESTING,
        secret_key=secrets.token_urlsafe(32),
        database_url=url,
        instance_dir=DATA / "instance",
        _env_file=None,
    )
    return create_app(settings)


def sign_in(client: FlaskClient) -> None:
    page = client.get("/login")
    token = CSRF.search(page.text)
    if token is None:
        raise SystemExit("no sign-in form")
    answer = client.post(
        "/login", data={"csrf_token": token.group(1), "login": ADMIN, "password": ADMIN_PASSWORD}
    )
    if answer.status_code != 302:
        raise SystemExit(f"sign-in refused: {answer.status_code}")


def median_ms(
    client: FlaskClient,
    clock: RenderClock,
    url: str,
    repeat: int,
    before: Callable[[], object] | None = None,
) -> Timing:
    totals, data, cpu = [], [], []
    for _ in range(repeat):
        if before is not None:
            before()
        clock.spent = 0.0
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        total = (time.perf_counter() - started) * 1000
        cpu.append((time.process_time() - started_cpu) * 1000)
        totals.append(total)
        data.append(total - clock.spent * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return Timing(statistics.median(totals), statistics.median(data), statistics.median(cpu))


def followed(client: FlaskClient, url: str, depth: int) -> str | None:
    """The URL reached by following "Next page" ``depth`` times (None if the list ends)."""
    for _ in range(depth):
        found = NEXT.search(client.get(url).text)
        if found is None:
            return None
        url = found.group(1).replace("&amp;", "&")
    return url


def deep_cursors(engine: Engine) -> dict[str, str]:
    """Cursors 90% of the way down each list (found with OFFSET once, not timed)."""
    from osnova.services import cursors, keyset  # noqa: PLC0415

    def row(sql: str) -> tuple[Any, int]:
        # ``sql`` is one of the fixed statements below; the offset is a bound parameter.
        with engine.connect() as connection:
            counting = text(f"SELECT count(*) FROM ({sql}) AS counted")  # noqa: S608
            total = connection.execute(counting).scalar()
            found = connection.execute(
                text(f"{sql} LIMIT 1 OFFSET :skip"), {"skip": int((total or 0) * 0.9)}
            ).one()
        return found[0], found[1]

    def stamp(value: datetime | str) -> datetime:
        """A stored naive UTC timestamp (text on SQLite) as an aware one."""
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
        return parsed.replace(tzinfo=UTC)

    newest = row("SELECT created_at, id FROM items ORDER BY created_at DESC, id DESC")
    oldest = row("SELECT created_at, id FROM items ORDER BY created_at, id")
    title = row("SELECT title, id FROM items ORDER BY title, id")
    token = row("SELECT created_at, id FROM api_tokens ORDER BY created_at DESC, id DESC")
    event = row("SELECT at, id FROM audit_events ORDER BY at DESC, id DESC")
    job = row("SELECT created_at, id FROM import_jobs ORDER BY created_at DESC, id DESC")
    account = row("SELECT created_at, id FROM users ORDER BY created_at DESC, id DESC")
    username = row("SELECT username, id FROM users ORDER BY username, id")
    signed_in = row(
        "SELECT last_login_at, id FROM users WHERE last_login_at IS NOT NULL "
        "ORDER BY last_login_at DESC, id DESC"
    )
    return {
        "accounts": cursors.encode(stamp(account[0]), account[1]),
        "username": keyset.encode_text(str(username[0]), username[1]),
        "last_sign_in": cursors.encode(stamp(signed_in[0]), signed_in[1]),
        "items": cursors.encode(stamp(newest[0]), newest[1]),
        "oldest": cursors.encode(stamp(oldest[0]), oldest[1]),
        "title": keyset.encode_text(str(title[0]), title[1]),
        "tokens": cursors.encode(stamp(token[0]), token[1]),
        "audit": cursors.encode(stamp(event[0]), event[1]),
        "jobs": cursors.encode(stamp(job[0]), job[1]),
    }


PAGES: list[tuple[str, str, str | None]] = [
    ("items, newest first", "/admin/items", "items"),
    ("items, oldest first", "/admin/items?sort=oldest", "oldest"),
    ("items, by title", "/admin/items?sort=title", "title"),
    ("items, public only", "/admin/items?visibility=public", "items"),
    ("items, with an image", "/admin/items?image=yes", None),
    ("items of one owner", "/admin/items?owner=user777", None),
    ("items, a rare word", "/admin/items?q=kettle+4242", None),
    ("items, a common word (a third match)", "/admin/items?q=lamp", None),
    ("items, created in a date range", "/admin/items?created_from=2020-01-01", "items"),
    ("API tokens", "/admin/tokens", "tokens"),
    ("API tokens, active", "/admin/tokens?state=active", "tokens"),
    ("audit trail", "/admin/audit", "audit"),
    ("audit trail, one action", "/admin/audit?action=login.failure", "audit"),
    ("audit trail, one actor", "/admin/audit?actor=user777", None),
    ("import history", "/admin/transfer/history", "jobs"),
    ("accounts, newest first", "/admin/users", "accounts"),
    ("accounts, by username", "/admin/users?sort=username", "username"),
    ("accounts, by last sign-in", "/admin/users?sort=last-sign-in", "last_sign_in"),
    ("accounts, moderators (1 in 500)", "/admin/users?role=moderator", "accounts"),
    ("accounts, deactivated (1 in 50)", "/admin/users?active=no", "accounts"),
    ("accounts, a search matching one", "/admin/users?q=user77777", None),
    ("accounts, a search matching a tenth", "/admin/users?q=user7", "accounts"),
    ("dashboard, figures kept from the last minute", "/admin/", None),
]


def measure(database: str, url: str, repeat: int, depth: int, only: str = "") -> list[Figure]:
    app = build_app(url)
    clock = RenderClock(app)
    client = app.test_client()
    sign_in(client)
    engine = create_engine(url)
    deep = deep_cursors(engine)
    engine.dispose()
    figures = []
    from osnova.web.admin_dashboard import CACHE_KEY  # noqa: PLC0415

    def forget() -> None:
        app.extensions.pop(CACHE_KEY, None)

    if not only:
        counted = median_ms(client, clock, "/admin/", repeat, before=forget)
        figures.append(Figure(database, "dashboard, figures counted", counted, None, None))
    for name, path, deep_key in PAGES:
        if not name.startswith(only):
            continue
        client.get(path)  # warm: templates compiled, statements cached
        first = median_ms(client, clock, path, repeat)
        reached = followed(client, path, depth) if path != "/admin/" else None
        after = median_ms(client, clock, reached, repeat) if reached else None
        jump = None
        if deep_key is not None:
            joiner = "&" if "?" in path else "?"
            jump = median_ms(client, clock, f"{path}{joiner}cursor={deep[deep_key]}", repeat)
        figure = Figure(database, name, first, after, jump)
        figures.append(figure)
        print(f"  {name}: {figure.first} / {figure.followed} / {figure.deep}", flush=True)
    return figures


def sqlite_url(name: str, *, reuse: bool) -> tuple[str, bool]:
    """The SQLite database's URL, and whether it must be filled (not when reused)."""
    path = DATA / name
    if reuse and path.exists():
        return f"sqlite:///{path}", False
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}", True


def postgresql_url(server: str, *, reuse: bool) -> tuple[str, bool, Callable[[], None]]:
    """The PostgreSQL database's URL, whether it must be filled, and how to clean up after
    (dropped, unless ``reuse`` keeps it for the next run)."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = 'osnova_bench_admin'")
        )
        empty = not (reuse and exists)
        if empty:
            connection.execute(text("DROP DATABASE IF EXISTS osnova_bench_admin WITH (FORCE)"))
            connection.execute(text("CREATE DATABASE osnova_bench_admin"))
    url = make_url(server).set(database="osnova_bench_admin")

    def drop() -> None:
        if not reuse:
            with admin.connect() as connection:
                connection.execute(text("DROP DATABASE IF EXISTS osnova_bench_admin WITH (FORCE)"))
        admin.dispose()

    return url.render_as_string(hide_password=False), empty, drop


def write_table(figures: list[Figure], args: argparse.Namespace) -> str:
    def cell(value: Timing | None) -> str:
        if value is None:
            return "—"
        mark = "" if value.total < TARGET_MS else " ⚠"
        return f"{value.total:.1f}{mark} ({value.data:.1f}) [{value.cpu:.1f}]"

    lines = [
        "# Admin lists on a big catalogue",
        "",
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, by `bench/admin_lists.py`.",
        f"{args.users:,} accounts and {args.items:,} items imported with `osnova import`; "
        f"{args.users:,} API tokens, {args.events:,} audit events and {args.jobs:,} import jobs",
        "added with SQL. Each figure is the median of "
        f"{args.repeat} requests through the Flask test client, signed in as an admin,",
        "in milliseconds: the whole request, (its part outside the template: sign-in check,",
        "queries, rows) and [the CPU time this process spent on it; on SQLite the database runs",
        "in the process, so this is the request's own cost, whatever else the machine does].",
        "*First* is the first",
        f'page; *followed* the page reached by following "Next page" {args.depth} times; '
        "*deep* a page",
        f"whose cursor points 90% of the way down the list. The target is {TARGET_MS} ms "
        "(⚠ marks a miss).",
        "The machine is shared with other work (load average "
        f"{args.load_before} before the run, {os.getloadavg()[0]:.1f} at the end, on "
        f"{os.cpu_count()} cores): read the figures as orders of magnitude.",
        "",
        "| database | page | first | followed | deep |",
        "|---|---|---:|---:|---:|",
    ]
    for figure in figures:
        lines.append(
            f"| {figure.database} | {figure.page} | {cell(figure.first)} | "
            f"{cell(figure.followed)} | {cell(figure.deep)} |"
        )
    return "\n".join([*lines, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the databases of the last run, and this one's"
    )
    parser.add_argument(
        "--only", default="", help="time only the lists whose name starts so (e.g. accounts)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the table goes")
    args = parser.parse_args()
    args.load_before = f"{os.getloadavg()[0]:.1f}"
    DATA.mkdir(parents=True, exist_ok=True)
    figures = []
    print("SQLite")
    url, empty = sqlite_url("admin-lists.sqlite3", reuse=args.reuse)
    if empty:
        fill(url, args.users, args.items, args.events, args.jobs)
    else:
        run_osnova(url, "db", "upgrade")
    figures += measure("SQLite", url, args.repeat, args.depth, args.only)
    server = os.environ.get("OSNOVA_BENCH_POSTGRES_URL")
    if server:
        print("PostgreSQL")
        url, empty, drop = postgresql_url(server, reuse=args.reuse)
        try:
            if empty:
                fill(url, args.users, args.items, args.events, args.jobs)
            else:
                run_osnova(url, "db", "upgrade")
            figures += measure("PostgreSQL", url, args.repeat, args.depth, args.only)
        finally:
            drop()
    table = write_table(figures, args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table)
    print(table)


if __name__ == "__main__":
    main()
