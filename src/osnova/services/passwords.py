"""Rules for choosing a password: length, not a common one, not the account's own name."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from osnova.errors import FieldError, InvalidInput
from osnova.i18n import N_
from osnova.schemas import PASSWORD_MAX, PASSWORD_MIN


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("osnova.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def password_problem(password: str, *, username: str, email: str) -> str | None:
    """Why ``password`` may not be chosen by this account, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN:
        return N_("The password is too short: use 12 to 128 characters.")
    if len(password) > PASSWORD_MAX:
        return N_("The password is too long: use 12 to 128 characters.")
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return N_("This password is too common.")
    if lowered in {username.lower(), email.lower(), email.split("@", maxsplit=1)[0].lower()}:
        return N_("The password must not be your username or email.")
    return None


def check_new_password(
    password: str, *, username: str, email: str, field: str = "password"
) -> None:
    """Raise InvalidInput naming ``field`` when the password breaks a rule."""
    problem = password_problem(password, username=username, email=email)
    if problem is not None:
        raise InvalidInput([FieldError(field, problem)], problem)
