"""No input gives a 5xx: every route of the app, with every method it allows, is sent huge
integers, NUL, very long strings and odd Unicode in its path variables, the query parameters
it reads and its form or JSON fields, by an anonymous caller and by a signed-in admin.

The routes come from ``app.url_map`` and the API's query parameters and body fields from its
OpenAPI document, so a new route is fuzzed without being listed here. Pages' query and form
names are those their own page shows, and a list of common ones.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from osnova.models import Role
from tests.support.clients import bearer, csrf_token, log_in, token_for
from tests.support.factories import ItemFactory, UserFactory

LONG = "x" * 10_000
# Already percent-encoded, as they go into a URL or a form body: huge and edge integers, NUL,
# a long string, a right-to-left override, a UTF-8-encoded surrogate (invalid), an emoji,
# stacked combining marks, a byte that is not UTF-8.
RAW_VALUES = (
    str(2**63),
    "-1",
    "0",
    str(10**30),
    "a%00b",
    LONG,
    "%E2%80%AEevil%E2%80%AC",
    "%ED%A0%80",
    "%F0%9F%98%80",
    "e%CC%81%CC%81%CC%81",
    "%ff",
)
JSON_VALUES: tuple[object, ...] = (
    2**63,
    -1,
    0,
    10**30,
    "a\x00b",
    LONG,
    "\u202eevil\u202c",
    "\ud800",
    "\U0001f600",
    "e\u0301\u0301\u0301",
    {"a\x00": 1},
    [None],
)
COMMON_NAMES = (
    "q",
    "owner",
    "cursor",
    "after",
    "limit",
    "page",
    "sort",
    "next",
    "lang",
    "role",
    "active",
    "state",
    "status",
    "format",
    "kind",
    "user",
    "action",
    "actor",
    "target",
    "email",
    "username",
    "password",
    "title",
    "description",
)
NAME_IN_PAGE = re.compile(r'\bname="([^"]+)"')
VARIABLE = re.compile(r"<(?:([^:<>()]+)(?:\(([^)]*)\))?:)?([^<>]+)>")
# Run last: they end the admin's session or revoke its token.
ENDING = ("auth.logout", "tokens.revoke_current_token")


@dataclass
class Caller:
    """One identity sending requests: its client, headers and CSRF token."""

    name: str
    client: FlaskClient
    headers: dict[str, str]
    api_headers: dict[str, str]
    csrf: str


@dataclass
class Tally:
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


def sane_value(match: re.Match[str], known: dict[str, str]) -> str:
    """A valid value for one variable of a rule."""
    converter, args, name = match.groups()
    if converter == "any":
        return str(args.split(",")[0].strip().strip("'\""))
    return known.get(name, "x")


def sane_path(rule: Rule, known: dict[str, str]) -> str:
    """The rule's URL with a valid value in each variable."""
    return VARIABLE.sub(lambda match: sane_value(match, known), rule.rule)


def fuzzed_paths(rule: Rule, known: dict[str, str]) -> Iterator[str]:
    """The rule's URL with each raw value in each variable in turn, the others valid."""
    variables = list(VARIABLE.finditer(rule.rule))
    for fuzzed in variables:
        for raw in RAW_VALUES:
            path, last = "", 0
            for match in variables:
                value = raw if match is fuzzed else sane_value(match, known)
                path += rule.rule[last : match.start()] + value
                last = match.end()
            yield path + rule.rule[last:]


def openapi_operations(client: FlaskClient) -> dict[tuple[str, str], dict[str, Any]]:
    """The API's operations by (method, rule), from its OpenAPI document."""
    spec = client.get("/api/v1/openapi.json").get_json()
    operations: dict[tuple[str, str], dict[str, Any]] = {}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            operation["_schemas"] = spec["components"]["schemas"]
            operations[(method.upper(), re.sub(r"\{(\w+)\}", r"<\1>", path))] = operation
    return operations


def rule_key(rule: Rule) -> str:
    """The rule's path with variables as ``<name>``, to match OpenAPI paths."""
    return VARIABLE.sub(lambda m: f"<{m.group(3)}>", rule.rule)


def body_properties(operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    reference = schema.get("$ref", "")
    if reference:
        schema = operation["_schemas"][reference.rsplit("/", 1)[-1]]
    return list(schema.get("properties", {}))


def query_names(operation: dict[str, Any]) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]


def signed_in_admin(client: FlaskClient) -> Caller:
    admin = UserFactory(username="fuzzadmin", role=Role.ADMIN.value)
    log_in(client, "fuzzadmin")
    secret = token_for(admin)
    token = csrf_token(client, "/account")
    headers = {"X-CSRFToken": token}
    return Caller("admin", client, headers, {**headers, **bearer(secret)}, token)


