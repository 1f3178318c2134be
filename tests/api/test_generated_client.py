"""A Python client generated from the served OpenAPI document works against a real server.

``openapi-python-client`` builds the client from ``/api/v1/openapi.json`` of a live gunicorn
into a temporary package; the test imports it and uses it as a client application would:
sign in for a token, then create, read, page through, change and delete items and accounts.
Every answer must arrive as the documented model, never ``None``.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.live import served_with_admin

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "osnova_api_client"
ADMIN_PASSWORD = "generated client admin passphrase"


class GeneratedClient:
    """The generated package, its modules found by name: ``api("items.list_items")``."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.models: Any = importlib.import_module(f"{package}.models")
        self.client: Any = importlib.import_module(f"{package}.client")

    def api(self, name: str) -> Any:
        return importlib.import_module(f"{self.package}.api.{name}")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_with_admin(tmp_path_factory.mktemp("client-server"), "boss", ADMIN_PASSWORD) as url:
        yield url


@pytest.fixture(scope="module")
def generated(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedClient]:
    """The client generated from the live server's document, importable for this module."""
    root = tmp_path_factory.mktemp("generated")
    # The generator formats its output with ruff, found on PATH like any installed tool.
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--url",
            f"{base_url}/api/v1/openapi.json",
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(root))
    try:
        yield GeneratedClient(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
            del sys.modules[name]


@contextmanager
def signed_in(
    generated: GeneratedClient, base_url: str, username: str, password: str
) -> Iterator[Any]:
    """An authenticated client, holding a token created with the generated client itself."""
    with anonymous_client(generated, base_url) as anonymous:
        body = generated.models.TokenRequest(username=username, password=password, name="client")
        issued = generated.api("tokens.create_token").sync(client=anonymous, body=body)
    assert isinstance(issued, generated.models.TokenIssued)
    assert issued.token.startswith("osn_")
    with generated.client.AuthenticatedClient(
        base_url=base_url, token=issued.token, raise_on_unexpected_status=True
    ) as client:
        yield client


def anonymous_client(generated: GeneratedClient, base_url: str) -> Any:
    return generated.client.Client(base_url=base_url, raise_on_unexpected_status=True)


def test_the_generated_client_manages_items_and_pages_with_the_cursor(
    generated: GeneratedClient, base_url: str
) -> None:
    models = generated.models
    titles = [f"Compass {n}" for n in range(5)]
    with signed_in(generated, base_url, "boss", ADMIN_PASSWORD) as client:
        create_item = generated.api("items.create_item")
        created = [
            create_item.sync(client=client, body=models.ItemCreate(title=title, is_public=True))
            for title in titles
        ]
        assert all(isinstance(item, models.ItemPublic) for item in created)
        assert [item.title for item in created] == titles
        assert {item.owner for item in created} == {"boss"}

        pages = all_pages(generated.api("items.list_items"), client, owner="boss")
        assert all(isinstance(page, models.ItemPage) for page in pages)
        assert [len(page.items) for page in pages] == [2, 2, 1]
        listed = [item.title for page in pages for item in page.items]
        assert listed == titles[::-1]  # newest first, each once

        item_id = created[0].id
        read = generated.api("items.get_item").sync(item_id, client=client)
        assert isinstance(read, models.ItemPublic)
        assert (read.id, read.title, read.is_public) == (item_id, "Compass 0", True)

        change = models.ItemUpdate(title="Brass compass", is_public=False)
        changed = generated.api("items.update_item").sync(item_id, client=client, body=change)
        assert isinstance(changed, models.ItemPublic)
        assert (changed.title, changed.is_public) == ("Brass compass", False)

        deleted = generated.api("items.delete_item").sync_detailed(item_id, client=client)
        assert deleted.status_code == 204
        gone = generated.api("items.get_item").sync_detailed(item_id, client=client)
        assert gone.status_code == 404
        assert isinstance(gone.parsed, models.Problem)
        assert gone.parsed.status == 404


def test_the_generated_client_registers_and_administers_accounts(
    generated: GeneratedClient, base_url: str
) -> None:
    models = generated.models
    password = "a client of my own making"
    register = generated.api("users.register_user")
    with anonymous_client(generated, base_url) as anonymous:
        for name in ("anna", "bohdan", "cyril"):
            body = models.UserCreate(
                username=name,
                email=f"{name}@example.org",
                full_name=name.title(),
                password=password,
            )
            assert isinstance(register.sync(client=anonymous, body=body), models.Registered)
        taken = models.UserCreate(username="anna", email="anna2@example.org", password=password)
        clash = register.sync_detailed(client=anonymous, body=taken)
        assert clash.status_code == 409
        assert isinstance(clash.parsed, models.Problem)

    with signed_in(generated, base_url, "anna", password) as anna:
        me = generated.api("users.get_current_user").sync(client=anna)
        assert isinstance(me, models.UserPrivate)
        assert (me.username, me.role) == ("anna", models.Role.USER)
        revoked = generated.api("tokens.revoke_current_token").sync_detailed(client=anna)
        assert revoked.status_code == 204
        refused = generated.api("users.get_current_user").sync_detailed(client=anna)
        assert refused.status_code == 401

    with signed_in(generated, base_url, "boss", ADMIN_PASSWORD) as admin:
        pages = all_pages(generated.api("users.list_users"), admin)
        assert all(isinstance(page, models.UserPage) for page in pages)
        listed = [user.username for page in pages for user in page.items]
        assert listed == ["anna", "bohdan", "boss", "cyril"]

        account = generated.api("users.get_user").sync("bohdan", client=admin)
        assert isinstance(account, models.UserPrivate)
        assert (account.email, account.is_active) == ("bohdan@example.org", True)

        change = models.UserAdminUpdate(role=models.Role.MODERATOR, full_name="Bohdan K.")
        changed = generated.api("users.update_user").sync("bohdan", client=admin, body=change)
        assert isinstance(changed, models.UserPrivate)
        assert (changed.role, changed.full_name) == (models.Role.MODERATOR, "Bohdan K.")

        deleted = generated.api("users.delete_user").sync_detailed("bohdan", client=admin)
        assert deleted.status_code == 204
        gone = generated.api("users.get_user").sync_detailed("bohdan", client=admin)
        assert gone.status_code == 404


def all_pages(operation: Any, client: Any, **query: Any) -> list[Any]:
    """Every page of a list operation, two rows a page, following ``next_cursor``."""
    pages = [operation.sync(client=client, limit=2, **query)]
    while pages[-1].next_cursor:
        pages.append(operation.sync(client=client, limit=2, cursor=pages[-1].next_cursor, **query))
    return pages
