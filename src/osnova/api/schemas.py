"""The API's models per direction: what a client sends, what it gets back.

Bodies reuse the shared input models (``osnova.schemas``) so a rule is written once; all of
them forbid unknown fields, so ``id``, ``owner_id``, ``role`` or ``is_active`` in a body is
a 422, never applied. Output models are built from the ORM rows (``from_attributes``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from osnova.models import TOKEN_NAME_MAX, Role
from osnova.schemas import Email, FullName, StrictModel, UserCreate
from osnova.services.items import DEFAULT_LIMIT, MAX_LIMIT
from osnova.services.tokens import DEFAULT_DAYS, MAX_DAYS

__all__ = ["UserCreate"]
T = TypeVar("T")

TokenName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TOKEN_NAME_MAX)
]
Query = Annotated[str, StringConstraints(max_length=200)]
Cursor = Annotated[str, StringConstraints(max_length=200)]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TokenRequest(StrictModel):
    username: Annotated[str, StringConstraints(min_length=1, max_length=254)] = Field(
        description="The username or the email address of the account."
    )
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    name: TokenName = "api"
    expires_in_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = DEFAULT_DAYS


class TokenIssued(BaseModel):
    token: str = Field(description="The secret. It is shown only this once.")
    token_type: str = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_at: datetime


class Registered(BaseModel):
    detail: str


class UserUpdate(StrictModel):
    """What an account holder may change about themselves."""

    full_name: FullName | None = None
    email: Email | None = None


class UserAdminUpdate(UserUpdate):
    """What an admin may change about any account."""

    role: Role | None = None
    is_active: bool | None = None


class UserPublic(OutputModel):
    username: str
    full_name: str
    created_at: datetime


class UserPrivate(UserPublic):
    id: int
    email: str
    role: Role
    is_active: bool
    email_verified_at: datetime | None
    last_login_at: datetime | None


class ItemPublic(OutputModel):
    id: int
    title: str
    description: str
    is_public: bool
    owner: str = Field(description="The owner's username.")
    created_at: datetime
    updated_at: datetime


class Page(BaseModel, Generic[T]):
    """A list page: ``{items, next_cursor}``, plus ``total`` when asked for."""

    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")
    total: int | None = Field(default=None, description="Only with `include_total=true`.")


class ItemPage(Page[ItemPublic]):
    """A page of items (named so the OpenAPI component name stays plain)."""


class UserPage(Page[UserPrivate]):
    """A page of accounts, ordered by username."""


class ItemQuery(StrictModel):
    q: Query = ""
    owner: Annotated[str, StringConstraints(max_length=64)] | None = None
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None
    include_total: bool = False


class UserQuery(StrictModel):
    q: Query = ""
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None
