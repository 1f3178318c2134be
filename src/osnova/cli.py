"""The ``osnova`` command: Flask's CLI with osnova's app factory and one-line config errors."""

from __future__ import annotations

import sys

import click
from flask import current_app, has_app_context
from flask.cli import FlaskGroup, ScriptInfo

from osnova.app import create_app
from osnova.commands.migrations import init_migrations
from osnova.config import ConfigError

MIGRATIONS = "db"


class OsnovaGroup(FlaskGroup):
    """Flask's group, loading only what the command needs: Flask-Migrate when ``db`` is asked
    for, entry-point plugins (APIFlask's ``spec``, Flask-Limiter's ``limiter``, which imports
    rich: ~0.1 s) only for a command the app does not define itself."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), MIGRATIONS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        app = ctx.ensure_object(ScriptInfo).load_app()
        if name == MIGRATIONS:
            init_migrations(app)
        command = app.cli.commands.get(name)
        if command is None or name in self.commands:
            return super().get_command(ctx, name)
        if not has_app_context() or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            ctx.with_resource(app.app_context())  # as Flask does for the app's commands
        return command


@click.group(cls=OsnovaGroup, create_app=create_app, load_dotenv=False, add_version_option=False)
def cli() -> None:
    """osnova: serve the site, migrate the database, manage accounts and data."""


def main() -> None:
    try:
        cli.main(prog_name="osnova")
    except ConfigError as exc:
        click.echo(f"osnova: error: {exc}", err=True)
        sys.exit(2)
