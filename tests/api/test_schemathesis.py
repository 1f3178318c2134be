"""Property-based run of the whole API by schemathesis against a real gunicorn on loopback.

The server runs ``osnova serve`` on a migrated SQLite file; the calls carry an admin's real
bearer token, so every operation is reached with rights. Every check schemathesis has must
pass, positive-data acceptance included: a request the document allows is never refused as
invalid.
"""

from __future__ import annotations

import json
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from osnova import create_app
from osnova.extensions import db
from tests.support.databases import make_settings
from tests.support.live import served_with_admin

# Generated cases per operation (the examples and coverage phases add theirs). Measured here on
# one core: 100 ran the 16 operations in about 60 s, 250 in about 130 s.
MAX_EXAMPLES = 100
REQUEST_LINE_LIMIT = 8190  # limit_request_line in osnova/gunicorn_conf.py
ADMIN_PASSWORD = "schemathesis admin passphrase"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A gunicorn serving osnova on a free loopback port, and an admin's token for it."""
    with served_with_admin(tmp_path_factory.mktemp("schemathesis"), "boss", ADMIN_PASSWORD) as url:
        yield url, _fresh_token(url)


def openapi_document() -> dict[str, Any]:
    """The document the live server also serves, built by an app that needs no database."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(make_settings("sqlite://", Path(instance)))
        document = app.test_client().get("/api/v1/openapi.json").get_json()
        with app.app_context():
            db.engine.dispose()
    assert isinstance(document, dict)
    return document


@schemathesis.serializer("application/jsonl", "text/csv")
def file_body(ctx: object, value: object) -> bytes:
    """Import files: JSON Lines and CSV bodies are text; other values become JSON lines."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes):
        return value
    rows = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


# An import file can be well-formed for its media type (any text is a CSV body) and still
# hold rows the models refuse: there a 422 is the answer to a schema-valid request. A new
# email needs the account's current password, which a generated one never is (a wrong one is
# a 422 on that field). A registration's password must also be hard to guess, which no schema
# can say (zxcvbn's estimate): a generated "aaaaaaaaaaaa" is a 422. Every other operation's
# document says all it accepts, so schema-valid requests are never a 422.
IMPORTS = "POST /api/v1/imports/{kind}"
UPDATE_ME = "PATCH /api/v1/users/me"
REGISTER = "POST /api/v1/users"
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"enabled": True},
        # The real token is sent with every call, so generated Authorization headers
        # (valid or broken) would be overwritten; tokens have tests of their own.
        "generation": {"with-security-parameters": False},
        "operations": [
            {
                "include-name": name,
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
                    }
                },
            }
            for name in (IMPORTS, UPDATE_ME, REGISTER)
        ],
    }
)
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_conforms_to_its_openapi_document(
    case: Any, live_server: tuple[str, str], request: pytest.FixtureRequest
) -> None:
    base_url, token = live_server
    if case.operation.label == "DELETE /api/v1/auth/tokens/current":
        token = _fresh_token(base_url)  # revoking the shared token would end the run
    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(base_url=base_url, headers=headers)
    if response.status_code == 414:  # gunicorn's answer, before the app, to a huge URL
        target = response.request.url.removeprefix(base_url.rstrip("/"))
        assert len(f"{case.method} {target} HTTP/1.1") > REQUEST_LINE_LIMIT
    else:
        transport = {"base_url": base_url, "headers": headers}
        case.validate_response(response, headers=headers, transport_kwargs=transport)
    _count_case(request.node.user_properties)


def _fresh_token(base_url: str) -> str:
    body = json.dumps({"username": "boss", "password": ADMIN_PASSWORD}).encode()
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/tokens", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        secret: str = json.load(response)["token"]
    return secret


def _count_case(properties: list[tuple[str, object]]) -> None:
    """Keep the number of cases this operation ran as a figure in the test report."""
    for index, (name, value) in enumerate(properties):
        if name == "generated cases":
            properties[index] = (name, int(str(value)) + 1)
            return
    properties.append(("generated cases", 1))