def anonymous(client: FlaskClient) -> Caller:
    token = csrf_token(client, "/login")
    headers = {"X-CSRFToken": token}
    return Caller("anonymous", client, headers, headers, token)


class RuleFuzzer:
    """Sends one caller's fuzzed requests to the rules of an app, counting what comes back."""

    def __init__(
        self,
        caller: Caller,
        operations: dict[tuple[str, str], dict[str, Any]],
        known: dict[str, str],
        tally: Tally,
    ) -> None:
        self.caller, self.operations, self.known, self.tally = caller, operations, known, tally

    def send(self, method: str, url: str, **kwargs: Any) -> str:
        caller = self.caller
        headers = caller.api_headers if url.startswith("/api/") else caller.headers
        self.tally.requests += 1
        try:
            response = caller.client.open(url, method=method, headers=headers, **kwargs)
        except Exception as error:  # the testing profile raises what would be a 500
            self.tally.failures.append(f"{caller.name} {method} {url[:160]} -> {error!r:.300}")
            return ""
        self.tally.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.tally.failures.append(
                f"{caller.name} {method} {url[:160]} -> {response.status_code}"
            )
        # A page's text, for the field names it shows; an icon or a stylesheet has none.
        page = method == "GET" and response.mimetype == "text/html"
        text = response.get_data(as_text=True) if page else ""
        response.close()  # a file's answer holds it open until closed
        return text

    def fuzz(self, rule: Rule) -> None:
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        path = sane_path(rule, self.known)
        page_names: set[str] = set()
        if "GET" in methods:
            page_names = set(NAME_IN_PAGE.findall(self.send("GET", path))) - {"csrf_token"}
        for method in methods:
            for fuzzed in fuzzed_paths(rule, self.known):
                self.send(method, fuzzed)
            operation = self.operations.get((method, rule_key(rule)))
            if operation is not None:
                self.fuzz_api(method, path, operation)
            elif not rule.rule.startswith("/api/"):
                self.fuzz_page(method, path, sorted(page_names | set(COMMON_NAMES)))

    def fuzz_api(self, method: str, path: str, operation: dict[str, Any]) -> None:
        """Each query parameter, or each body field, with each odd value in turn."""
        if method == "GET":
            for raw in RAW_VALUES:
                for name in query_names(operation):
                    self.send(method, f"{path}?{name}={raw}")
        elif method in ("POST", "PUT", "PATCH"):
            for name in body_properties(operation) or ["name"]:
                for value in JSON_VALUES:
                    self.send(method, path, json={name: value})
            raw_body = b'{"a": "\\ud800\\u0000"}'
            self.send(method, path, data=raw_body, content_type="application/json")

    def fuzz_page(self, method: str, path: str, names: list[str]) -> None:
        """Every name at once, in the query string of a GET or the form of a POST."""
        for raw in RAW_VALUES:
            fields = "&".join(f"{name}={raw}" for name in names)
            if method == "GET":
                self.send(method, f"{path}?{fields}")
            elif method in ("POST", "PUT", "PATCH"):
                body = f"{fields}&csrf_token={quote(self.caller.csrf)}"
                self.send(method, path, data=body, content_type="application/x-www-form-urlencoded")


def ordered_rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in ENDING, r.rule))


def test_no_input_to_any_route_gives_a_5xx(
    app: Flask, backend: str, record_property: Callable[[str, object], None]
) -> None:
    owner = UserFactory(username="fuzzowner")
    item = ItemFactory(owner=owner)
    known = {
        "item_id": str(item.id),
        "user_id": str(owner.id),
        "username": owner.username,
        "name": "missing.png",
        "filename": "missing.css",
    }
    rules = ordered_rules(app)
    started = time.monotonic()
    tally = Tally()
    for caller in (anonymous(app.test_client()), signed_in_admin(app.test_client())):
        fuzzer = RuleFuzzer(caller, openapi_operations(caller.client), known, tally)
        for rule in rules:
            fuzzer.fuzz(rule)
    seconds = round(time.monotonic() - started, 1)
    record_property(f"route fuzzer on {backend}: rules", len(rules))
    record_property(f"route fuzzer on {backend}: requests", tally.requests)
    record_property(f"route fuzzer on {backend}: 5xx", len(tally.failures))
    record_property(f"route fuzzer on {backend}: seconds", seconds)
    record_property(f"route fuzzer on {backend}: statuses", dict(sorted(tally.statuses.items())))
    assert tally.failures == [], "\n".join(tally.failures[:40])
