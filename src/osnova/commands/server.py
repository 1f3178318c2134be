"""``osnova serve`` and ``osnova check``: run the site, and say what is unsafe before it runs."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import with_appcontext

from osnova.config import deployment_findings, load_settings
from osnova.services.reachability import unreachable_services


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--with-worker", is_flag=True, help="Also run the background job consumer (osnova worker)."
)
@with_appcontext
def serve(host: str, port: int, workers: int, with_worker: bool) -> None:
    """Serve the site with gunicorn (the configuration was checked when the app loaded)."""
    if with_worker:
        os.environ["OSNOVA_SERVE_WITH_WORKER"] = "1"
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:osnova.gunicorn_conf",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "osnova.wsgi:app",
    ]
    if sys.stderr.isatty():  # for a person at a terminal; logs read by programs stay JSON
        consumer = " and a job consumer" if with_worker else ""
        click.echo(
            f"osnova: serving on http://{host}:{port}/ with {workers} workers{consumer}", err=True
        )
    os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn


@click.command("check")
@click.option(
    "--deploy",
    is_flag=True,
    help="Check the settings for a production deployment, and that each service answers.",
)
def check(deploy: bool) -> None:
    """Report unsafe settings and services that do not answer; exits 1 when there is any
    (like Django's check --deploy)."""
    settings = load_settings()
    findings = [*deployment_findings(settings), *unreachable_services(settings)] if deploy else []
    for finding in findings:
        click.echo(f"{finding.setting}: {finding.problem}", err=True)
    if findings:
        click.echo(f"{len(findings)} problem(s) found", err=True)
        raise SystemExit(1)
    click.echo("no problems found" if deploy else "configuration loads; add --deploy for more")
