"""The ``osnova`` command: Flask's CLI with osnova's app factory and one-line config errors."""

from __future__ import annotations

import sys

import click
from flask import current_app, has_app_context
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

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
    except OperationalError as exc:
        # A database that cannot be opened or reached: one line naming it, not a traceback.
        where = _database_named()
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        click.echo(f"osnova: error: cannot use the database {where}: {reason}", err=True)
        sys.exit(1)


def _database_named() -> str:
    """The configured database: a SQLite file's path, else the URL without its password."""
    from osnova.config import load_settings  # noqa: PLC0415 - only on this error path

    try:
        resolved = make_url(load_settings().resolved_database_url())
    except Exception:  # the settings themselves may be what is wrong
        return "(see OSNOVA_DATABASE_URL)"
    if resolved.get_backend_name() == "sqlite":
        return str(resolved.database)
    return resolved.render_as_string(hide_password=True)
