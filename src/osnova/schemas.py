"""Validation models, one per shape and direction.

The same model validates an API body, an imported row and (through the same rules) a web
form, so a rule is written once. Services accept these models, never raw dicts.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from osnova.i18n import N_
from osnova.models import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    EXTERNAL_ID_MAX,
    FULL_NAME_MAX,
    TITLE_MAX,
    USERNAME_CHARSET,
    USERNAME_MAX,
    USERNAME_MIN,
    Role,
)
from osnova.security import RECOGNISED_HASH_FORMATS, is_recognised_hash

PASSWORD_MIN, PASSWORD_MAX = 12, 128
CURRENT_PASSWORD_MAX = 1024
USERNAME_PATTERN = re.compile(f"[{USERNAME_CHARSET}]+")
USERNAME_RULE = N_("Use only letters a-z, digits and the characters _ . -")


def refused(message: str) -> PydanticCustomError:
    """The error a rule raises, with ``message`` as the user reads it.

    Every rule raises this, never ``ValueError``: pydantic words a ValueError as
    "Value error, <message>", and that prefix would reach forms, API problems and import
    reports, which all show a rule's message as it is.
    """
    return PydanticCustomError("value_error", message)


def _check_username(value: str) -> str:
    if not USERNAME_PATTERN.fullmatch(value):
        raise refused(USERNAME_RULE)
    return value


def _at_most(limit: int) -> BeforeValidator:
    """Length is checked before whitespace is stripped too, as JSON Schema's maxLength is."""

    def check(value: object) -> object:
        if isinstance(value, str) and len(value) > limit:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": limit},
            )
        return value

    return BeforeValidator(check)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise refused("must not contain NUL characters")
    return value


# The JSON-schema patterns below tell API clients (and fuzzers) the rules the validators
# check; the validators stay the authority.
NO_NUL = {"pattern": "^[^\\u0000]*$"}
# Python's str.strip() whitespace, spelled out: a title needs one character outside it.
_STRIPPED = (
    "\\u0000\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0"
    "\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
NOT_BLANK = {"pattern": f"^[^\\u0000]*[^{_STRIPPED}][^\\u0000]*$"}

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=USERNAME_MIN, max_length=USERNAME_MAX
    ),
    AfterValidator(_check_username),
    _at_most(USERNAME_MAX),
    # Input is lower-cased before the rule applies, so the published pattern admits A-Z.
    Field(json_schema_extra={"pattern": f"^[A-Z{USERNAME_CHARSET}]+$"}),
]
# The common shape of an address, which email-validator always accepts unchanged: checking it
# with one regex makes a bulk import several times faster. Anything else takes the full path.
# Possessive quantifiers and look-behinds ("no final dot", "no final hyphen") instead of
# optional groups: the same addresses, matched without backtracking.
SIMPLE_EMAIL = re.compile(
    r"[a-z0-9][a-z0-9._+-]{0,63}+(?<!\.)"
    r"@(?:[a-z0-9][a-z0-9-]{0,62}+(?<!-)\.)++[a-z]{2,63}",
    re.ASCII,
)
SPECIAL_USE_DOMAIN = re.compile(
    r"(?:^|\.)(?:" + "|".join(map(re.escape, SPECIAL_USE_DOMAIN_NAMES)) + r")$"
)
SPECIAL_USE_LAST_LABELS = frozenset(name.rpartition(".")[2] for name in SPECIAL_USE_DOMAIN_NAMES)


def simple_email(value: object) -> str | None:
    """``value`` lowercased when it has the common shape, else None (the full path decides)."""
    if isinstance(value, str) and value.isascii() and len(value) <= EMAIL_MAX:
        lowered = value.lower()
        domain = lowered.rpartition("@")[2]
        if (
            SIMPLE_EMAIL.fullmatch(lowered)
            and ".." not in lowered
            and "--" not in domain  # "ab--c" is reserved for IDNA; the full path decides
            and not (
                domain.rpartition(".")[2] in SPECIAL_USE_LAST_LABELS
                and SPECIAL_USE_DOMAIN.search(domain)
            )
        ):
            return lowered
    return None


