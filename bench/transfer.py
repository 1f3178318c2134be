"""Bulk import/export benchmark: osnova's validated import/export against the database's own tool.

Run with ``make bench`` (or ``.venv/bin/python bench/transfer.py [--sizes 100000,1000000]``).
Generated files go to bench/data/ (git-ignored); the table goes to bench/results/transfer.md.
Each run is a fresh child process timed by /usr/bin/time (wall seconds, peak RSS).
PostgreSQL runs too when OSNOVA_BENCH_POSTGRES_URL is set (a server URL osnova may use to create
and drop the database ``osnova_bench``).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results" / "transfer.md"
OSNOVA = str(Path(sys.executable).parent / "osnova")
TIME = "/usr/bin/time"
REPEAT = 3
TOOL_DB = "tool.sqlite3"
EXPORT_QUERY = (
    "SELECT i.external_id, i.title, i.description, "
    "CASE WHEN i.is_public THEN 'true' ELSE 'false' END, u.username "
    "FROM items i JOIN users u ON u.id = i.owner_id ORDER BY i.id"
)
STAGE_SQL = (
    "CREATE TEMP TABLE stage (username TEXT, email TEXT, full_name TEXT, role TEXT, is_active TEXT)"
)
INSERT_SQL = (
    "INSERT INTO users (username, email, full_name, role, is_active, created_at, "
    "session_version) SELECT username, email, full_name, role, is_active = 'true', "
    "CURRENT_TIMESTAMP, 0 FROM stage"
)


@dataclass
class Run:
    database: str
    task: str
    rows: int
    tool: str
    seconds: float
    rss_mb: float
    baseline: float | None = None
    startup: float | None = None


def timed(argv: list[str], env: dict[str, str], stdin: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process, measured by /usr/bin/time."""
    report = DATA / "time.txt"
    command = [TIME, "-f", "%e %M", "-o", str(report), *argv]
    with stdin.open("rb") if stdin else open(os.devnull, "rb") as source:
        started = time.perf_counter()
        subprocess.run(command, env=env, stdin=source, stdout=subprocess.DEVNULL, check=True)  # noqa: S603
        wall = time.perf_counter() - started
    seconds, kilobytes = report.read_text().split()[-2:]
    return max(float(seconds), wall), int(kilobytes) / 1024


def median_timed(
    argv: list[str],
    env: dict[str, str],
    stdin: Path | None = None,
    prepare: Callable[[], object] | None = None,
) -> tuple[float, float]:
    """The median wall seconds and the largest peak RSS of REPEAT runs, each prepared afresh."""
    results = []
    for _ in range(REPEAT):
        if prepare is not None:
            prepare()
        results.append(timed(argv, env, stdin))
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


# Names as Ukrainian users write them: Cyrillic, apostrophes, hyphenated surnames.
FIRST_NAMES = ("Олена", "Тарас", "Марія", "Мар'яна", "Дем'ян", "Ярослав", "Ганна", "Віталій")  # noqa: RUF001
LAST_NAMES = ("Коваленко", "Мельник", "Шевчук", "Прокоп'як", "Гнатюк-Бойко", "Їжакевич", "Д'яченко")


def users_file(rows: int) -> Path:
    path = DATA / f"users-uk-{rows}.csv"
    if not path.exists():
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["username", "email", "full_name", "role", "is_active"])
            for n in range(rows):
                name = f"{FIRST_NAMES[n % 8]} {LAST_NAMES[n // 8 % 7]}"
                writer.writerow([f"user{n}", f"user{n}@example.org", name, "user", "true"])
    return path


