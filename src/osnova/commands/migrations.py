"""Flask-Migrate for ``osnova db …``, bound to the app only when that command runs.

Alembic (and through it every SQLAlchemy dialect, Mako and Pygments) costs about a tenth of a
second to import; web workers and the other commands never need it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from osnova.database import include_in_autogenerate
from osnova.extensions import db

MIGRATIONS_DIR = Path(__file__).parents[1] / "migrations"


def init_migrations(app: Flask) -> None:
    """Bind Flask-Migrate to ``app`` (once), as its commands and ``flask_migrate.upgrade`` need."""
    if "migrate" in app.extensions:
        return
    # Alembic announces each of its plugins at INFO while it is imported, which now happens
    # after logging is set up: the migrations' own messages are enough.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from flask_migrate import Migrate  # noqa: PLC0415 - see the module docstring

    Migrate().init_app(
        app,
        db,
        directory=str(MIGRATIONS_DIR),
        compare_type=True,
        include_object=include_in_autogenerate,
    )
