"""Accounts over JSON: registration, one's own account, and account management for admins.

Role and activation changes go through ``account_admin.set_role`` / ``account_admin.set_active``,
which keep the last active admin; a plain account holder's body cannot even name them.
"""

from __future__ import annotations

from contextlib import nullcontext

from apiflask import APIBlueprint
from flask import request
from werkzeug.exceptions import Forbidden

from osnova.api.auth import check_request, require_caller
from osnova.api.docs import ANONYMOUS, responses
from osnova.api.schemas import (
    Registered,
    UserAdminUpdate,
    UserCreate,
    UserPage,
    UserPrivate,
    UserQuery,
    UserUpdate,
)
from osnova.errors import FieldError, InvalidInput
from osnova.extensions import current_settings, db, limiter
from osnova.http.account_mail import (
    send_admin_email_change,
    send_already_registered,
    send_email_change_mails,
    send_verification,
)
from osnova.http.sign_in import password_checked
from osnova.models import User
from osnova.services import account_admin, accounts

bp = APIBlueprint("users", __name__, url_prefix="/api/v1/users", tag="Users")
bp.before_request(check_request)

USER_EXAMPLE = {
    "id": 7,
    "username": "olena",
    "full_name": "Olena Kovalenko",
    "email": "olena@example.org",
    "pending_email": None,
    "role": "user",
    "is_active": True,
    "email_verified_at": None,
    "created_at": "2026-11-24T12:00:00+00:00",
    "last_login_at": "2026-11-24T12:05:00+00:00",
}
REGISTERED = "Registered. Create a token with POST /api/v1/auth/tokens."


def _registration_limit() -> str:
    return current_settings().registrations_per_ip


@bp.post("")
@limiter.limit(_registration_limit)
@bp.input(
    UserCreate,
    arg_name="body",
    example={
        "username": "olena",
        "email": "olena@example.org",
        "full_name": "Olena Kovalenko",
        "password": "a long and unusual passphrase",
    },
)
@bp.output(Registered, status_code=202, example={"detail": REGISTERED})
@bp.doc(
    summary="Register",
    operation_id="registerUser",
    description="Open while registration is enabled. The answer is the same whether or not "
    "the email address already has an account, so it cannot be used to probe addresses. "
    "A password that is common, the account's own username or email, or easy to guess by "
    "zxcvbn's estimate is a 422 naming the pattern on the `password` field.",
    responses=responses(202, 400, 401, 403, 409, 413, 415, 422, 429),
    extensions=ANONYMOUS,
)
def register(body: UserCreate) -> tuple[Registered, int]:
    if not current_settings().registration_open:
        raise Forbidden("Registration is closed.")
    if not body.password:
        raise InvalidInput([FieldError("password", "Field required")], "A password is required.")
    outcome = accounts.register(
        session=db.session(),
        settings=current_settings(),
        data=body,
        remote_addr=request.remote_addr,
    )
    db.session.commit()
    if outcome.user is not None:
        send_verification(outcome.user)
    elif outcome.existing is not None:
        send_already_registered(outcome.existing)
    return Registered(detail=REGISTERED), 202


@bp.get("/me")
@bp.output(UserPrivate, example=USER_EXAMPLE)
@bp.doc(summary="My account", operation_id="getCurrentUser", responses=responses(200, 401))
def get_me() -> UserPrivate:
    return UserPrivate.model_validate(require_caller())


@bp.patch("/me")
@bp.input(
    UserUpdate,
    arg_name="body",
    example={"email": "olena.k@example.org", "current_password": "my current passphrase"},
)
@bp.output(UserPrivate, example={**USER_EXAMPLE, "pending_email": "olena.k@example.org"})
@bp.doc(
    summary="Change my account",
    description="Only the fields sent change. A new `email` needs `current_password` (a wrong "
    "or missing one is a 422 and changes nothing; wrong guesses count as failed sign-ins, "
    "429 when too many). It takes effect once its owner follows the link mailed to it: "
    "until then it is `pending_email`. The current address is told at once, with a link "
    "that cancels the change and signs the account out everywhere.",
    operation_id="updateCurrentUser",
    responses=responses(200, 400, 401, 413, 415, 422, 429),
)
def update_me(body: UserUpdate) -> UserPrivate:
    user = require_caller()
    checked = password_checked(user) if body.email is not None else nullcontext()
    with checked:
        change = accounts.update_account(
            session=db.session(),
            settings=current_settings(),
            user=user,
            changes=body,
            remote_addr=request.remote_addr,
        )
    db.session.commit()
    if change is not None:
        send_email_change_mails(change)
    return UserPrivate.model_validate(user)


@bp.get("")
@bp.input(UserQuery, location="query", arg_name="query")
@bp.output(UserPage, example={"items": [USER_EXAMPLE], "next_cursor": None})
@bp.doc(
    summary="List accounts (admins)",
    operation_id="listUsers",
    description="Ordered by username; `q` matches username, email or name.",
    responses=responses(200, 401, 403, 422),
)
def list_users(query: UserQuery) -> UserPage:
    actor = require_caller()
    page = account_admin.list_users(
        session=db.session(), actor=actor, q=query.q, after=query.cursor, limit=query.limit
    )
    return UserPage(
        items=[UserPrivate.model_validate(user) for user in page.users],
        next_cursor=page.next_cursor,
    )


def _managed(username: str) -> User:
    return account_admin.get_for_admin(
        session=db.session(), actor=require_caller(), username=username
    )


@bp.get("/<username:username>")
@bp.output(UserPrivate, example=USER_EXAMPLE)
@bp.doc(
    summary="Get an account (admins)",
    operation_id="getUser",
    responses=responses(200, 401, 403, 404),
)
def get_user(username: str) -> UserPrivate:
    return UserPrivate.model_validate(_managed(username))


@bp.patch("/<username:username>")
@bp.input(UserAdminUpdate, arg_name="body", example={"role": "moderator"})
@bp.output(UserPrivate, example=USER_EXAMPLE)
@bp.doc(
    summary="Change an account (admins)",
    operation_id="updateUser",
    description="Admins may also change `role` and `is_active`; the last active admin "
    "cannot be demoted or deactivated (409). Deactivation revokes the account's tokens. "
    "A new `email` applies at once (unconfirmed) and both addresses are told; an admin's "
    "own address changes through `PATCH /users/me`, which needs the password (422 here).",
    responses=responses(200, 400, 401, 403, 404, 409, 413, 415, 422),
)
def update_user(username: str, body: UserAdminUpdate) -> UserPrivate:
    actor = require_caller()
    user = _managed(username)
    change = account_admin.update_account(
        session=db.session(),
        actor=actor,
        user=user,
        changes=body,
        remote_addr=request.remote_addr,
    )
    db.session.commit()
    if change is not None:
        send_admin_email_change(change)
    return UserPrivate.model_validate(user)


@bp.delete("/<username:username>")
@bp.output({}, status_code=204)
@bp.doc(
    summary="Delete an account (admins)",
    operation_id="deleteUser",
    description="Deletes the account with its items and tokens. The last active admin stays (409).",
    responses=responses(204, 401, 403, 404, 409),
)
def delete_user(username: str) -> tuple[str, int]:
    actor = require_caller()
    user = _managed(username)
    account_admin.delete_user(
        session=db.session(),
        settings=current_settings(),
        actor=actor,
        user=user,
        remote_addr=request.remote_addr,
    )
    db.session.commit()
    return "", 204
