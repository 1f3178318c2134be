"""A browser's side of the site over real HTTP: its cookies, CSRF tokens, forms and uploads.

Cookies are kept by name, so a test can copy them to a second browser and replay a session
somewhere else (another host, or after signing out).
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from tests.support.clients import CSRF_PATTERN
from tests.support.servers import SITE_HOST, Answer, fetch


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type; ``files`` maps a field to
    (filename, bytes)."""
    boundary = "osnova-browsing-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for name, (filename, data) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Browser:
    """Requests to ``base_url`` (nginx, or one host) with this browser's cookies."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def copy(self, base_url: str | None = None) -> Browser:
        return Browser(base_url or self.base_url, dict(self.cookies))

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 20,
    ) -> Answer:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        answer = fetch(
            self.base_url + path,
            method=method,
            host=SITE_HOST,
            body=body,
            headers=sent,
            timeout=timeout,
        )
        for name, value in answer.header_lines:
            if name == "set-cookie":
                self._keep(value)
        return answer

    def _keep(self, header: str) -> None:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or not morsel.value or "1970" in morsel["expires"]:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_form(
        self,
        path: str,
        fields: dict[str, str],
        *,
        form_page: str | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> Answer:
        """Post ``fields`` with the CSRF token of the form at ``form_page`` (default: ``path``)."""
        page = self.get(form_page or path)
        match = CSRF_PATTERN.search(page.body.decode())
        assert match is not None, (path, page.status)
        values = {"csrf_token": match.group(1), **fields}
        if files:
            body, content_type = multipart(values, files)
        else:
            body = urllib.parse.urlencode(values).encode()
            content_type = "application/x-www-form-urlencoded"
        return self.request("POST", path, body=body, headers={"Content-Type": content_type})


def post_json(
    base_url: str, path: str, payload: Any, *, token: str | None = None, timeout: float = 20
) -> Answer:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return fetch(
        base_url + path,
        method="POST",
        host=SITE_HOST,
        body=json.dumps(payload).encode(),
        headers=headers,
        timeout=timeout,
    )


def get_json(base_url: str, path: str, *, token: str | None = None, timeout: float = 20) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return fetch(base_url + path, host=SITE_HOST, headers=headers, timeout=timeout)


def token_for(base_url: str, username: str, password: str) -> str:
    """A bearer token from ``POST /api/v1/auth/tokens``."""
    answer = post_json(
        base_url, "/api/v1/auth/tokens", {"username": username, "password": password}
    )
    assert answer.status == 201, answer.body
    token = json.loads(answer.body)["token"]
    assert isinstance(token, str)
    return token