def osnova_env(url: str) -> dict[str, str]:
    """The child's environment, as on these machines and in many Docker images:
    PYTHONDONTWRITEBYTECODE=1, so start-up relies on the bytecode the setup compiled."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSNOVA_")}
    return env | {
        "OSNOVA_DATABASE_URL": url,
        "OSNOVA_INSTANCE_DIR": str(DATA / "instance"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def migrated_sqlite(name: str) -> Path:
    template = DATA / "template.sqlite3"
    if not template.exists():
        env = osnova_env(f"sqlite:///{template}")
        subprocess.run([OSNOVA, "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
    path = DATA / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, path)
    return path


def fill_items(url: str, rows: int) -> None:
    """``rows`` items over 1,000 owners, written straight with SQL (setup, not measured)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM items"))
        connection.execute(text("DELETE FROM users"))
        connection.execute(
            text(
                "INSERT INTO users (username, email, full_name, role, is_active, created_at, "
                "session_version) VALUES (:u, :e, '', 'user', true, CURRENT_TIMESTAMP, 0)"
            ),
            [{"u": f"owner{n}", "e": f"owner{n}@example.org"} for n in range(1000)],
        )
        ids = [row[0] for row in connection.execute(text("SELECT id FROM users ORDER BY id"))]
        batch = []
        for n in range(rows):
            batch.append(
                {
                    "o": ids[n % 1000],
                    "t": f"Item number {n}",
                    "d": f"A description of item {n}, with a comma",
                    "p": n % 2 == 0,
                    "x": f"ext-{n}",
                }
            )
            if len(batch) == 20_000 or n == rows - 1:
                connection.execute(
                    text(
                        "INSERT INTO items (owner_id, title, description, is_public, external_id, "
                        "created_at, updated_at) VALUES (:o, :t, :d, :p, :x, CURRENT_TIMESTAMP, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    batch,
                )
                batch = []
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))  # planner statistics, as a live database has
        connection.commit()
    engine.dispose()


def startup_seconds(url: str) -> float:
    """What every osnova command pays before its work: start Python, build the app, export
    an empty table (the median of REPEAT runs)."""
    seconds, _ = median_timed([OSNOVA, "export", "users", "--output", os.devnull], osnova_env(url))
    return seconds


def bench_sqlite(sizes: list[int], export_rows: int) -> list[Run]:
    runs: list[Run] = []
    sqlite3 = shutil.which("sqlite3")
    database = DATA / "osnova.sqlite3"
    startup = startup_seconds(f"sqlite:///{migrated_sqlite(database.name)}")
    for rows in sizes:
        source = users_file(rows)
        env = osnova_env(f"sqlite:///{database}")
        seconds, rss = median_timed(
            [OSNOVA, "import", "users", str(source)],
            env,
            prepare=lambda: migrated_sqlite(database.name),
        )
        run = Run("SQLite", "import users CSV", rows, "osnova import", seconds, rss, None, startup)
        runs.append(run)
        if sqlite3:
            script = DATA / "sqlite-import.sql"
            script.write_text(
                "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n"
                f"{STAGE_SQL};\n.mode csv\n.import --skip 1 {source} stage\n{INSERT_SQL};\n"
            )
            tool_seconds, tool_rss = median_timed(
                [sqlite3, str(DATA / TOOL_DB)],
                env,
                stdin=script,
                prepare=lambda: migrated_sqlite(TOOL_DB),
            )
            runs.append(
                Run("SQLite", "import users CSV", rows, "sqlite3 .import", tool_seconds, tool_rss)
            )
            run.baseline = tool_seconds
    if export_rows:
        database = migrated_sqlite("export.sqlite3")
        url = f"sqlite:///{database}"
        fill_items(url, export_rows)
        out = DATA / "items-export.csv"
        seconds, rss = median_timed(
            [OSNOVA, "export", "items", "--output", str(out)], osnova_env(url)
        )
        run = Run(
            "SQLite", "export items CSV", export_rows, "osnova export", seconds, rss, None, startup
        )
        runs.append(run)
        if sqlite3:
            script = DATA / "sqlite-export.sql"
            script.write_text(f".headers on\n.mode csv\n.output {out}.tool\n{EXPORT_QUERY};\n")
            tool_seconds, tool_rss = median_timed(
                [sqlite3, str(database)], osnova_env(url), stdin=script
            )
            runs.append(
                Run(
                    "SQLite",
                    "export items CSV",
                    export_rows,
                    "sqlite3 -csv",
                    tool_seconds,
                    tool_rss,
                )
            )
            run.baseline = tool_seconds
    return runs


