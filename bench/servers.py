"""osnova under three servers: gunicorn with osnova's worker, gunicorn's stock gthread, granian.

Run with ``.venv/bin/python bench/servers.py`` (about 6 minutes); see docs/performance.md. The
same SQLite database as bench/http_bench.py (1,000 users, 100,000 public items), the same wrk
load, rounds interleaved. granian comes from its own virtualenv, ``bench/.venv-servers`` (the
app's locked dependencies, the app itself and ``servers-requirements.txt``), so it is never a
dependency of the app. Writes bench/results/servers.md. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from http_bench import (
    GUNICORN,
    GUNICORN_CONF,
    RESULTS,
    UV,
    Load,
    Sample,
    Scenario,
    cpu_model,
    ensure_wrk,
    free_port,
    prepare_database,
    run_wrk,
    seed_files,
    server_env,
    serving,
    wrk_argv,
)

from transfer import DATA, OSNOVA, ROOT

SERVERS_VENV = ROOT / "bench" / ".venv-servers"
SCENARIOS = [
    Scenario("API: first 20 items", "", "/api/v1/items?limit=20"),
    Scenario("HTML: /items", "", "/items"),
]


def granian_python() -> Path:
    """A virtualenv with the app as uv.lock pins it, plus granian."""
    python = SERVERS_VENV / "bin" / "python"
    env = os.environ | {"UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": str(SERVERS_VENV)}
    locked = DATA / "servers-app-requirements.txt"
    if not python.exists():
        uv = [str(UV), "venv", "--quiet", "--python", sys.executable, str(SERVERS_VENV)]
        subprocess.run(uv, env=env, check=True)  # noqa: S603
    export = [str(UV), "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes"]
    subprocess.run([*export, "--quiet", "-o", str(locked)], cwd=ROOT, env=env, check=True)  # noqa: S603
    install = [str(UV), "pip", "install", "--quiet", "--python", str(python)]
    requirements = ROOT / "bench" / "servers-requirements.txt"
    subprocess.run([*install, "-r", str(locked), "-r", str(requirements)], env=env, check=True)  # noqa: S603
    subprocess.run([*install, "--no-deps", str(ROOT)], env=env, check=True)  # noqa: S603
    return python


def commands(port: int, granian: Path) -> dict[str, list[str]]:
    return {
        "gunicorn, osnova's worker (osnova serve)": [
            *(OSNOVA, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"),
        ],
        "gunicorn, stock gthread": [
            *(GUNICORN, "-c", GUNICORN_CONF, "--worker-class", "gthread", "osnova.wsgi:app"),
        ],
        "granian (WSGI, 2 workers, 4 threads each)": [
            str(granian.parent / "granian"),
            *("--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", "2", "--blocking-threads", "4", "--access-log", "osnova.wsgi:app"),
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    load = Load(64, args.duration, args.rounds, warmup=2)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wrk = ensure_wrk()
    DATA.mkdir(parents=True, exist_ok=True)
    granian = granian_python()
    database = DATA / "servers.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    prepare_database(url, *seed_files())
    samples: dict[tuple[str, str], list[Sample]] = {}
    with ExitStack() as stack:
        servers = {}
        for name in commands(0, granian):
            port = free_port()
            argv = commands(port, granian)[name]
            env = server_env(
                url,
                OSNOVA_BIND=f"127.0.0.1:{port}",
                OSNOVA_WORKERS="2",
                PROMETHEUS_MULTIPROC_DIR=str(DATA / f"servers-metrics-{port}"),
            )
            label = "servers-" + name.split(",")[0].split(" ")[0] + f"-{port}"
            servers[name] = stack.enter_context(serving(label, argv, env, port, "/healthz"))
        for server in servers.values():
            for scenario in SCENARIOS:
                run_wrk(wrk_argv(load, wrk, scenario, server.base, load.warmup), load.warmup)
        for number in range(load.rounds):
            for name, server in servers.items():
                for scenario in SCENARIOS:
                    sample = run_wrk(
                        wrk_argv(load, wrk, scenario, server.base, load.duration), load.duration
                    )
                    samples.setdefault((name, scenario.name), []).append(sample)
                    print(
                        f"round {number + 1}: {name}: {scenario.name}: {sample.rate:,.0f} req/s",
                        file=sys.stderr,
                    )
    write(load, samples)


def write(load: Load, samples: dict[tuple[str, str], list[Sample]]) -> None:
    lines = [
        "# osnova under three servers",
        "",
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {cpu_model()}, "
        f"{os.cpu_count()} cores, by `bench/servers.py`: 1,000 users and 100,000 public items "
        f"on SQLite, `{' '.join(load.argv('wrk'))} URL`, {load.rounds} rounds interleaved "
        "(every server and scenario once per round). req/s is the median over the rounds and "
        "the range runs from the slowest round to the fastest; p50 and p99 are medians.",
        "",
        "| server | scenario | req/s | req/s range | p50 ms | p99 ms | non-2xx |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (server, scenario), runs in samples.items():
        rates = [s.rate for s in runs]
        lines.append(
            f"| {server} | {scenario} | {statistics.median(rates):,.0f} | "
            f"{min(rates):,.0f} to {max(rates):,.0f} | "
            f"{statistics.median(s.p50 for s in runs):.1f} | "
            f"{statistics.median(s.p99 for s in runs):.1f} | {sum(s.non_2xx for s in runs)} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "servers.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
