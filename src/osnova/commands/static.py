"""``osnova collect-static DEST``: the static files, fingerprinted, in the folder nginx serves."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from osnova.commands.common import fail, reports_errors
from osnova.services import static_files


@click.command("collect-static")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
@reports_errors
def collect_static(destination: Path) -> None:
    """Copy the static files, also under fingerprinted names, into DESTINATION."""
    if current_app.static_folder is None:
        fail("this app has no static folder")
    report = static_files.collect(source=Path(current_app.static_folder), destination=destination)
    click.echo(
        f"{report.files} static files in {destination}, {report.copied} new fingerprinted; "
        f"manifest {static_files.MANIFEST_NAME}"
    )
