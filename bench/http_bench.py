"""HTTP benchmark: osnova's pages and API next to a Flask hello world and a FastAPI peer.

Run with ``make bench`` (or ``.venv/bin/python bench/http_bench.py [--quick]``); see
docs/performance.md. osnova serves a fresh database of 1,000 users and 100,000 public items,
loaded with ``osnova import``; wrk loads every scenario in interleaved rounds and the table
gives medians, because two shared cores make single runs noisy. PostgreSQL runs too when
OSNOVA_BENCH_POSTGRES_URL is set (a server URL; the database ``osnova_bench_http`` is created
and dropped). Data and logs go to bench/data/ (git-ignored); the table to
bench/results/http.md, the chart to bench/results/http.png. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from transfer import DATA, OSNOVA, ROOT, osnova_env

RESULTS = ROOT / "bench" / "results"
PEERS = ROOT / "bench" / "peers"
PEERS_VENV = ROOT / "bench" / ".venv-peers"
UV = ROOT / ".tools" / "bin" / "uv"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
GUNICORN_CONF = str(ROOT / "deploy" / "gunicorn.conf.py")
PG_DATABASE = "osnova_bench_http"
USERS, ITEMS = 1_000, 100_000
SEARCH_WORD = "quokka"  # in exactly ITEMS / 1000 descriptions, nowhere else
WRITER = "user0001"
DEEP = 5_000
POST_BODY = {
    "title": "Benchmark item",
    "description": "Written by bench/http_bench.py.",
    "is_public": True,
}
WORDS = [
    *("brass", "copper", "linen", "oak", "walnut", "amber", "slate", "cobalt", "velvet"),
    *("cedar", "iron", "paper", "glass", "wool", "compass", "lantern", "kettle", "ledger"),
    *("teapot", "satchel", "bicycle", "clock", "radio", "camera", "map", "quill"),
]
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass
class Scenario:
    """One row of the table: a request that wrk repeats against one server."""

    name: str
    server: str  # "osnova", "hello", "peer", "floor" or "floor-duties"
    path: str
    headers: list[str] = field(default_factory=list)
    script: Path | None = None  # a wrk Lua script, for a POST body


@dataclass
class Sample:
    """What one wrk run reports (latencies in ms)."""

    requests: int
    rate: float
    p50: float
    p99: float
    non_2xx: int
    socket_errors: int
    restarts: int = 0  # workers gunicorn recycled during the run (max_requests)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base: str
    log: Path


@dataclass
class Load:
    """wrk's parameters, the same for every scenario."""

    connections: int
    duration: int
    rounds: int
    warmup: int
    timeout: int = 10

    def argv(self, wrk: str, duration: int | None = None) -> list[str]:
        return [
            wrk,
            "-t2",
            f"-c{self.connections}",
            f"-d{duration or self.duration}s",
            f"--timeout={self.timeout}s",
            "--latency",
        ]


