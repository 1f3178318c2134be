"""The OpenAPI document's finishing touches and the interactive docs at ``/api/docs``.

Views list the statuses they can answer with ``responses(...)`` and name their operation
(the ``operationId`` that generated clients turn into function names). The spec processor
gives every error status the problem+json body, adds the bearer security scheme, marks which
operations also work anonymously or need no token at all, and files each model under one
name. The docs page is Swagger UI 5 served from the files the ``flask-swagger-ui`` package
ships, started by a script file: no CDN, no inline script, so the site's
Content-Security-Policy applies unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import Blueprint, Response, render_template, send_from_directory
from werkzeug.exceptions import NotFound

from osnova.api.problems import IMPORT_PROBLEM_SCHEMA, PROBLEM_SCHEMA, problem_response
from osnova.schemas import NO_NUL
from osnova.services.transfer import KINDS

SWAGGER_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
SWAGGER_FILES = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
        "favicon-16x16.png",
    }
)
# Operation extensions read (and removed) by ``finish_spec``: a token is optional, or unused.
ANONYMOUS = {"x-osnova-anonymous": True}
NO_TOKEN = {"x-osnova-no-token": True}
BEARER = "bearerAuth"
SCHEMA_REF = "#/components/schemas/"

bp = Blueprint("api_docs", __name__, url_prefix="/api/docs")


def responses(*statuses: int) -> list[int]:
    """The statuses an operation documents; 500 is added, every operation can fail."""
    return sorted({*statuses, 500})


@bp.get("")
def docs() -> str:
    return render_template("api/docs.html")


@bp.get("/assets/<name>")
def asset(name: str) -> Response:
    if name not in SWAGGER_FILES:
        raise NotFound()
    return send_from_directory(SWAGGER_DIST, name, max_age=3600)


def swagger_config() -> dict[str, str]:
    """APIFlask's Swagger UI settings, pointed at the local files."""
    return {
        "SWAGGER_UI_CSS": "/api/docs/assets/swagger-ui.css",
        "SWAGGER_UI_BUNDLE_JS": "/api/docs/assets/swagger-ui-bundle.js",
        "SWAGGER_UI_STANDALONE_PRESET_JS": "/api/docs/assets/swagger-ui-standalone-preset.js",
        "DOCS_FAVICON": "/api/docs/assets/favicon-32x32.png",
    }


def finish_spec(spec: dict[Any, Any] | str) -> dict[Any, Any] | str:
    """Problem bodies for errors, the bearer scheme, and anonymous access where allowed."""
    if isinstance(spec, str):
        return spec
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ImportProblem"] = IMPORT_PROBLEM_SCHEMA
    for name in ("HTTPError", "ValidationError"):
        schemas.pop(name, None)
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/tokens.",
        }
    }
    spec["servers"] = [{"url": "/"}]
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            _finish_operation(operation)
    _name_nested_models_once(spec)
    _say_inputs_hold_no_nul(spec)
    return spec


def _say_inputs_hold_no_nul(spec: dict[str, Any]) -> None:
    """The edge refuses NUL in every text a request brings (``http/nul.py``); each string a
    request may send (query parameters, JSON body fields) says so with a pattern, so clients
    and fuzzers know a request with one is not valid. Strings with a pattern, an enum or a
    format already exclude it; path parameters holding NUL simply match no address (404)."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    seen: set[str] = set()

    def mark(node: Any) -> None:
        if isinstance(node, list):
            for value in node:
                mark(value)
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            name = ref.removeprefix(SCHEMA_REF)
            if name not in seen and name in schemas:
                seen.add(name)
                mark(schemas[name])
            return
        if node.get("type") == "string" and not {"pattern", "enum", "format", "const"} & set(node):
            node.update(NO_NUL)
        for value in node.values():
            mark(value)

    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in {"query", "header"}:
                    mark(parameter.get("schema"))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                mark(body.get("schema"))


def _name_nested_models_once(spec: dict[str, Any]) -> None:
    """APIFlask files a model used inside another under "Outer.Inner" (``ItemPage.ItemPublic``)
    beside its own entry: one model, listed twice, which the docs page shows twice and client
    generators refuse or build twice. Each is filed under its own name once; two different
    models with one name are an error here rather than a surprise in a client."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    renamed = {name: name.rpartition(".")[2] for name in schemas if "." in name}
    if not renamed:
        return
    refs = {SCHEMA_REF + old: SCHEMA_REF + new for old, new in renamed.items()}
    _replace_refs(spec, refs)
    for old, new in renamed.items():
        model = schemas.pop(old)
        if schemas.setdefault(new, model) != model:
            raise ValueError(f"two different models are named {new} in the OpenAPI document")


