"""``osnova create-admin`` and ``osnova seed-demo``: accounts from the terminal."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from osnova.commands.common import fail, reports_errors
from osnova.extensions import current_settings, db
from osnova.models import Role
from osnova.schemas import UserCreate
from osnova.services import accounts, demo


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
    db.session.commit()
    if not result.created:
        click.echo(
            f"demo data already present; sign in as '{result.admin_username}' with the password "
            "printed when it was created (or run create-admin)"
        )
        return
    click.echo("demo data created")
    click.echo(f"demo admin: {result.admin_username}")
    click.echo(f"demo admin password (shown once): {result.admin_password}")
