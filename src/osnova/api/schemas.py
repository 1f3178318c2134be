"""The API's models per direction: what a client sends, what it gets back.

Bodies reuse the shared input models (``osnova.schemas``) so a rule is written once; all of
them forbid unknown fields, so ``id``, ``owner_id``, ``role`` or ``is_active`` in a body is
a 422, never applied. Output models are built from the ORM rows (``from_attributes``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

from osnova import schemas
from osnova.models import EMAIL_MAX, TOKEN_NAME_MAX, Role
from osnova.schemas import Password, refused
from osnova.services import cursors
from osnova.services.items import DEFAULT_LIMIT, MAX_LIMIT
from osnova.services.tokens import DEFAULT_DAYS, MAX_DAYS

T = TypeVar("T")
# JSON bodies are validated strictly: `0` is not `false` and `"1"` is not `1`, as the
# OpenAPI document says. (Imported CSV rows use the lax shared models.)
STRICT_BODY = ConfigDict(extra="forbid", strict=True)


def _query_bool(value: Any) -> Any:
    """Query strings carry text: only ``true`` and ``false`` mean a boolean."""
    if isinstance(value, str):
        if value not in ("true", "false"):
            raise refused("use true or false")
        return value == "true"
    return value


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 30.0 as an integer; so does the API (``True`` stays refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


TokenName = Annotated[str, StringConstraints(max_length=TOKEN_NAME_MAX)]
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
# Short enough that a query string of multi-byte characters fits in a request line.
Query = Annotated[str, StringConstraints(max_length=100)]
# The shapes of the cursors the server makes; any string of that shape is a position.
ItemCursor = Annotated[str, StringConstraints(pattern=cursors.ITEM_CURSOR)]
UserCursor = Annotated[str, StringConstraints(pattern=cursors.USER_CURSOR)]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]


class StrictBody(BaseModel):
    """A JSON body of the API's own: unknown fields refused, and no type coercion."""

    model_config = STRICT_BODY


class QueryModel(BaseModel):
    """Query parameters arrive as text, so they are parsed, but unknown ones are refused."""

    model_config = ConfigDict(extra="forbid")


class UserCreate(schemas.UserCreate):
    """A registration: as the shared model, with the password required."""

    model_config = STRICT_BODY
    password: Password


class ItemCreate(schemas.ItemCreate):
    model_config = STRICT_BODY


class ItemUpdate(schemas.ItemUpdate):
    """A partial change: only the fields given are applied."""

    model_config = STRICT_BODY


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TokenRequest(StrictBody):
    username: Annotated[str, StringConstraints(min_length=1, max_length=EMAIL_MAX)] = Field(
        description="The username or the email address of the account."
    )
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    name: TokenName = Field(default="api", description="A label to recognise it by.")
    expires_in_days: WholeNumber = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS)


class TokenIssued(BaseModel):
    token: str = Field(description="The secret. It is shown only this once.")
    token_type: str = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_at: datetime


class Registered(BaseModel):
    detail: str


class UserUpdate(schemas.AccountUpdate):
    """What an account holder may change about themselves."""

    model_config = STRICT_BODY


class UserAdminUpdate(schemas.AccountAdminUpdate):
    """What an admin may change about any account."""

    model_config = STRICT_BODY
    # A JSON body carries the role as text, which a strict enum field would refuse.
    role: Annotated[Role | None, Field(strict=False)] = None


class UserPublic(OutputModel):
    username: str
    full_name: str
    created_at: datetime


class UserPrivate(UserPublic):
    id: int
    email: str
    pending_email: str | None = Field(
        description="An address asked for and not yet confirmed by following the link "
        "mailed to it; `email` stays as it is until then."
    )
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

    @model_serializer(mode="wrap")
    def _total_only_when_asked(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("total") is None:
            data.pop("total", None)
        return data


class ItemPage(Page[ItemPublic]):
    """A page of items (named so the OpenAPI component name stays plain)."""


class UserPage(Page[UserPrivate]):
    """A page of accounts, ordered by username."""


class ItemQuery(QueryModel):
    q: Query = ""
    owner: Annotated[str, StringConstraints(max_length=64)] | None = None
    limit: Limit = DEFAULT_LIMIT
    cursor: ItemCursor | None = None
    include_total: QueryBool = False


class UserQuery(QueryModel):
    q: Query = ""
    limit: Limit = DEFAULT_LIMIT
    cursor: UserCursor | None = None


class ImportJobStatus(BaseModel):
    """An import run by the job consumer: queued, running, done or failed."""

    id: int
    kind: str
    format: str
    status: Literal["queued", "running", "done", "failed"]
    dry_run: bool
    rows_done: int = Field(description="Rows read so far; all of them once it is done.")
    attempts: int = Field(description="Runs started (a run cut short is started again).")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: dict[str, Any] | None = Field(
        description="When done or failed: the same report as a direct import."
    )