def ensure_wrk() -> str:
    """wrk's path; Debian's package is installed when we are root, otherwise we stop."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install -y wrk)", file=sys.stderr)
        install = ["apt-get", "install", "-y", "wrk"]
        if subprocess.run(install, check=False, timeout=600).returncode:  # noqa: S603
            # A fresh machine may have no package lists yet.
            subprocess.run(["apt-get", "update"], check=False, timeout=600)  # noqa: S607
            subprocess.run(install, check=False, timeout=600)  # noqa: S603
        found = shutil.which("wrk")
    if not found:
        sys.exit("bench: wrk is missing; install it with `sudo apt-get install wrk`")
    return found


def peers_python() -> Path:
    """The peers' own virtualenv (FastAPI, uvicorn, matplotlib), kept apart from the app's."""
    python = PEERS_VENV / "bin" / "python"
    requirements = PEERS / "requirements.txt"
    env = os.environ | {"UV_PYTHON_DOWNLOADS": "never"}
    if not python.exists():
        subprocess.run(  # noqa: S603
            [str(UV), "venv", "--quiet", "--python", sys.executable, str(PEERS_VENV)],
            env=env,
            check=True,
        )
    subprocess.run(  # noqa: S603
        [str(UV), "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements)],
        env=env,
        check=True,
    )
    return python


def seed_files() -> tuple[Path, Path]:
    """Deterministic CSVs for ``osnova import``: users, then public items over all owners."""
    users, items = DATA / "http-users.csv", DATA / "http-items.csv"
    with users.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "email", "full_name", "role", "is_active"])
        for n in range(USERS):
            writer.writerow(
                [f"user{n:04d}", f"user{n:04d}@example.org", f"User {n}", "user", "true"]
            )
    rng = random.Random(2026)  # noqa: S311 - repeatable text, not secrets
    with items.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "title", "description", "is_public", "owner"])
        for n in range(ITEMS):
            words = " ".join(rng.choices(WORDS, k=rng.randint(6, 30)))
            if n % 1000 == 500:
                words += f" {SEARCH_WORD}"
            title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {n}"
            writer.writerow([f"bench-{n}", title, words, "true", f"user{n % USERS:04d}"])
    return users, items


def server_env(url: str, **extra: str) -> dict[str, str]:
    return osnova_env(url) | {
        # The production profile, as deployed: its start-up gate passes with these.
        "OSNOVA_ENV": "production",
        "OSNOVA_ALLOWED_HOSTS": "127.0.0.1",
        "OSNOVA_BASE_URL": "https://osnova.example.org",
        "OSNOVA_SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        **extra,
    }


def prepare_database(url: str, users: Path, items: Path) -> str:
    """Migrate and load the database; returns a bearer token of WRITER."""
    env = server_env(url)
    for argv in (
        ["db", "upgrade"],
        ["import", "users", str(users)],
        ["import", "items", str(items)],
    ):
        subprocess.run([OSNOVA, *argv], env=env, check=True, capture_output=True, timeout=600)  # noqa: S603
    # Fresh statistics on PostgreSQL, as autovacuum would gather a minute later: without them its
    # planner guesses, and the first rounds would measure the guesses.
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()
    made = subprocess.run(  # noqa: S603
        [OSNOVA, "tokens", "create", WRITER, "--name", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return made.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(url: str, timeout: float = 10) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
        body: bytes = response.read()
        return body


@contextmanager
def serving(
    name: str, argv: list[str], env: dict[str, str], port: int, ready: str
) -> Iterator[Server]:
    """A server in its own process group, stopped (the whole group) however we leave."""
    log = DATA / f"http-{name}.log"
    if "PROMETHEUS_MULTIPROC_DIR" in env:  # must exist before the app is imported
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            argv, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {log}")
            try:
                get(server.base + ready, timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{name} did not answer {ready} in 60 s; see {log}"
                    ) from None
                time.sleep(0.3)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, SIGKILL if it lingers; then SIGKILL to any
    member the leader left behind (a live member keeps the group id from being reused)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=wait)
            break
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def milliseconds(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def run_wrk(argv: list[str], duration: int) -> Sample:
    """One wrk run, parsed from its --latency report."""
    done = subprocess.run(  # noqa: S603
        argv, check=True, capture_output=True, text=True, timeout=duration + 60
    )
    out = done.stdout

    def number(pattern: str) -> str:
        match = re.search(pattern, out, re.MULTILINE)
        return match.group(1) if match else "0"

    latency = {
        percent: milliseconds(value, unit)
        for percent, value, unit in re.findall(
            r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.MULTILINE
        )
    }
    if len(latency) != 2:
        raise RuntimeError(f"no latency distribution in wrk's report:\n{out}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Sample(
        requests=int(number(r"(\d+) requests in")),
        rate=float(number(r"^Requests/sec:\s+([\d.]+)")),
        p50=latency["50"],
        p99=latency["99"],
        non_2xx=int(number(r"Non-2xx or 3xx responses: (\d+)")),
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def wrk_argv(load: Load, wrk: str, scenario: Scenario, base: str, duration: int) -> list[str]:
    argv = load.argv(wrk, duration)
    for header in scenario.headers:
        argv += ["-H", header]
    if scenario.script is not None:
        argv += ["-s", str(scenario.script)]
    return [*argv, base + scenario.path]


def deep_cursor(base: str) -> tuple[str, int]:
    """A cursor DEEP items down, found as a client finds it (following next_cursor), and
    the id of the newest public item."""
    cursor, newest = "", 0
    for _ in range(DEEP // 100):
        page = json.loads(
            get(f"{base}/api/v1/items?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        )
        newest = newest or page["items"][0]["id"]
        cursor = page["next_cursor"]
    return cursor, newest


def scenarios(token: str, cursor: str, item_id: int, *, floor: bool) -> list[Scenario]:
    """The table's rows; with ``floor`` (SQLite) also Flask's floor for three of them."""
    bearer = f"Authorization: Bearer {token}"
    post = DATA / "http-post.lua"
    post.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = '{json.dumps(POST_BODY)}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return [
        Scenario("Flask hello", "hello", "/"),
        Scenario("FastAPI peer: first 20 items", "peer", "/items?limit=20"),
        Scenario("API: first 20 items", "osnova", "/api/v1/items?limit=20"),
        Scenario(
            f"API: 20 items, {DEEP:,} deep", "osnova", f"/api/v1/items?limit=20&cursor={cursor}"
        ),
        Scenario("API: first 20 items, bearer token", "osnova", "/api/v1/items?limit=20", [bearer]),
        Scenario("API: search, 0.1% match", "osnova", f"/api/v1/items?limit=20&q={SEARCH_WORD}"),
        Scenario("API: one item", "osnova", f"/api/v1/items/{item_id}"),
        Scenario("HTML: /items", "osnova", "/items"),
        Scenario("HTML: /", "osnova", "/"),
        Scenario("API: create item (POST)", "osnova", "/api/v1/items", [bearer], post),
        *(floor_scenarios() if floor else []),
    ]


def floor_scenarios() -> list[Scenario]:
    """Flask and ``sqlite3`` alone on the same statements (``peers/flask_floor.py``), bare
    and with the per-request duties osnova must do: what osnova's rows can reach."""
    rows = []
    for server, label in (("floor", "Flask floor"), ("floor-duties", "Flask floor + duties")):
        rows += [
            Scenario(f"{label}: first 20 items", server, "/api/v1/items?limit=20"),
            Scenario(f"{label}: search", server, f"/api/v1/items?limit=20&q={SEARCH_WORD}"),
            Scenario(f"{label}: /items", server, "/items"),
        ]
    return rows


