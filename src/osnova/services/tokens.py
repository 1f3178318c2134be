"""API tokens: opaque bearer secrets of which only the sha256 is stored.

A secret is shown once, when it is made. It stops working when it expires, when it is
revoked, when its owner changes or resets the password, or when the account is deactivated
(``accounts`` revokes tokens then). Every create and revoke is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from osnova.database import MAX_ROW_ID, utcnow
from osnova.errors import NotFound, PermissionDenied
from osnova.i18n import N_
from osnova.models import TOKEN_NAME_MAX, ApiToken, User
from osnova.services import audit, policy

PREFIX = "osn_"
SECRET_BYTES = 32
DEFAULT_DAYS, MAX_DAYS = 30, 365
# last_used_at is refreshed at most this often, so reads do not each write a row.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_SECRET_LENGTH = 128
TOKEN_NOT_FOUND = N_("There is no such token.")


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret, which exists nowhere else once this is dropped."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    *,
    session: Session,
    user: User,
    name: str = "api",
    days: int = DEFAULT_DAYS,
    remote_addr: str | None = None,
) -> IssuedToken:
    """A new token for ``user`` (an active account), valid ``days`` days."""
    if not user.is_active:
        raise PermissionDenied(N_("This account is deactivated."))
    days = max(1, min(days, MAX_DAYS))
    secret = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    expires_at = utcnow() + timedelta(days=days)
    token = ApiToken(
        user=user,
        name=(name.strip() or "api")[:TOKEN_NAME_MAX],
        token_hash=hash_secret(secret),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session=session,
        action="token.create",
        actor=user,
        target=f"token:{token.id}",
        remote_addr=remote_addr,
        details={"name": token.name, "expires_at": expires_at.isoformat()},
    )
    return IssuedToken(token=token, secret=secret)


def is_usable(token: ApiToken, now: datetime) -> bool:
    if token.revoked_at is not None or not token.user.is_active:
        return False
    return token.expires_at is None or token.expires_at > now


# Built once: every call authenticated by a token runs it, and composing it cost more than
# running it.
_TOKEN_BY_HASH = (
    select(ApiToken)
    .where(ApiToken.token_hash == bindparam("digest"))
    .options(joinedload(ApiToken.user))
)


def authenticate(*, session: Session, secret: str) -> ApiToken | None:
    """The live token for ``secret``, or None (unknown, expired, revoked, inactive owner).

    The owner is loaded now, so a role change or deactivation counts from the next call.
    """
    if not secret.startswith(PREFIX) or len(secret) > MAX_SECRET_LENGTH:
        return None
    digest = hash_secret(secret)
    token = session.scalar(_TOKEN_BY_HASH, {"digest": digest})
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    now = utcnow()
    if not is_usable(token, now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token


def list_tokens(*, session: Session, user: User) -> list[ApiToken]:
    """``user``'s tokens, newest first, revoked and expired ones included."""
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke(
    *, session: Session, actor: User, token_id: int, remote_addr: str | None = None
) -> ApiToken:
    """Revoke one token of ``actor``'s own (or anyone's, for an account manager)."""
    token = session.get(ApiToken, token_id) if 0 < token_id <= MAX_ROW_ID else None
    if token is None:
        raise NotFound(TOKEN_NOT_FOUND)
    if token.user_id != actor.id and not policy.can(actor, policy.Permission.MANAGE_ACCOUNTS):
        raise NotFound(TOKEN_NOT_FOUND)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session=session,
            action="token.revoke",
            actor=actor,
            target=f"token:{token.id}",
            remote_addr=remote_addr,
            details={"owner_id": token.user_id},
        )
    return token


def revoke_all(*, session: Session, user: User) -> None:
    """Revoke every live token of ``user`` (a password change, a deactivation)."""
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