def _fast_email(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    simple = simple_email(value)
    return simple if simple is not None else handler(value)


def _any_case(word: str) -> str:
    """``word`` as a pattern matching it in any case (JSON Schema patterns take no flags)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# What the validator accepts beyond "format: email", for clients and fuzzers: one @, a dot in
# the domain, at most 254 characters, and no special-use domain (".test", ".local", ...),
# where no mail is ever delivered.
EMAIL_SCHEMA = {
    "maxLength": EMAIL_MAX,
    "pattern": r"^(?!.*\.(?:"
    + "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
    + r")$)[^@]+@[^@]+\.[^@]+$",
}
Email = Annotated[
    EmailStr,
    WrapValidator(_fast_email),
    AfterValidator(str.lower),
    Field(json_schema_extra=EMAIL_SCHEMA),
]
FullName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=FULL_NAME_MAX),
    AfterValidator(_no_nul),
    _at_most(FULL_NAME_MAX),
    Field(json_schema_extra=NO_NUL),
]
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
# A password being checked, not chosen: older or imported ones may be outside today's rules.
CurrentPassword = Annotated[str, StringConstraints(max_length=CURRENT_PASSWORD_MAX)]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX),
    AfterValidator(_no_nul),
    _at_most(TITLE_MAX),
    Field(json_schema_extra=NOT_BLANK),
]
Description = Annotated[
    str,
    StringConstraints(max_length=DESCRIPTION_MAX),
    AfterValidator(_no_nul),
    Field(json_schema_extra=NO_NUL),
]


def _empty_as_none(value: Any) -> Any:
    return None if value == "" else value


def _check_hash_format(value: str) -> str:
    if not is_recognised_hash(value):
        raise refused(f"is not a password hash in a recognised format ({RECOGNISED_HASH_FORMATS})")
    return value


PasswordHashText = Annotated[str, AfterValidator(_check_hash_format)]
ImportedPasswordHash = Annotated[PasswordHashText | None, BeforeValidator(_empty_as_none)]
ExternalIdText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=EXTERNAL_ID_MAX),
    AfterValidator(_no_nul),
]
ExternalId = Annotated[ExternalIdText | None, BeforeValidator(_empty_as_none)]


class StrictModel(BaseModel):
    """Unknown fields are an error: a typo or a smuggled ``role`` is never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class UserCreate(StrictModel):
    """A new account as its owner describes it: no role, no activation flag."""

    username: Username
    email: Email
    full_name: FullName = ""
    password: Password | None = None


class ProfileUpdate(StrictModel):
    full_name: FullName


class EmailChange(StrictModel):
    email: Email


class AccountUpdate(StrictModel):
    """What an account holder may change about themselves; only the fields given apply.

    A new ``email`` needs ``current_password``, and takes effect once confirmed.
    """

    full_name: FullName | None = None
    email: Email | None = None
    current_password: CurrentPassword | None = Field(
        default=None, description="The account's password; needed to change `email`."
    )


class AccountAdminUpdate(StrictModel):
    """What an admin may change about any account (an email change applies at once)."""

    full_name: FullName | None = None
    email: Email | None = None
    role: Role | None = None
    is_active: bool | None = None


class AccountInvite(StrictModel):
    """A new account an admin opens for someone: no password, the person chooses one from
    the invitation mailed to them."""

    username: Username
    email: Email
    full_name: FullName = ""
    role: Role = Role.USER


class RoleChange(StrictModel):
    role: Role


class ItemCreate(StrictModel):
    title: Title
    description: Description = ""
    is_public: bool = Field(default=False)


class ItemUpdate(StrictModel):
    """A partial change: only the fields given are applied."""

    title: Title | None = None
    description: Description | None = None
    is_public: bool | None = None


class UserImport(StrictModel):
    """One account in an import file; a password hash moves in as it is, never a password."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    username: Username
    email: Email
    full_name: FullName = ""
    role: Role = Role.USER
    is_active: bool = True
    password_hash: ImportedPasswordHash = None


class ItemImport(StrictModel):
    """One item in an import file; ``owner`` is a username (admins only)."""

    title: Title
    description: Description = ""
    is_public: bool = False
    owner: Username | None = None
    external_id: ExternalId = None