def start_servers(stack: ExitStack, url: str, python: Path) -> dict[str, Server]:
    """osnova (``osnova serve``), the Flask hello world and the FastAPI peer, all on 127.0.0.1;
    on SQLite also the two Flask floors."""
    names = ["osnova", "hello", "peer"]
    if url.startswith("sqlite"):
        names += ["floor", "floor-duties"]
    ports = {name: free_port() for name in names}
    metrics = {name: str(DATA / f"http-metrics-{name}") for name in ports}
    osnova = [OSNOVA, "serve", "--host", "127.0.0.1", "--port", str(ports["osnova"])]
    osnova += ["--workers", "2"]
    hello = [GUNICORN, "-c", GUNICORN_CONF, "--chdir", str(PEERS), "flask_hello:app"]
    peer = [str(python.parent / "uvicorn"), "fastapi_items:app", "--app-dir", str(PEERS)]
    peer += ["--host", "127.0.0.1", "--port", str(ports["peer"]), "--workers", "2"]
    bind = {"OSNOVA_BIND": f"127.0.0.1:{ports['hello']}", "OSNOVA_WORKERS": "2"}
    floor = [GUNICORN, "-c", GUNICORN_CONF, "--chdir", str(PEERS), "flask_floor:app"]
    floors = {
        name: stack.enter_context(
            serving(
                name,
                floor,
                server_env(
                    url,
                    OSNOVA_BIND=f"127.0.0.1:{ports[name]}",
                    OSNOVA_WORKERS="2",
                    PROMETHEUS_MULTIPROC_DIR=metrics[name],
                    FLOOR_DUTIES=str(int(name == "floor-duties")),
                ),
                ports[name],
                "/api/v1/items?limit=1",
            )
        )
        for name in names[3:]
    }
    return floors | {
        "osnova": stack.enter_context(
            serving(
                "osnova",
                osnova,
                server_env(url, PROMETHEUS_MULTIPROC_DIR=metrics["osnova"]),
                ports["osnova"],
                "/healthz",
            )
        ),
        "hello": stack.enter_context(
            serving(
                "hello",
                hello,
                osnova_env(url) | bind | {"PROMETHEUS_MULTIPROC_DIR": metrics["hello"]},
                ports["hello"],
                "/",
            )
        ),
        "peer": stack.enter_context(
            serving(
                "peer",
                peer,
                osnova_env(url) | {"BENCH_DATABASE_URL": url},
                ports["peer"],
                "/items?limit=1",
            )
        ),
    }


