"""An id is never given out twice, not even after a restart: a deleted item's URL never shows
someone else's new item, and a deleted account's id is never another's."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from osnova.extensions import db
from osnova.models import User
from tests.support import factories
from tests.support.clients import bearer, token_for
from tests.support.factories import UserFactory


def new_item(client: FlaskClient, headers: dict[str, str], title: str) -> int:
    response = client.post("/api/v1/items", json={"title": title}, headers=headers)
    assert response.status_code == 201, response.text
    item_id = response.get_json()["id"]
    assert isinstance(item_id, int)
    return item_id


def delete_item(client: FlaskClient, headers: dict[str, str], item_id: int) -> None:
    assert client.delete(f"/api/v1/items/{item_id}", headers=headers).status_code == 204


def test_the_id_of_a_deleted_item_is_never_given_again(
    app: Flask, make_app: Callable[..., Flask]
) -> None:
    client = app.test_client()
    secret = token_for(UserFactory(username="olena"))
    olena = bearer(secret)
    first = new_item(client, olena, "Brass compass")
    newest = new_item(client, olena, "Oil lamp")
    delete_item(client, olena, newest)
    again = new_item(client, olena, "Someone's new thing")
    assert again > newest > first
    assert client.get(f"/api/v1/items/{newest}", headers=olena).status_code == 404

    # A restart: a new app with a new engine on the same database.
    db.session.remove()
    db.engine.dispose()
    restarted = make_app().test_client()
    delete_item(restarted, olena, again)
    after_restart = new_item(restarted, olena, "After the restart")
    assert after_restart > again
    assert restarted.get(f"/api/v1/items/{again}", headers=olena).status_code == 404


def add_user(application: Flask, username: str) -> int:
    with application.app_context():
        factories.bind(db.session)
        return UserFactory(username=username).id


def remove_user(application: Flask, user_id: int) -> None:
    with application.app_context():
        session = db.session()
        session.delete(session.get(User, user_id))
        session.commit()


def test_the_id_of_a_deleted_account_is_never_given_again(
    app: Flask, make_app: Callable[..., Flask]
) -> None:
    ann = add_user(app, "ann")
    remove_user(app, ann)
    bob = add_user(app, "bob")
    assert bob > ann
    db.session.remove()
    db.engine.dispose()
    restarted = make_app()
    remove_user(restarted, bob)
    assert add_user(restarted, "carol") > bob
