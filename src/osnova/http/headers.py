"""Security headers on every response.

The Content-Security-Policy allows scripts, styles and images from this origin only (no
inline script), and no framing. Pages shown to a signed-in user are never cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response

from osnova.observability import signed_in_user_id

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS_SECONDS = 365 * 24 * 3600


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", f"max-age={HSTS_SECONDS}; includeSubDomains")


class SecurityHeaders:
    """WSGI middleware adding the set above to every response, except where the view chose
    its own value for a header.

    At the WSGI edge the headers are a plain list, so adding seven costs a list extend; in an
    ``after_request`` hook each went through werkzeug's validating ``Headers.add`` (a third of
    a cached API read's framework work).
    """

    def __init__(self, app: WSGIApplication, headers: tuple[tuple[str, str], ...]) -> None:
        self.app = app
        self.headers = [(name.lower(), (name, value)) for name, value in headers]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            chosen = {name.lower() for name, _ in response_headers}
            response_headers.extend(pair for lower, pair in self.headers if lower not in chosen)
            return start_response(status, response_headers, exc_info)

        return self.app(environ, start)


def no_store_when_signed_in(response: Response) -> Response:
    """What a signed-in user was shown is cached nowhere."""
    if signed_in_user_id() is not None:
        response.headers["Cache-Control"] = "no-store"
        response.headers.add("Vary", "Cookie")
    return response


def init_headers(app: Flask, *, production: bool) -> None:
    wanted = (*SECURITY_HEADERS, HSTS) if production else SECURITY_HEADERS
    app.wsgi_app = SecurityHeaders(app.wsgi_app, wanted)  # type: ignore[method-assign]
    app.after_request(no_store_when_signed_in)