def bench_database(
    label: str, url: str, *, load: Load, wrk: str, python: Path, seeds: tuple[Path, Path]
) -> tuple[list[Scenario], dict[str, list[Sample]], tuple[float, float, float]]:
    """Every scenario, ``load.rounds`` times interleaved, and the CPU use during the rounds.
    Round r starts r-1 rows further down (the order rotates): gunicorn recycles a worker
    every 100,000 to 120,000 requests, and a fixed order would land those restarts on the
    same rows."""
    token = prepare_database(url, *seeds)
    samples: dict[str, list[Sample]] = {}
    with ExitStack() as stack:
        servers = start_servers(stack, url, python)
        logs = {
            name: stack.enter_context(s.log.open(errors="replace")) for name, s in servers.items()
        }
        cursor, item_id = deep_cursor(servers["osnova"].base)
        rows = scenarios(token, cursor, item_id, floor="floor" in servers)
        for scenario in rows:  # warm-up: load code, fill caches and pools
            base = servers[scenario.server].base
            run_wrk(wrk_argv(load, wrk, scenario, base, load.warmup), load.warmup)
        groups = [server.process.pid for server in servers.values()]
        before = (busy_cpu_seconds(), own_cpu_seconds(groups), time.monotonic())
        for number in range(load.rounds):
            for scenario in rows[number % len(rows) :] + rows[: number % len(rows)]:
                logs[scenario.server].read()  # skip to the end of the server's log
                base = servers[scenario.server].base
                sample = run_wrk(wrk_argv(load, wrk, scenario, base, load.duration), load.duration)
                sample.restarts = logs[scenario.server].read().count("Autorestarting worker")
                samples.setdefault(scenario.name, []).append(sample)
                print(
                    f"{label} round {number + 1}: {scenario.name}: {sample.rate:,.0f} req/s, "
                    f"p50 {sample.p50:.1f} ms, p99 {sample.p99:.1f} ms, "
                    f"non-2xx {sample.non_2xx}, restarts {sample.restarts}",
                    file=sys.stderr,
                )
        busy, own = busy_cpu_seconds() - before[0], own_cpu_seconds(groups) - before[1]
        cores = (os.cpu_count() or 1) * (time.monotonic() - before[2])
    return rows, samples, (busy, own, cores)


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (/proc/stat)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait


def own_cpu_seconds(groups: list[int]) -> float:
    """CPU seconds of this bench, its finished children (wrk) and every process in the
    servers' process groups (with their finished children, such as recycled workers)."""
    mine = os.times()
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups:  # pgrp; then utime, stime, cutime, cstime at 11..14
            ticks += sum(int(n) for n in fields[11:15])
    own = mine.user + mine.system + mine.children_user + mine.children_system
    return own + ticks / os.sysconf("SC_CLK_TCK")


def worker_rss(master: int) -> dict[int, float]:
    """RSS (MB) of each child of ``master``, from /proc/PID/status."""
    sizes = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master) and "VmRSS" in fields:
            sizes[int(status.parent.name)] = int(fields["VmRSS"].split()[0]) / 1024
    return sizes


@dataclass
class Memory:
    points: list[tuple[int, dict[int, float]]]  # (requests so far, RSS MB of each worker)
    rate: float  # median req/s of the 5 s runs: the same page without worker recycling


