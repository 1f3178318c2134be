"""The admin's list of accounts: searched, filtered and ordered, in keyset pages.

Every order is an index: newest and oldest first ``ix_users_recent``, by username the unique
index, by last sign-in ``ix_users_last_login``. The last order lists the accounts that signed
in (latest first), then those that never did (newest first); its cursor says which part it
is in, so a page that crosses from one to the other is still one seek per part.

The role, active and verified filters narrow the walk along the order's index rather than
choosing another one; so does a search (username, email or full name containing the words)
that many accounts match, while one that few match starts from them
(``osnova.services.account_search``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from osnova.database import MAX_ROW_ID
from osnova.models import Role, User
from osnova.services import cursors, keyset, policy
from osnova.services.account_search import account_matches

PAGE_SIZE, MAX_PAGE_SIZE = 50, 100
SEARCH_MAX = 100
_NEVER_CURSOR = re.compile(r"never_([0-9]{1,19})")


class AccountOrder(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    USERNAME = "username"
    USERNAME_DESC = "username-desc"
    LAST_SIGN_IN = "last-sign-in"


@dataclass(frozen=True)
class AccountFilter:
    """What the list is narrowed to; every field left empty lists everything."""

    q: str = ""
    role: Role | None = None
    is_active: bool | None = None
    verified: bool | None = None
    order: AccountOrder = AccountOrder.NEWEST


@dataclass(frozen=True, slots=True)
class ListedAccount:
    id: int
    username: str
    email: str
    full_name: str
    role: str
    is_active: bool
    email_verified_at: datetime | None
    pending_email: str | None
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class AccountPage:
    accounts: list[ListedAccount]
    next_cursor: str | None


COLUMNS = (
    User.id.label("id"),
    User.username.label("username"),
    User.email.label("email"),
    User.full_name.label("full_name"),
    User.role.label("role"),
    User.is_active.label("is_active"),
    User.email_verified_at.label("email_verified_at"),
    User.pending_email.label("pending_email"),
    User.created_at.label("created_at"),
    User.last_login_at.label("last_login_at"),
)
ORDERS = {
    AccountOrder.NEWEST: keyset.Order(User.created_at, User.id, "created_at", "id"),
    AccountOrder.OLDEST: keyset.Order(User.created_at, User.id, "created_at", "id", False),
    AccountOrder.USERNAME: keyset.Order(User.username, User.id, "username", "id", False),
    AccountOrder.USERNAME_DESC: keyset.Order(User.username, User.id, "username", "id"),
    AccountOrder.LAST_SIGN_IN: keyset.Order(User.last_login_at, User.id, "last_login_at", "id"),
}
# The second part of the last-sign-in order: accounts that never signed in, newest first.
NEVER_SIGNED_IN = keyset.Order(User.id, User.id, "id", "id")


def _require_account_manager(actor: policy.Actor) -> None:
    if not policy.can(actor, policy.Permission.MANAGE_ACCOUNTS):
        raise policy.denied()


def list_accounts(
    *,
    session: Session,
    actor: policy.Actor,
    filters: AccountFilter,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> AccountPage:
    """A page of the accounts matching ``filters``, in their order, after ``cursor``."""
    _require_account_manager(actor)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = _filtered(session, filters)
    if filters.order is AccountOrder.LAST_SIGN_IN:
        return _by_last_sign_in(session, query, cursor, limit)
    order = ORDERS[filters.order]
    after = _position(cursor, filters.order) if cursor else None
    rows, last = keyset.fetch_page(session, query, order, after=after, limit=limit)
    listed = [ListedAccount(**row._mapping) for row in rows]
    return AccountPage(listed, _cursor(last, filters.order) if last else None)


def _filtered(session: Session, filters: AccountFilter) -> Select[*tuple[Any, ...]]:
    query = select(*COLUMNS)
    # NUL and U+0001 (which joins the fields for PostgreSQL's index) are in no account.
    words = filters.q.replace("\x00", "").replace("\x01", "").strip()[:SEARCH_MAX].lower()
    if words:
        query = query.where(account_matches(session, words))
    if filters.role is not None:
        query = query.where(User.role == filters.role.value)
    if filters.is_active is not None:
        query = query.where(User.is_active.is_(filters.is_active))
    if filters.verified is not None:
        verified = User.email_verified_at
        query = query.where(verified.is_not(None) if filters.verified else verified.is_(None))
    return query


def _by_last_sign_in(
    session: Session, query: Select[*tuple[Any, ...]], cursor: str | None, limit: int
) -> AccountPage:
    """Those who signed in, latest first, then those who never did; one cursor for both."""
    signed_in = query.where(User.last_login_at.is_not(None))
    never = query.where(User.last_login_at.is_(None))
    never_after = _never_position(cursor) if cursor else None
    rows: list[Any] = []
    if never_after is None:
        after = None
        if cursor:
            position = cursors.decode(cursor)
            after = (position.created_at, position.id)
        found, last = keyset.fetch_page(
            session, signed_in, ORDERS[AccountOrder.LAST_SIGN_IN], after=after, limit=limit
        )
        if last is not None:
            listed = [ListedAccount(**row._mapping) for row in found]
            return AccountPage(listed, cursors.encode(last[0], last[1]))
        rows = list(found)
    if len(rows) < limit:
        start = (never_after, never_after) if never_after is not None else None
        more, last_never = keyset.fetch_page(
            session, never, NEVER_SIGNED_IN, after=start, limit=limit - len(rows)
        )
        rows += more
        listed = [ListedAccount(**row._mapping) for row in rows]
        return AccountPage(listed, f"never_{last_never[1]}" if last_never else None)
    # This page ends exactly where the signed-in part does: the other part follows, if any.
    listed = [ListedAccount(**row._mapping) for row in rows]
    more_follow = session.connection().execute(never.limit(1)).first() is not None
    return AccountPage(listed, f"never_{MAX_ROW_ID}" if more_follow else None)


def _never_position(cursor: str) -> int | None:
    found = _NEVER_CURSOR.fullmatch(cursor)
    return min(int(found[1]), MAX_ROW_ID) if found else None


def _position(cursor: str, order: AccountOrder) -> tuple[Any, int]:
    if order in (AccountOrder.USERNAME, AccountOrder.USERNAME_DESC):
        return keyset.decode_text(cursor)
    position = cursors.decode(cursor)
    return position.created_at, position.id


def _cursor(last: tuple[Any, int], order: AccountOrder) -> str:
    key, row_id = last
    if order in (AccountOrder.USERNAME, AccountOrder.USERNAME_DESC):
        return keyset.encode_text(key, row_id)
    return cursors.encode(key, row_id)


def selected_accounts(
    *, session: Session, actor: policy.Actor, user_ids: Iterable[int]
) -> list[ListedAccount]:
    """The accounts among ``user_ids`` that exist, by username (what a bulk action touches)."""
    _require_account_manager(actor)
    wanted = sorted({i for i in user_ids if 0 < i <= MAX_ROW_ID})[:MAX_PAGE_SIZE]
    if not wanted:
        return []
    query = select(*COLUMNS).where(User.id.in_(wanted)).order_by(User.username)
    return [ListedAccount(**row._mapping) for row in session.connection().execute(query)]
