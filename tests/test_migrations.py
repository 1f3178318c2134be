"""The migrations are the schema: models and migrated databases must agree everywhere."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import column, func, insert, inspect, select, table, text

from osnova import create_app
from osnova.commands.migrations import init_migrations
from osnova.database import include_in_autogenerate
from osnova.extensions import db
from osnova.models import ApiToken, Item, User
from osnova.services import items as items_service
from tests.support.databases import (
    SERVER_URL_VARIABLES,
    create_server_database,
    drop_server_database,
    make_settings,
)


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


def _old_rows() -> None:
    """An account with two items and a token, written as a 0008 database held them."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    connection = db.session.connection()
    users = table(
        "users",
        *(column(name) for name in ("username", "email", "full_name", "role")),
        column("is_active"),
        column("created_at"),
        column("session_version"),
    )
    items = table(
        "items",
        column("owner_id"),
        column("title"),
        column("description"),
        column("is_public"),
        column("created_at"),
        column("updated_at"),
    )
    tokens = table(
        "api_tokens", column("user_id"), column("name"), column("token_hash"), column("created_at")
    )
    connection.execute(
        insert(users).values(
            username="ann",
            email="ann@example.org",
            full_name="",
            role="user",
            is_active=True,
            created_at=at.replace(tzinfo=None),
            session_version=0,
        )
    )
    owner = connection.execute(text("SELECT id FROM users")).scalar_one()
    for title in ("Brass compass", "Oil lamp"):
        connection.execute(
            insert(items).values(
                owner_id=owner,
                title=title,
                description="",
                is_public=True,
                created_at=at.replace(tzinfo=None),
                updated_at=at.replace(tzinfo=None),
            )
        )
    connection.execute(
        insert(tokens).values(
            user_id=owner, name="t", token_hash="h" * 64, created_at=at.replace(tzinfo=None)
        )
    )
    db.session.commit()


@contextmanager
def _fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    admin_url = os.environ[SERVER_URL_VARIABLES[backend]]
    name = f"osnova_upgrade_{uuid4().hex[:12]}"
    url = create_server_database(admin_url, name)
    try:
        yield url
    finally:
        drop_server_database(admin_url, name)


def test_upgrading_to_0009_keeps_every_row_and_gives_each_item_a_key(
    backend: str, tmp_path: Path
) -> None:
    with _fresh_database(backend, tmp_path) as url:
        app = create_app(make_settings(url, tmp_path / "instance"))
        init_migrations(app)
        with app.app_context():
            upgrade(revision="0008")
            _old_rows()
            upgrade()
            session = db.session()
            assert session.scalar(select(func.count()).select_from(ApiToken)) == 1
            items = session.scalars(select(Item).order_by(Item.id)).all()
            assert [item.title for item in items] == ["Brass compass", "Oil lamp"]
            keys = {item.external_id for item in items}
            assert len(keys) == 2
            assert all(len(key) == 32 for key in keys)
            page = items_service.list_items(session=session, actor=None, q="compass")
            assert [item.title for item in page.items] == ["Brass compass"]
            newest = items[-1].id
            session.delete(items[-1])
            session.commit()
            owner = session.scalars(select(User)).one()
            session.add(Item(owner=owner, title="New"))
            session.commit()
            assert session.scalar(select(func.max(Item.id))) == newest + 1
            if backend == "sqlite":
                tables = session.execute(
                    text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
                ).all()
                for name, sql in tables:
                    if name in ID_TABLES:
                        assert "AUTOINCREMENT" in sql, name
            db.session.remove()
            db.engine.dispose()


ID_TABLES = {
    table.name
    for table in db.metadata.sorted_tables
    if table.dialect_kwargs.get("sqlite_autoincrement")
}


def test_every_table_with_an_id_people_see_never_reuses_one() -> None:
    visible = {"users", "items", "api_tokens", "remembered_devices", "audit_events", "import_jobs"}
    assert visible == ID_TABLES
