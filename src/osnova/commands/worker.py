"""``osnova worker``: the consumer of background jobs (mail, big imports, housekeeping).

It runs huey's consumer on the app's queue (SQLite in the instance folder, or Redis), with
thread or process workers. Before it takes jobs it queues again any import a killed consumer
left running. SIGINT stops it after the running jobs finish; SIGTERM stops it at once (an
interrupted import is rolled back and runs again later).
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from osnova.commands.common import fail
from osnova.jobs import job_queue, storage_label


@click.command("worker")
@click.option("--workers", type=click.IntRange(1, 64), help="Default: OSNOVA_JOB_WORKERS (2).")
@click.option(
    "--worker-type",
    type=click.Choice(["thread", "process"]),
    help="Default: OSNOVA_JOB_WORKER_TYPE (thread).",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=0,
    envvar="OSNOVA_WORKER_METRICS_PORT",
    help="Serve this worker's job metrics on 127.0.0.1:PORT/metrics (0: off).",
)
@with_appcontext
def worker(workers: int | None, worker_type: str | None, metrics_port: int) -> None:
    """Run background jobs until stopped."""
    queue = job_queue(current_app)
    settings = queue.settings
    if settings.runs_jobs_immediately:
        fail("jobs run where they are queued (OSNOVA_JOBS_IMMEDIATE): there is nothing to consume")
    if metrics_port:
        from prometheus_client import start_http_server  # noqa: PLC0415

        start_http_server(metrics_port, addr="127.0.0.1")
    # Imports a killed consumer left running: those already silent now, and (once their
    # heartbeat has had time to go stale) those it was running a moment ago.
    queue.recover_stalled_imports()
    queue.enqueue("recover_imports", delay=settings.import_stall_seconds + 1)
    count = workers or settings.job_workers
    kind = worker_type or settings.job_worker_type
    click.echo(
        f"osnova: running jobs from {storage_label(settings)} with {count} {kind} worker(s)",
        err=True,
    )
    consumer = queue.huey.create_consumer(
        workers=count,
        worker_type=kind,
        periodic=True,
        initial_delay=min(0.1, settings.job_poll_seconds),
        max_delay=settings.job_poll_seconds,
        check_worker_health=True,
    )
    consumer.run()