def memory_growth(url: str, load: Load, wrk: str, total: int) -> Memory:
    """Worker RSS after total/10 and after ``total`` requests to the first page (or after
    7 minutes, on a machine too busy to get there; the table gives the real counts), under
    gunicorn run directly with ``--max-requests 0`` so no worker is recycled on the way."""
    port = free_port()
    argv = [GUNICORN, "-c", GUNICORN_CONF, "--max-requests", "0", "osnova.wsgi:app"]
    env = server_env(
        url,
        OSNOVA_BIND=f"127.0.0.1:{port}",
        OSNOVA_WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(DATA / "http-metrics-rss"),
    )
    memory = Memory([], 0.0)
    rates = []
    scenario = Scenario("rss", "osnova", "/api/v1/items?limit=20")
    with serving("osnova-rss", argv, env, port, "/healthz") as server:
        memory.points.append((0, worker_rss(server.process.pid)))
        sent, deadline = 0, time.monotonic() + 420
        for checkpoint in (total // 10, total):
            while sent < checkpoint and time.monotonic() < deadline:
                sample = run_wrk(wrk_argv(load, wrk, scenario, server.base, 5), 5)
                sent += sample.requests
                rates.append(sample.rate)
            memory.points.append((sent, worker_rss(server.process.pid)))
    memory.rate = statistics.median(rates)
    return memory


def summarise(rows: list[Scenario], samples: dict[str, list[Sample]]) -> list[list[str]]:
    """Table cells: medians per scenario; the ratio columns are medians of per-round ratios."""
    hello, peer = samples[rows[0].name], samples[rows[1].name]
    table = []
    for scenario in rows:
        runs = samples[scenario.name]
        p50 = statistics.median(s.p50 for s in runs)
        p99 = statistics.median(s.p99 for s in runs)
        rates = [s.rate for s in runs]
        ratios = [
            statistics.median(s.rate / b.rate for s, b in zip(runs, base, strict=True))
            for base in (hello, peer)
        ]
        table.append(
            [
                scenario.name,
                f"{statistics.median(rates):,.0f}",
                f"{min(rates):,.0f} to {max(rates):,.0f}",
                f"{p50:.1f}",
                f"{p99:.1f}",
                f"{p99 / p50:.1f}" if p50 else "",
                f"{ratios[0]:.2f}",
                f"{ratios[1]:.2f}",
                str(sum(s.non_2xx for s in runs)),
                str(sum(s.socket_errors for s in runs)),
                str(sum(s.restarts for s in runs)),
            ]
        )
    return table


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def write_results(
    load: Load,
    tables: dict[str, list[list[str]]],
    cpu: dict[str, tuple[float, float, float]],
    memory: Memory | None,
    notes: list[str],
) -> None:
    wrk_line = " ".join(load.argv("wrk"))
    lines = [
        "# HTTP throughput and latency",
        "",
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {cpu_model()}, "
        f"{os.cpu_count()} cores (shared by wrk and the servers), Python "
        f"{platform.python_version()}, by `bench/http_bench.py`.",
        f"Load: `{wrk_line} URL` on 127.0.0.1, {load.rounds} round(s) interleaved (each round "
        "runs every scenario once; round r starts r-1 rows further down this table), after a "
        f"{load.warmup} s warm-up of each. Figures are medians over the rounds; the {TIMES} "
        "columns are the median of the per-round ratios of req/s (each scenario against the "
        "baseline in the same round); the range runs from the slowest round to the fastest. "
        "non-2xx, socket errors and worker restarts (workers gunicorn recycled, max_requests, "
        "while the row ran) are totals over the rounds.",
        "osnova: `osnova serve --workers 2` (gunicorn, gthread workers that share connections "
        "(`osnova.gunicorn_worker`), 4 threads per worker, max_requests 100000 + up to 100000), "
        "OSNOVA_ENV=production. Flask hello: the same gunicorn "
        "config (`deploy/gunicorn.conf.py`). FastAPI peer: uvicorn with uvloop and httptools, "
        f"2 workers, on the same database. Flask floor (SQLite only): `bench/peers/"
        "flask_floor.py` under the same gunicorn config, osnova's statements through sqlite3 "
        'with no extension, ORM or schema; "+ duties" adds osnova\'s request id, JSON log '
        "line, Prometheus metrics, security headers and Host check. "
        f"Data: {USERS:,} users, {ITEMS:,} public items.",
        "",
    ]
    header = (
        f"| scenario | req/s | req/s range | p50 ms | p99 ms | p99/p50 | {TIMES} Flask hello "
        f"| {TIMES} FastAPI peer | non-2xx | socket errors | worker restarts |"
    )
    for database, table in tables.items():
        lines += [
            f"## {database}",
            "",
            header,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        lines += ["| " + " | ".join(cells) + " |" for cells in table]
        busy, own, cores = cpu[database]
        lines += [
            "",
            f"CPU during the rounds, of {cores:,.0f} core-seconds: the bench (wrk and the "
            f"servers) used {own:,.0f} s, everything else on the machine "
            f"{max(busy - own, 0):,.0f} s"
            + (" (including PostgreSQL's server processes)" if database == "PostgreSQL" else "")
            + ".",
            "",
        ]
    if memory:
        start, first, last = (sum(sizes.values()) for _, sizes in memory.points)
        lines += [
            "## Worker memory (SQLite)",
            "",
            "gunicorn run directly (`-c deploy/gunicorn.conf.py --max-requests 0`, 2 workers) so "
            "no worker is recycled; RSS from /proc/PID/status of each worker, after the given "
            "number of `GET /api/v1/items?limit=20` (wrk, as above, in 5 s runs).",
            "",
            "| requests | RSS per worker MB | total MB |",
            "|---:|---|---:|",
        ]
        for sent, sizes in memory.points:
            each = ", ".join(f"{size:.1f}" for size in sizes.values())
            lines.append(f"| {sent:,} | {each} | {sum(sizes.values()):.1f} |")
        pids = {tuple(sorted(sizes)) for _, sizes in memory.points}
        same = "the same two workers throughout" if len(pids) == 1 else "workers changed (!)"
        lines += [
            "",
            f"Growth from {memory.points[1][0]:,} to {memory.points[2][0]:,} requests: "
            f"{(last - first) / first * 100:+.1f}% ({same}; at start {start:.1f} MB). "
            f"Throughput without recycling: {memory.rate:,.0f} req/s (median of the 5 s runs).",
            "",
        ]
    lines += [*notes, ""]
    (RESULTS / "http.md").write_text("\n".join(lines))


def chart(python: Path, tables: dict[str, list[list[str]]], load: Load) -> None:
    data = {
        "title": f"osnova over HTTP: wrk -c{load.connections} -d{load.duration}s, "
        f"median of {load.rounds} round(s), {os.cpu_count()} cores",
        "scenarios": [cells[0] for cells in next(iter(tables.values()))],
        "databases": {
            database: {cells[0]: float(cells[1].replace(",", "")) for cells in table}
            for database, table in tables.items()
        },
    }
    source = DATA / "http.json"
    source.write_text(json.dumps(data, indent=1))
    subprocess.run(  # noqa: S603
        [str(python), str(PEERS / "chart.py"), str(source), str(RESULTS / "http.png")],
        check=True,
        timeout=120,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rss-requests", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="2 s runs, 1 round (smoke test)")
    args = parser.parse_args()
    load = Load(args.connections, args.duration, args.rounds, warmup=2)
    rss_requests = args.rss_requests
    if args.quick:
        load = Load(args.connections, 2, 1, warmup=1)
        rss_requests = min(rss_requests, 5_000)
    # SIGTERM unwinds like Ctrl-C, so every server is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wrk = ensure_wrk()
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    python = peers_python()
    seeds = seed_files()
    sqlite = DATA / "http.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite}{suffix}").unlink(missing_ok=True)
    databases = {"SQLite": f"sqlite:///{sqlite}"}
    notes = []
    server = os.environ.get("OSNOVA_BENCH_POSTGRES_URL")
    admin = create_engine(server, isolation_level="AUTOCOMMIT") if server else None
    if server and admin:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
        databases["PostgreSQL"] = (
            make_url(server).set(database=PG_DATABASE).render_as_string(hide_password=False)
        )
    else:
        notes.append("PostgreSQL not measured: OSNOVA_BENCH_POSTGRES_URL is not set.")
    tables, cpu = {}, {}
    memory = None
    try:
        for label, url in databases.items():
            rows, samples, cpu[label] = bench_database(
                label, url, load=load, wrk=wrk, python=python, seeds=seeds
            )
            tables[label] = summarise(rows, samples)
            if label == "SQLite" and rss_requests:
                memory = memory_growth(url, load, wrk, rss_requests)
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            admin.dispose()
    write_results(load, tables, cpu, memory, notes)
    chart(python, tables, load)
    print((RESULTS / "http.md").read_text())


if __name__ == "__main__":
    main()
