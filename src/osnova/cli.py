"""The ``osnova`` command: Flask's CLI with osnova's app factory and one-line config errors."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, ScriptInfo

from osnova.app import create_app
from osnova.config import ConfigError
from osnova.migration_commands import init_migrations

MIGRATIONS = "db"


class OsnovaGroup(FlaskGroup):
    """Flask's group, with Flask-Migrate's ``db`` commands loaded when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), MIGRATIONS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == MIGRATIONS:
            init_migrations(ctx.ensure_object(ScriptInfo).load_app())
        return super().get_command(ctx, name)


@click.group(cls=OsnovaGroup, create_app=create_app, load_dotenv=False, add_version_option=False)
def cli() -> None:
    """osnova: serve the site, migrate the database, manage accounts and data."""


def main() -> None:
    try:
        cli.main(prog_name="osnova")
    except ConfigError as exc:
        click.echo(f"osnova: error: {exc}", err=True)
        sys.exit(2)
