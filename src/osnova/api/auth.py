"""Who is calling the API, and the token endpoints.

A request is authenticated by ``Authorization: Bearer <token>`` or, for same-origin calls
from the site, by the signed-in session; a session-authenticated write must then carry the
CSRF token in ``X-CSRFToken`` (bearer calls need none: a browser never adds the header by
itself). A bad token is a 401 even on an operation open to anonymous callers, so a client
learns at once that its token stopped working.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import Forbidden, Unauthorized, UnsupportedMediaType
from wtforms import ValidationError

from osnova.api.docs import NO_TOKEN, responses
from osnova.api.schemas import TokenIssued, TokenRequest
from osnova.errors import FieldError, InvalidInput
from osnova.extensions import current_settings, db, limiter
from osnova.http.sign_in import password_sign_in
from osnova.models import User
from osnova.services import tokens
from osnova.services.sign_in import InvalidCredentials

bp = APIBlueprint("tokens", __name__, url_prefix="/api/v1/auth", tag="Tokens")

CHALLENGE = 'Bearer realm="osnova"'
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_BODY_BYTES = 256 * 1024
NOT_AN_OBJECT = "The body must be a JSON object."


class BearerRequired(Unauthorized):
    """A 401 that tells the client which scheme to use."""

    def __init__(self, description: str, error: str | None = None) -> None:
        challenge = CHALLENGE + (f', error="{error}"' if error else "")
        super().__init__(description, www_authenticate=None)
        self.challenge = challenge

    def get_headers(self, *args: object, **kwargs: object) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("WWW-Authenticate", self.challenge)]


def authenticate_request() -> None:
    """Find the caller; refuse a bad token or CSRF token.

    A token's owner is named by ``g.api_user_id`` and loaded by ``caller()`` when a view needs
    it; a signed-in browser's user is ``g.api_user`` at once (Flask-Login has loaded it).
    """
    g.api_user, g.api_user_id, g.api_token_id = None, None, None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise BearerRequired("Use an Authorization: Bearer <token> header.", "invalid_request")
        bearer = tokens.authenticate(session=db.session(), secret=secret.strip())
        if bearer is None:
            raise BearerRequired("The token is unknown, expired or revoked.", "invalid_token")
        if bearer.touched:
            db.session.commit()  # last_used_at, written at most once a minute
        g.api_user_id, g.api_token_id = bearer.user_id, bearer.token_id
        return
    if not request.cookies:
        return  # no browser session to look up
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except (ValidationError, CSRFError):
                raise Forbidden(
                    "A signed-in browser must send the CSRF token in X-CSRFToken."
                ) from None
        g.api_user = current_user._get_current_object()
        g.api_user_id = g.api_user.id


def check_request() -> None:
    """Before every API view: a bounded JSON body, then who is calling."""
    request.max_content_length = MAX_BODY_BYTES
    if request.method in BODY_METHODS:
        if not request.is_json:
            raise UnsupportedMediaType("Send the body as application/json.")
        if not isinstance(request.get_json(), dict):
            raise InvalidInput([FieldError("", NOT_AN_OBJECT)], NOT_AN_OBJECT)
    authenticate_request()


def caller() -> User | None:
    """The calling account, loaded on first use (None for an anonymous call)."""
    user = g.get("api_user")
    if user is None and g.get("api_user_id") is not None:
        user = g.api_user = db.session.get(User, g.api_user_id)
    return user if isinstance(user, User) else None


def require_caller() -> User:
    user = caller()
    if user is None:
        raise BearerRequired("A valid bearer token is required.")
    return user


bp.before_request(check_request)


def _limit() -> str:
    return current_settings().login_attempts_per_ip


@bp.post("/tokens")
@limiter.limit(_limit)
@bp.input(
    TokenRequest,
    arg_name="body",
    example={"username": "olena", "password": "correct horse battery staple", "name": "laptop"},
)
@bp.output(
    TokenIssued,
    status_code=201,
    example={
        "token": "osn_3kq...",
        "token_type": "bearer",
        "expires_at": "2026-12-24T12:00:00+00:00",
    },
)
@bp.doc(
    summary="Create a token",
    description="Exchange a username (or email) and password for a bearer token.",
    operation_id="createToken",
    responses=responses(201, 400, 401, 413, 415, 422, 429),
    extensions=NO_TOKEN,
)
def create_token(body: TokenRequest) -> tuple[dict[str, object], int]:
    try:
        # No device cookie here: a token request counts as an untrusted client's attempt.
        user = password_sign_in(
            login=body.username,
            password=body.password,
            remote_addr=request.remote_addr,
            device_cookie=None,
        )
    except InvalidCredentials:
        raise BearerRequired("Invalid username, email or password.") from None
    session = db.session()
    issued = tokens.create_token(
        session=session,
        user=user,
        name=body.name,
        days=body.expires_in_days,
        remote_addr=request.remote_addr,
    )
    session.commit()
    return {
        "token": issued.secret,
        "token_type": "bearer",
        "expires_at": issued.token.expires_at,
    }, 201


@bp.delete("/tokens/current")
@bp.output({}, status_code=204)
@bp.doc(
    summary="Revoke the calling token",
    operation_id="revokeCurrentToken",
    description="The bearer token of this request stops working at once.",
    responses=responses(204, 401),
)
def revoke_current_token() -> tuple[str, int]:
    user = require_caller()
    token_id = g.get("api_token_id")
    if token_id is None:
        raise BearerRequired("Only a bearer token can revoke itself.")
    tokens.revoke(
        session=db.session(), actor=user, token_id=token_id, remote_addr=request.remote_addr
    )
    db.session.commit()
    return "", 204
