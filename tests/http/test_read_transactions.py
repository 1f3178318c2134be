"""A request that only read ends its transaction with COMMIT on PostgreSQL, so psycopg keeps
the statements it prepared; anything that wrote is still rolled back unless its view
committed it."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask, Response, request
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from osnova.database import end_read_only_transaction
from osnova.extensions import db
from osnova.models import Item, User
from tests.support import factories
from tests.support.factories import ItemFactory, UserFactory

# psycopg prepares a statement on its sixth run on one connection (prepare_threshold 5).
ENOUGH_RUNS = 8


def test_a_public_list_read_again_and_again_runs_prepared_on_postgresql(
    backend: str, make_app: Callable[..., Flask]
) -> None:
    if backend != "postgresql":
        pytest.skip("prepared statements are psycopg's; the other drivers keep none")
    app = make_app()
    factories.bind(db.session)
    with app.app_context():
        owner = UserFactory()
        ItemFactory(owner=owner, is_public=True)
        db.session.commit()
    client = app.test_client()
    for _ in range(ENOUGH_RUNS):
        assert client.get("/api/v1/items?limit=20").status_code == 200
    with app.app_context():
        # One connection served every request above (one thread, a pool that reuses it);
        # a rollback after each would have made psycopg drop what it had prepared.
        prepared = db.session.scalar(
            text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%items%'")
        )
    assert prepared is not None
    assert prepared >= 1


def _driver_in_transaction(session: Session) -> bool:
    """Whether PostgreSQL still has the session's transaction open (psycopg's own view)."""
    from psycopg import pq  # noqa: PLC0415 - PostgreSQL only

    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    return bool(raw.info.transaction_status != pq.TransactionStatus.IDLE)


def test_a_transaction_that_only_read_is_committed_on_postgresql(
    backend: str, session: Session
) -> None:
    if backend != "postgresql":
        pytest.skip("elsewhere the function leaves every transaction to the rollback")
    UserFactory(username="reader")
    session.commit()
    session.scalars(select(User)).all()
    assert _driver_in_transaction(session)
    end_read_only_transaction(session)
    assert not _driver_in_transaction(session)
    session.rollback()  # what the request's teardown does next: no error, nothing lost
    assert session.scalar(select(User.username)) == "reader"


def test_a_statement_that_wrote_is_not_committed_for_it(backend: str, session: Session) -> None:
    owner = UserFactory()
    session.commit()
    session.execute(text("UPDATE users SET full_name = 'Changed' WHERE id = :id"), {"id": owner.id})
    end_read_only_transaction(session)
    if backend == "postgresql":
        assert _driver_in_transaction(session)
    session.rollback()
    assert session.scalar(select(User.full_name).where(User.id == owner.id)) != "Changed"


def test_an_object_changed_but_not_flushed_is_not_written_for_it(session: Session) -> None:
    item = ItemFactory(owner=UserFactory(), title="Before")
    session.commit()
    session.scalars(select(Item)).all()
    item.title = "After"
    end_read_only_transaction(session)
    session.rollback()
    assert session.scalar(select(Item.title).where(Item.id == item.id)) == "Before"


def test_a_failed_statement_leaves_the_transaction_to_be_rolled_back(
    backend: str, session: Session
) -> None:
    UserFactory()
    session.commit()
    with pytest.raises(Exception, match="no_such_table"):
        session.execute(text("SELECT * FROM no_such_table"))
    end_read_only_transaction(session)
    if backend == "postgresql":
        assert _driver_in_transaction(session)  # no COMMIT of a failed transaction is tried
    session.rollback()
    assert session.scalar(select(User.id).limit(1)) is not None


def _connection_id(backend: str) -> int:
    """The server's id of the connection the request's session reads on."""
    query = "SELECT pg_backend_pid()" if backend == "postgresql" else "SELECT CONNECTION_ID()"
    found = db.session.scalar(text(query))
    assert found is not None
    return int(found)


def _kill_connection(database_url: str, backend: str, connection_id: int) -> None:
    """End a connection from the server's side, as a restarted or cut-off database does,
    and wait until it is gone."""
    engine = create_engine(database_url, poolclass=NullPool)
    if backend == "postgresql":
        kill, alive = "SELECT pg_terminate_backend(:id)", "pg_stat_activity WHERE pid = :id"
    else:
        kill, alive = "KILL :id", "information_schema.processlist WHERE id = :id"
    with engine.connect() as connection:
        connection.execute(text(kill), {"id": connection_id})
        deadline = time.monotonic() + 10
        while connection.scalar(text(f"SELECT count(*) FROM {alive}"), {"id": connection_id}):
            # A new transaction each time: PostgreSQL answers pg_stat_activity from a
            # snapshot kept until the transaction ends.
            connection.commit()
            assert time.monotonic() < deadline, "the server kept the connection"
            time.sleep(0.02)
    engine.dispose()


def test_a_read_whose_connection_breaks_after_its_answer_still_answers_and_frees_the_pool(
    backend: str, database_url: str, make_app: Callable[..., Flask]
) -> None:
    """The request's transaction is ended after the answer is made (COMMIT on PostgreSQL,
    ROLLBACK elsewhere). When the server dropped the connection in between, that fails: the
    answer still goes out whole, the broken connection leaves the pool, and the next request
    is served on a new one."""
    if backend == "sqlite":
        pytest.skip("a SQLite file has no connection a server could drop")
    app = make_app()
    factories.bind(db.session)
    with app.app_context():
        ItemFactory(owner=UserFactory(), title="Still listed", is_public=True)
        db.session.commit()

    @app.after_request
    def drop_the_connection(response: Response) -> Response:
        if request.headers.get("X-Drop-Connection"):
            _kill_connection(database_url, backend, _connection_id(backend))
        return response

    client = app.test_client()
    answer = client.get("/api/v1/items", headers={"X-Drop-Connection": "1"})
    assert answer.status_code == 200
    assert answer.json is not None
    assert [item["title"] for item in answer.json["items"]] == ["Still listed"]
    with app.app_context():
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    again = client.get("/api/v1/items")
    assert again.status_code == 200
    assert again.json is not None
    assert [item["title"] for item in again.json["items"]] == ["Still listed"]
