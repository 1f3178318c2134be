"""Security headers on every response.

The Content-Security-Policy allows scripts, styles and images from this origin only (no
inline script), and no framing. Pages shown to a signed-in user are never cached.
"""

from __future__ import annotations

from flask import Flask, Response

from osnova.extensions import current_settings
from osnova.observability import signed_in_user_id

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


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_settings().is_production:
        headers.setdefault(
            "Strict-Transport-Security", f"max-age={HSTS_SECONDS}; includeSubDomains"
        )
    if signed_in_user_id() is not None:
        headers["Cache-Control"] = "no-store"
        headers.add("Vary", "Cookie")
    return response


def init_headers(app: Flask) -> None:
    app.after_request(add_security_headers)
