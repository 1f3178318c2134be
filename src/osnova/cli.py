"""The ``osnova`` command: Flask's CLI with osnova's app factory and one-line config errors."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app, has_app_context
from flask.cli import FlaskGroup, ScriptInfo

MIGRATIONS = "db"
SETTINGS_KEY = "osnova.settings"  # as in osnova.extensions, which imports the app's stack
DEVELOPMENT_SERVER = "run"
# What ``osnova --help`` lists. It is written here so that the help needs neither the app nor
# any command's module: building the app imports nearly everything (about 1.5 s). A test keeps
# it equal to the commands' own help.
SUMMARIES = {
    "check": "Report unsafe settings and services that do not answer; exits 1 when there is "
    "any (like Django's check --deploy).",
    "collect-static": "Copy the static files, also under fingerprinted names, into DESTINATION.",
    "create-admin": "Create an administrator account.",
    "db": "Perform database migrations.",
    "export": "Export users or items as CSV, JSON or JSON Lines to a file or standard output.",
    "import": "Import users or items from a CSV, JSON or JSON Lines file (all rows or none).",
    "limiter": "Flask-Limiter maintenance & utility commands",
    "routes": "Show the routes for the app.",
    "run": "Run a development server.",
    "seed-demo": "Add demo accounts and items (does nothing when they exist).",
    "serve": "Serve the site with gunicorn (the configuration was checked when the app loaded).",
    "shell": "Run a shell in the app context.",
    "spec": "Show the OpenAPI spec.",
    "tokens": "Manage an account's API tokens.",
    "worker": "Run background jobs until stopped.",
}


def create_app() -> Flask:
    """The app, imported only when a command runs (``--help`` does without it)."""
    from osnova.app import create_app as build  # noqa: PLC0415

    return build()


class OsnovaGroup(FlaskGroup):
    """Flask's group, loading only what the command needs: no app for ``--help``,
    Flask-Migrate when ``db`` is asked for, entry-point plugins (APIFlask's ``spec``,
    Flask-Limiter's ``limiter``) only for a command the app does not define itself."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUMMARIES)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in SUMMARIES)
        rows = [(name, _shortened(SUMMARIES[name], limit)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from osnova.commands.migrations import init_migrations  # noqa: PLC0415

        app = ctx.ensure_object(ScriptInfo).load_app()
        if name == DEVELOPMENT_SERVER and app.extensions[SETTINGS_KEY].is_production:
            # Werkzeug's server (with its debugger on a flag of its own) is for development.
            from osnova.config import ConfigError  # noqa: PLC0415

            raise ConfigError(
                "refusing to start in production: osnova run is Flask's development server; "
                "serve with osnova serve (gunicorn)"
            )
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


def _shortened(text: str, limit: int) -> str:
    """As click shortens a command's help for the list: whole words, then an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 3].rsplit(" ", 1)[0].rstrip(" ,;") + "..."


def main() -> None:
    try:
        cli.main(prog_name="osnova")
    except Exception as exc:
        message, code = _one_line(exc)
        if message is None:
            raise
        click.echo(f"osnova: error: {message}", err=True)
        sys.exit(code)


def _one_line(exc: Exception) -> tuple[str | None, int]:
    """A configuration error, or a database that cannot be opened or reached, as one line
    instead of a traceback (imported here: ``--help`` needs neither)."""
    from sqlalchemy.exc import OperationalError  # noqa: PLC0415

    from osnova.config import ConfigError  # noqa: PLC0415

    if isinstance(exc, ConfigError):
        return str(exc), 2
    if isinstance(exc, OperationalError):
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        return f"cannot use the database {_database_named()}: {reason}", 1
    return None, 1


def _database_named() -> str:
    """The configured database: a SQLite file's path, else the URL without its password."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    from osnova.config import load_settings  # noqa: PLC0415

    try:
        resolved = make_url(load_settings().resolved_database_url())
    except Exception:  # the settings themselves may be what is wrong
        return "(see OSNOVA_DATABASE_URL)"
    if resolved.get_backend_name() == "sqlite":
        return str(resolved.database)
    return resolved.render_as_string(hide_password=True)
