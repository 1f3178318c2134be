"""Small helpers shared by the HTML views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import flask_login
from flask import request
from flask_babel import gettext
from flask_wtf import FlaskForm
from pydantic import BaseModel, ValidationError

from osnova.errors import Conflict, FieldError, InvalidInput
from osnova.models import User
from osnova.schemas import USERNAME_RULE

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)
# Flask-Login is untyped; this keeps the views typed.
login_required = cast(Callable[[F], F], flask_login.login_required)


def signed_in_user() -> User:
    """The real User behind Flask-Login's ``current_user`` proxy (views require sign-in)."""
    user = flask_login.current_user._get_current_object()
    if not isinstance(user, User):
        raise TypeError("no signed-in user")
    return user


BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
# Android and iOS agents also name Linux and Mac OS X, so they are looked for first.
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """A browser's User-Agent as a person recognises it: "Firefox on Linux"."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser and system:
        return str(gettext("%(browser)s on %(system)s", browser=browser, system=system))
    return browser or system or str(gettext("Unknown browser"))


def remote_addr() -> str | None:
    return request.remote_addr


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default``.

    Refuses absolute URLs, scheme-relative ``//host``, backslash tricks (``/\\host``, which
    browsers read as ``//host``), other schemes such as ``javascript:``, and control characters.
    """
    if not target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    normalised = target.replace("\\", "/")
    parts = urlsplit(normalised)
    if parts.scheme or parts.netloc:
        return default
    if not normalised.startswith("/") or normalised.startswith("//"):
        return default
    return target


def validation_message(error_type: str, field: str, context: dict[str, object]) -> str:
    """A translated message for one pydantic error."""
    if error_type == "string_too_short":
        return str(gettext("Use at least %(n)s characters.", n=context.get("min_length", "")))
    if error_type == "string_too_long":
        return str(gettext("Use at most %(n)s characters.", n=context.get("max_length", "")))
    if error_type == "missing":
        return str(gettext("This field is required."))
    if field == "email":
        return str(gettext("Enter a valid email address."))
    if field == "username":
        return str(gettext(USERNAME_RULE))
    return str(gettext("This value is not valid."))


def submitted(form: FlaskForm) -> bool:
    """Whether ``form`` was posted; its own field checks (required, both passwords equal,
    length) have then run and put their errors on the fields.

    Unlike ``validate_on_submit`` the answer does not hang on those checks: the view goes on
    to apply the schema's and the service's rules as well, so that the first answer lists
    every problem instead of one round of them per submit. (CSRFProtect has refused a post
    without a valid token before any view runs.)
    """
    if not form.is_submitted():
        return False
    form.validate()
    return True


def has_errors(form: FlaskForm) -> bool:
    return bool(form.errors or form.form_errors)


def checked(form: FlaskForm, model: type[M], values: dict[str, Any]) -> M | None:
    """``values`` validated by ``model``, or None with the schema's errors on the fields."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        show_errors(form, error)
        return None


def valid_values(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``values`` that ``model`` accepts, each normalised as the model does it
    (a username stripped and lower-cased): what a service may check while other fields of
    the same form are still wrong."""
    found: dict[str, Any] = {}
    blank = model.model_construct()
    for name, value in values.items():
        try:
            model.__pydantic_validator__.validate_assignment(blank, name, value)
        except ValidationError:
            continue
        found[name] = getattr(blank, name)
    return found


def show_errors(
    form: FlaskForm, error: InvalidInput | Conflict | ValidationError | list[FieldError]
) -> None:
    """Attach schema or service errors to the matching form fields.

    A field that already shows an error (a required field left empty, an address the schema
    refused) gets none from a later step: its first problem is the one to fix.
    """
    if isinstance(error, ValidationError):
        pairs = [
            (
                str(item["loc"][0]) if item["loc"] else "",
                validation_message(
                    item["type"],
                    str(item["loc"][0]) if item["loc"] else "",
                    dict(item.get("ctx") or {}),
                ),
            )
            for item in error.errors()
        ]
    else:
        found = error if isinstance(error, list) else error.errors
        pairs = [(e.field, gettext(e.message)) for e in found]
    if isinstance(error, Conflict) and not error.errors:
        pairs = [("", gettext(error.message))]
    in_error = {name for name, messages in form.errors.items() if messages and name is not None}
    for field_name, message in pairs:
        field = getattr(form, field_name, None) if field_name else None
        if field_name in in_error:
            continue
        if field is not None:
            field.errors = [*list(field.errors), message]
        elif message not in form.form_errors:
            form.form_errors.append(message)
