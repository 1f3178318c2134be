"""Who may do what through the API, as one table: role x operation → status.

The actors are: nobody (anonymous), the owner of the item ("user"), another plain user,
a moderator and an admin. The item is private, so to a stranger it does not exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from osnova.models import User
from tests.support.clients import bearer, token_for
from tests.support.factories import ItemFactory, UserFactory

ACTORS = ("anonymous", "user", "other", "moderator", "admin")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, object] | None = None


# operation → expected status per actor, in the order of ACTORS.
TABLE: dict[str, tuple[Call, tuple[int, ...]]] = {
    "register": (
        Call(
            "POST",
            "/api/v1/users",
            {
                "username": "fresh",
                "email": "fresh@example.org",
                "password": "a long and unusual passphrase",
            },
        ),
        (202, 202, 202, 202, 202),
    ),
    "get me": (Call("GET", "/api/v1/users/me"), (401, 200, 200, 200, 200)),
    "patch me": (
        Call("PATCH", "/api/v1/users/me", {"full_name": "New"}),
        (401, 200, 200, 200, 200),
    ),
    "list users": (Call("GET", "/api/v1/users"), (401, 403, 403, 403, 200)),
    "get user": (Call("GET", "/api/v1/users/target"), (401, 403, 403, 403, 200)),
    "patch user": (
        Call("PATCH", "/api/v1/users/target", {"role": "moderator"}),
        (401, 403, 403, 403, 200),
    ),
    "delete user": (Call("DELETE", "/api/v1/users/target"), (401, 403, 403, 403, 204)),
    "list items": (Call("GET", "/api/v1/items"), (200, 200, 200, 200, 200)),
    "list owner's items": (Call("GET", "/api/v1/items?owner=owner"), (200, 200, 200, 200, 200)),
    "create item": (Call("POST", "/api/v1/items", {"title": "New"}), (401, 201, 201, 201, 201)),
    "get private item": (Call("GET", "/api/v1/items/{private}"), (404, 200, 404, 200, 200)),
    "get public item": (Call("GET", "/api/v1/items/{public}"), (200, 200, 200, 200, 200)),
    "patch private item": (
        Call("PATCH", "/api/v1/items/{private}", {"title": "Changed"}),
        (401, 200, 404, 200, 200),
    ),
    "patch public item": (
        Call("PATCH", "/api/v1/items/{public}", {"title": "Changed"}),
        (401, 200, 403, 200, 200),
    ),
    "delete private item": (Call("DELETE", "/api/v1/items/{private}"), (401, 204, 404, 204, 204)),
    "delete public item": (Call("DELETE", "/api/v1/items/{public}"), (401, 204, 403, 204, 204)),
}
CELLS = [
    pytest.param(operation, actor, expected[i], id=f"{operation}-{actor}")
    for operation, (_, expected) in TABLE.items()
    for i, actor in enumerate(ACTORS)
]


@pytest.mark.parametrize(("operation", "actor", "expected"), CELLS)
def test_access(client: FlaskClient, operation: str, actor: str, expected: int) -> None:
    owner = UserFactory(username="owner")
    users: dict[str, User] = {
        "user": owner,
        "other": UserFactory(username="other"),
        "moderator": UserFactory(username="mod", role="moderator"),
        "admin": UserFactory(username="boss", role="admin"),
    }
    UserFactory(username="target")
    private = ItemFactory(owner=owner, is_public=False)
    public = ItemFactory(owner=owner, is_public=True)
    call, _ = TABLE[operation]
    path = call.path.format(private=private.id, public=public.id)
    headers = bearer(token_for(users[actor])) if actor != "anonymous" else {}
    response = client.open(path, method=call.method, json=call.body, headers=headers)
    assert response.status_code == expected, response.get_data(as_text=True)
