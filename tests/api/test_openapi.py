"""The OpenAPI document is valid 3.1 and complete; the docs page works offline under the CSP."""

from __future__ import annotations

import json
import re
from http import HTTPStatus

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from osnova.http.headers import CONTENT_SECURITY_POLICY

# Every operation and its operationId, which generated clients name their functions after:
# changing one breaks every client built from the document.
OPERATION_IDS = {
    ("post", "/api/v1/auth/tokens"): "createToken",
    ("delete", "/api/v1/auth/tokens/current"): "revokeCurrentToken",
    ("post", "/api/v1/users"): "registerUser",
    ("get", "/api/v1/users"): "listUsers",
    ("get", "/api/v1/users/me"): "getCurrentUser",
    ("patch", "/api/v1/users/me"): "updateCurrentUser",
    ("get", "/api/v1/users/{username}"): "getUser",
    ("patch", "/api/v1/users/{username}"): "updateUser",
    ("delete", "/api/v1/users/{username}"): "deleteUser",
    ("get", "/api/v1/items"): "listItems",
    ("post", "/api/v1/items"): "createItem",
    ("get", "/api/v1/items/{item_id}"): "getItem",
    ("patch", "/api/v1/items/{item_id}"): "updateItem",
    ("delete", "/api/v1/items/{item_id}"): "deleteItem",
    ("post", "/api/v1/imports/{kind}"): "importRows",
    ("get", "/api/v1/imports/jobs/{job_id}"): "getImportJob",
    ("get", "/api/v1/exports/{kind}"): "exportRows",
}
OPERATIONS = set(OPERATION_IDS)


def spec(client: FlaskClient) -> dict[str, object]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def test_the_document_validates_as_openapi_3_1(client: FlaskClient) -> None:
    document = spec(client)
    assert str(document["openapi"]).startswith("3.1")
    validate(document)


def test_every_operation_is_documented_with_its_errors_as_problems(client: FlaskClient) -> None:
    paths = spec(client)["paths"]
    assert isinstance(paths, dict)
    found = {(method, path) for path, item in paths.items() for method in item}
    assert found == OPERATIONS
    for path, item in paths.items():
        for method, operation in item.items():
            statuses = {int(s) for s in operation["responses"]}
            assert {401, 500} <= statuses, (method, path)
            if method in ("post", "patch"):
                assert {400, 413, 415, 422} <= statuses, (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    content = response["content"]["application/problem+json"]
                    assert content["example"]["status"] == int(status)
                elif int(status) != 204:
                    assert next(iter(response["content"].values()))["example"], (method, path)
                assert (
                    response["description"] == HTTPStatus(int(status)).phrase or int(status) < 400
                )


def test_bearer_security_is_declared_and_anonymous_reads_marked(client: FlaskClient) -> None:
    document = spec(client)
    schemes = document["components"]["securitySchemes"]  # type: ignore[index]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /api/v1/auth/tokens.",
    }
    paths = document["paths"]
    assert {} in paths["/api/v1/items"]["get"]["security"]  # type: ignore[index]
    assert paths["/api/v1/users/me"]["get"]["security"] == [{"bearerAuth": []}]  # type: ignore[index]


def test_every_operation_has_its_own_stable_operation_id(client: FlaskClient) -> None:
    paths = spec(client)["paths"]
    assert isinstance(paths, dict)
    found = {
        (method, path): operation.get("operationId")
        for path, item in paths.items()
        for method, operation in item.items()
    }
    assert found == OPERATION_IDS


def test_each_model_is_listed_once_under_its_own_name(client: FlaskClient) -> None:
    document = spec(client)
    schemas = document["components"]["schemas"]  # type: ignore[index]
    assert not [name for name in schemas if "." in name]
    titles = [model["title"] for model in schemas.values() if "title" in model]
    assert len(titles) == len(set(titles))
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert refs <= set(schemas)
    page = schemas["ItemPage"]["properties"]["items"]["items"]
    assert page == {"$ref": "#/components/schemas/ItemPublic"}


def test_creating_a_token_is_published_as_needing_no_token(client: FlaskClient) -> None:
    paths = spec(client)["paths"]
    assert paths["/api/v1/auth/tokens"]["post"]["security"] == []  # type: ignore[index]
    revoke = paths["/api/v1/auth/tokens/current"]["delete"]  # type: ignore[index]
    assert revoke["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize(
    ("email", "accepted"),
    [
        ("olena@example.org", True),
        ("o.k+news@mail.example.com.ua", True),
        ("olena@mail.test", False),
        ("olena@printer.LOCAL", False),
        ("olena@localhost", False),
        ("olena@hidden.onion", False),
        ("olena@in-addr.arpa", False),
        ("olena@nowhere.invalid", False),
        ("@example.org", False),
    ],
)
def test_the_published_email_rule_is_the_one_the_server_applies(
    client: FlaskClient, email: str, accepted: bool
) -> None:
    document = spec(client)
    email_schema = document["components"]["schemas"]["UserCreate"]["properties"]["email"]  # type: ignore[index]
    published = re.search(email_schema["pattern"], email) is not None
    body = {"username": "olena", "email": email, "password": "a long passphrase ok"}
    answer = client.post("/api/v1/users", json=body)
    assert (published, answer.status_code) == (accepted, 202 if accepted else 422)


@pytest.mark.parametrize(
    ("method", "path", "where", "field"),
    [
        ("post", "/api/v1/auth/tokens", "body", "username"),
        ("post", "/api/v1/auth/tokens", "body", "password"),
        ("post", "/api/v1/users", "body", "password"),
        ("get", "/api/v1/items", "query", "q"),
        ("get", "/api/v1/items", "query", "owner"),
        ("get", "/api/v1/users", "query", "q"),
    ],
)
def test_every_text_a_request_sends_is_published_as_refusing_nul(
    client: FlaskClient, method: str, path: str, where: str, field: str
) -> None:
    """A NUL is refused at the edge; a document silent on it would call that request valid."""
    document = spec(client)
    operation = document["paths"][path][method]  # type: ignore[index]
    if where == "query":
        parameter = next(p for p in operation["parameters"] if p["name"] == field)
        schema = parameter["schema"]
        answer = client.open(path, method=method, query_string={field: "a\x00b"})
    else:
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        model = document["components"]["schemas"][ref.rpartition("/")[2]]  # type: ignore[index]
        schema = model["properties"][field]
        body = {"username": "olena", "password": "a long passphrase ok", field: "a\x00b"}
        answer = client.open(path, method=method, json=body)
    pattern = next(s["pattern"] for s in [schema, *schema.get("anyOf", [])] if "pattern" in s)
    assert re.search(pattern, "a\x00b") is None
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == field


def test_docs_page_loads_local_swagger_ui_without_inline_script(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(s.startswith("/") for s in sources)
    assert not re.search(r"<script>(?!\s*</script>)", page.text)
    assert "<style" not in page.text
    for source in sources:
        with client.get(source) as asset:
            assert asset.status_code == 200, source
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as bundle:
        assert b"SwaggerUIBundle" in bundle.data
    assert client.get("/api/docs/assets/../../../etc/passwd").status_code == 404
