"""The migrations are the schema: models and migrated databases must agree everywhere."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from osnova import create_app
from osnova.commands.migrations import init_migrations
from osnova.database import include_in_autogenerate
from osnova.extensions import db
from tests.support.databases import make_settings


def test_migrated_schema_matches_the_models(app: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_in_autogenerate}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_downgrade_to_nothing_and_upgrade_again(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path))
    init_migrations(app)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        upgrade()
        assert {"users", "items", "api_tokens", "remembered_devices", "audit_events"} <= set(
            inspect(db.engine).get_table_names()
        )
        db.engine.dispose()


def test_sqlite_connections_use_foreign_keys_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path))
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