def _replace_refs(node: Any, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in refs:
            node["$ref"] = refs[ref]
        for value in node.values():
            _replace_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _replace_refs(value, refs)


UPLOAD = {"x-osnova-upload": True}
DOWNLOAD = {"x-osnova-download": True}
_CSV_EXAMPLE = "username,email,full_name,role,is_active\nolena,olena@example.org,Olena,user,true\n"
_ROW_EXAMPLE = {"username": "olena", "email": "olena@example.org", "full_name": "Olena"}
_DOWNLOAD_BODIES = {
    "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
    "application/json": {"schema": {"type": "array", "items": {}}, "example": [_ROW_EXAMPLE]},
    "application/jsonl": {"schema": {"type": "string"}, "example": '{"username": "olena"}\n'},
}
# An upload is JSON rows, a form's file, or a raw file of any format. (Raw CSV and JSON Lines
# bodies may say their media type instead of ?format=; the document names the generic type,
# which client generators know how to send.)
_UPLOAD_BODIES = {
    "application/json": {
        "schema": {"type": "array", "items": {"type": "object"}},
        "example": [_ROW_EXAMPLE],
    },
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {"file": {"type": "string", "format": "binary"}},
            "required": ["file"],
        }
    },
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}
_REPORT_EXAMPLE = {
    "kind": "users",
    "ok": True,
    "format": "csv",
    "on_conflict": "error",
    "dry_run": False,
    "rows": 1,
    "created": 1,
    "updated": 0,
    "skipped": 0,
    "errors": [],
    "error_count": 0,
}
JOB_EXAMPLE = {
    "id": 7,
    "kind": "items",
    "format": "csv",
    "status": "queued",
    "dry_run": False,
    "rows_done": 0,
    "attempts": 0,
    "created_at": "2026-12-02T10:00:00Z",
    "started_at": None,
    "finished_at": None,
    "report": None,
}


def _file_operation(operation: dict[str, Any]) -> None:
    """Request and answer bodies of the import and export operations, which are files, and
    their ``kind``, which the route allows only as ``users`` or ``items``."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("name") == "kind":
            parameter["schema"] = {"type": "string", "enum": list(KINDS)}
    if operation.pop("x-osnova-upload", False):
        operation["requestBody"] = {"required": True, "content": dict(_UPLOAD_BODIES)}
        ok = {"schema": {"type": "object"}, "example": _REPORT_EXAMPLE}
        operation["responses"]["200"] = {"description": "OK", "content": {"application/json": ok}}
        queued = {"schema": {"type": "object"}, "example": JOB_EXAMPLE}
        operation["responses"]["202"] = {
            "description": "Queued: more rows than the caller's cap; poll the Location URL",
            "content": {"application/json": queued},
        }
    if operation.pop("x-osnova-download", False):
        operation["responses"]["200"] = {"description": "OK", "content": dict(_DOWNLOAD_BODIES)}


def _finish_operation(operation: dict[str, Any]) -> None:
    upload = "x-osnova-upload" in operation
    _file_operation(operation)
    if operation.pop("x-osnova-no-token", False):
        operation["security"] = []
    elif operation.pop("x-osnova-anonymous", False):
        operation["security"] = [{BEARER: []}, {}]
    else:
        operation["security"] = [{BEARER: []}]
    if "requestBody" in operation:
        operation["requestBody"]["required"] = True
    for status, response in list(operation.get("responses", {}).items()):
        code = int(status)
        if code >= 400:
            operation["responses"][status] = problem_response(code, refused_import=upload)
        elif code == 204:
            response.pop("content", None)
