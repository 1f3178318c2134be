"""The ``osnova`` command: Flask's CLI with osnova's app factory and one-line config errors."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from osnova.app import create_app
from osnova.config import ConfigError


@click.group(cls=FlaskGroup, create_app=create_app, load_dotenv=False, add_version_option=False)
def cli() -> None:
    """osnova: serve the site, migrate the database, manage accounts and data."""


def main() -> None:
    try:
        cli.main(prog_name="osnova")
    except ConfigError as exc:
        click.echo(f"osnova: error: {exc}", err=True)
        sys.exit(2)
