"""What account managers do to everyone's API tokens: list them and revoke them.

A token's secret is never stored, so the list shows what a token is (owner, name, dates,
state), never what it says. Revoking goes through ``tokens``; revoking every token of an
account is audited once, with how many were live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from osnova.database import MAX_ROW_ID
from osnova.errors import NotFound, PermissionDenied
from osnova.i18n import N_
from osnova.models import USERNAME_MAX, ApiToken, User
from osnova.services import audit, cursors, keyset, policy, tokens

PAGE_SIZE = 50
NO_SUCH_USER = N_("No such user.")


class TokenState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class TokenFilter:
    username: str = ""
    state: TokenState | None = None


@dataclass(frozen=True, slots=True)
class ListedToken:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    user_id: int
    username: str
    owner_is_active: bool

    def state(self, now: datetime) -> TokenState:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return TokenState.EXPIRED
        return TokenState.ACTIVE


@dataclass(frozen=True)
class TokenPage:
    tokens: list[ListedToken]
    next_cursor: str | None


COLUMNS = (
    ApiToken.id.label("id"),
    ApiToken.name.label("name"),
    ApiToken.created_at.label("created_at"),
    ApiToken.last_used_at.label("last_used_at"),
    ApiToken.expires_at.label("expires_at"),
    ApiToken.revoked_at.label("revoked_at"),
    ApiToken.user_id.label("user_id"),
    User.username.label("username"),
    User.is_active.label("owner_is_active"),
)
NEWEST_FIRST = keyset.Order(ApiToken.created_at, ApiToken.id, "created_at", "id")


def _require_account_manager(actor: policy.Actor) -> None:
    if not policy.can(actor, policy.Permission.MANAGE_ACCOUNTS):
        raise PermissionDenied(N_("You are not allowed to manage accounts."))


def state_condition(state: TokenState, now: datetime) -> ColumnElement[bool]:
    """SQL true for the tokens in ``state`` at ``now`` (as ``ListedToken.state`` says)."""
    if state is TokenState.REVOKED:
        return ApiToken.revoked_at.is_not(None)
    if state is TokenState.EXPIRED:
        return and_(ApiToken.revoked_at.is_(None), ApiToken.expires_at <= now)
    return and_(
        ApiToken.revoked_at.is_(None),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
    )


def list_tokens(
    *,
    session: Session,
    actor: policy.Actor,
    filters: TokenFilter,
    now: datetime,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> TokenPage:
    """Every account's tokens newest first, optionally of one account or in one state."""
    _require_account_manager(actor)
    after = cursors.decode(cursor) if cursor else None
    query: Select[*tuple[Any, ...]] = select(*COLUMNS).join(ApiToken.user)
    if filters.username:
        user_id = session.scalar(
            select(User.id).where(User.username == filters.username.strip().lower()[:USERNAME_MAX])
        )
        if user_id is None:
            return TokenPage([], None)
        query = query.where(ApiToken.user_id == user_id)
    if filters.state is not None:
        query = query.where(state_condition(filters.state, now))
    rows, last = keyset.fetch_page(
        session,
        query,
        NEWEST_FIRST,
        after=(after.created_at, after.id) if after else None,
        limit=limit,
    )
    listed = [ListedToken(**row._mapping) for row in rows]
    return TokenPage(listed, cursors.encode(*last) if last else None)


def revoke_one(
    *, session: Session, actor: User, token_id: int, remote_addr: str | None = None
) -> ApiToken:
    """Revoke any account's token (``tokens.revoke`` audits it)."""
    _require_account_manager(actor)
    return tokens.revoke(session=session, actor=actor, token_id=token_id, remote_addr=remote_addr)


def revoke_all_of(
    *, session: Session, actor: User, user_id: int, remote_addr: str | None = None
) -> tuple[User, int]:
    """Revoke every live token of one account; the account and how many were live.

    Audited as ``token.revoke_all`` even when none was live, so the attempt is on record.
    """
    _require_account_manager(actor)
    user = session.get(User, user_id) if 0 < user_id <= MAX_ROW_ID else None
    if user is None:
        raise NotFound(NO_SUCH_USER)
    live = (
        session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )
        or 0
    )
    tokens.revoke_all(session=session, user=user)
    audit.record(
        session=session,
        action="token.revoke_all",
        actor=actor,
        target=f"user:{user.id}",
        remote_addr=remote_addr,
        details={"revoked": live},
    )
    return user, live
