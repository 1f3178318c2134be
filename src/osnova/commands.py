"""Terminal commands of the ``osnova`` CLI that need the app: serve, create-admin, seed-demo.

Each parses its options, calls one service and prints the result; a domain error becomes one
line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from flask.cli import with_appcontext
from pydantic import ValidationError

from osnova.config import load_settings
from osnova.deploy_check import deployment_findings
from osnova.errors import DomainError
from osnova.extensions import current_settings, db
from osnova.models import Role
from osnova.schemas import UserCreate
from osnova.services import accounts, demo

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> None:
    click.echo(f"osnova: error: {message}", err=True)
    raise SystemExit(code)


def reports_errors(command: F) -> F:
    """Turn domain and validation errors into one clear stderr line and exit code 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DomainError as exc:
            fail(exc.message)
        except ValidationError as exc:
            details = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            fail(details)
        return None

    return wrapper  # type: ignore[return-value]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@with_appcontext
def serve(host: str, port: int, workers: int) -> None:
    """Serve the site with gunicorn (the configuration was checked when the app loaded)."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--no-control-socket",
        # Room for a full query string of multi-byte characters (gunicorn's maximum).
        "--limit-request-line",
        "8190",
        "--access-logfile",
        "-",
        "osnova.wsgi:app",
    ]
    click.echo(f"osnova: serving on http://{host}:{port}/ with {workers} workers", err=True)
    os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        fail("no terminal to ask for the password: pipe it in with --password-stdin")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@click.command("create-admin")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--full-name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@reports_errors
def create_admin(username: str, email: str, full_name: str, password_stdin: bool) -> None:
    """Create an administrator account."""
    password = _read_password(password_stdin)
    data = UserCreate(username=username, email=email, full_name=full_name, password=password)
    user = accounts.create_user(
        session=db.session(), settings=current_settings(), data=data, role=Role.ADMIN
    )
    db.session.commit()
    click.echo(f"created admin {user.username} <{user.email}>")


@click.command("seed-demo")
@with_appcontext
@reports_errors
def seed_demo() -> None:
    """Add demo accounts and items (does nothing when they exist)."""
    result = demo.seed_demo(session=db.session(), settings=current_settings())
    if not result.created:
        click.echo(
            f"demo data already present; sign in as '{result.admin_username}' with the password "
            "printed when it was created (or run create-admin)"
        )
        return
    click.echo("demo data created")
    click.echo(f"demo admin: {result.admin_username}")
    click.echo(f"demo admin password (shown once): {result.admin_password}")


@click.command("check")
@click.option("--deploy", is_flag=True, help="Check the settings for a production deployment.")
def check(deploy: bool) -> None:
    """Report unsafe settings; exits 1 when there is any (like Django's check --deploy)."""
    settings = load_settings()
    findings = deployment_findings(settings) if deploy else []
    for finding in findings:
        click.echo(f"{finding.setting}: {finding.problem}", err=True)
    if findings:
        click.echo(f"{len(findings)} problem(s) found", err=True)
        raise SystemExit(1)
    click.echo("no problems found" if deploy else "configuration loads; add --deploy for more")


ALL = (serve, create_admin, seed_demo, check)