def bench_postgresql(server_url: str, sizes: list[int], export_rows: int) -> list[Run]:
    psql = shutil.which("psql")
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    url = make_url(server_url).set(database="osnova_bench").render_as_string(hide_password=False)
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    runs: list[Run] = []

    def fresh() -> None:
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS osnova_bench WITH (FORCE)"))
            connection.execute(text("CREATE DATABASE osnova_bench"))
        subprocess.run(  # noqa: S603
            [OSNOVA, "db", "upgrade"], env=osnova_env(url), check=True, capture_output=True
        )

    fresh()
    startup = startup_seconds(url)
    for rows in sizes:
        source = users_file(rows)
        seconds, rss = median_timed(
            [OSNOVA, "import", "users", str(source)], osnova_env(url), prepare=fresh
        )
        run = Run(
            "PostgreSQL", "import users CSV", rows, "osnova import", seconds, rss, None, startup
        )
        runs.append(run)
        if psql:
            script = DATA / "psql-import.sql"
            script.write_text(
                f"BEGIN;\n{STAGE_SQL};\n\\copy stage FROM '{source}' WITH (FORMAT csv, HEADER)\n"
                f"{INSERT_SQL};\nCOMMIT;\n"
            )
            argv = [psql, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), libpq]
            tool_seconds, tool_rss = median_timed(argv, osnova_env(url), prepare=fresh)
            runs.append(
                Run("PostgreSQL", "import users CSV", rows, "psql \\copy", tool_seconds, tool_rss)
            )
            run.baseline = tool_seconds
    if export_rows:
        fresh()
        fill_items(url, export_rows)
        out = DATA / "items-export-pg.csv"
        seconds, rss = median_timed(
            [OSNOVA, "export", "items", "--output", str(out)], osnova_env(url)
        )
        run = Run(
            "PostgreSQL",
            "export items CSV",
            export_rows,
            "osnova export",
            seconds,
            rss,
            None,
            startup,
        )
        runs.append(run)
        if psql:
            copy = f"\\copy ({EXPORT_QUERY}) TO '{out}.tool' WITH (FORMAT csv, HEADER)"
            argv = [psql, "-q", "-v", "ON_ERROR_STOP=1", "-c", copy, libpq]
            tool_seconds, tool_rss = median_timed(argv, osnova_env(url))
            runs.append(
                Run(
                    "PostgreSQL",
                    "export items CSV",
                    export_rows,
                    "psql \\copy",
                    tool_seconds,
                    tool_rss,
                )
            )
            run.baseline = tool_seconds
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS osnova_bench WITH (FORCE)"))
    admin.dispose()
    return runs


def write_table(runs: list[Run], notes: list[str]) -> str:
    startups = sorted({(run.database, run.startup) for run in runs if run.startup is not None})
    lines = [
        "# Bulk import and export",
        "",
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, by `bench/transfer.py`.",
        f"Each figure is the median of {REPEAT} child processes (wall seconds from /usr/bin/time;",
        "peak RSS is the largest of them); each import starts from a freshly migrated database.",
        "osnova validates every row with the API's rules; the tools load without validation.",
        "osnova's seconds include starting Python and the app, measured alone as an export of an",
        "empty table: "
        + ", ".join(f"{database} {seconds:.2f} s" for database, seconds in startups)
        + ". *After start-up* takes that off osnova's seconds before dividing.",
        "The machine may be shared with other work: compare the ratios within one run.",
        "",
        "| database | task | rows | tool | seconds | rows/s | peak RSS MB | ratio to tool "
        "| after start-up |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        ratio = f"{run.seconds / run.baseline:.2f}" if run.baseline else ""
        after = (
            f"{(run.seconds - run.startup) / run.baseline:.2f}"
            if run.baseline and run.startup is not None
            else ""
        )
        lines.append(
            f"| {run.database} | {run.task} | {run.rows:,} | {run.tool} | {run.seconds:.2f} | "
            f"{run.rows / run.seconds:,.0f} | {run.rss_mb:.0f} | {ratio} | {after} |"
        )
    lines += ["", *notes, ""]
    return "\n".join(lines)


def main() -> None:
    global REPEAT  # noqa: PLW0603 - one setting for the whole run
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    args = parser.parse_args()
    REPEAT = args.repeat
    sizes = [int(size) for size in args.sizes.split(",")]
    DATA.mkdir(parents=True, exist_ok=True)
    # Warm up: write bytecode caches so no timed run pays for compiling.
    warm = osnova_env(f"sqlite:///{DATA / 'warm.sqlite3'}")
    subprocess.run([OSNOVA, "export", "users"], env=warm, check=False, capture_output=True)  # noqa: S603
    notes = []
    if not shutil.which("sqlite3"):
        notes.append("The sqlite3 CLI is missing on this machine: no SQLite baseline.")
    runs = bench_sqlite(sizes, args.export_rows)
    server = os.environ.get("OSNOVA_BENCH_POSTGRES_URL")
    if server:
        runs += bench_postgresql(server, sizes, args.export_rows)
    else:
        notes.append("PostgreSQL not measured: OSNOVA_BENCH_POSTGRES_URL is not set.")
    table = write_table(runs, notes)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table)
    print(table)


if __name__ == "__main__":
    main()
