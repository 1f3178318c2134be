"""The OpenAPI document is valid 3.1 and complete; the docs page works offline under the CSP."""

from __future__ import annotations

import re
from http import HTTPStatus

from flask.testing import FlaskClient
from openapi_spec_validator import validate

from osnova.http.headers import CONTENT_SECURITY_POLICY

OPERATIONS = {
    ("post", "/api/v1/auth/tokens"),
    ("delete", "/api/v1/auth/tokens/current"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users"),
    ("get", "/api/v1/users/me"),
    ("patch", "/api/v1/users/me"),
    ("get", "/api/v1/users/{username}"),
    ("patch", "/api/v1/users/{username}"),
    ("delete", "/api/v1/users/{username}"),
    ("get", "/api/v1/items"),
    ("post", "/api/v1/items"),
    ("get", "/api/v1/items/{item_id}"),
    ("patch", "/api/v1/items/{item_id}"),
    ("delete", "/api/v1/items/{item_id}"),
    ("post", "/api/v1/imports/{kind}"),
    ("get", "/api/v1/imports/jobs/{job_id}"),
    ("get", "/api/v1/exports/{kind}"),
}


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
