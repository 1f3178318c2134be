"""The audit trail: security-relevant events written to AuditEvent and to the log.

Callers pass only what is safe to keep: never passwords, tokens or hashes in ``details``.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from osnova.metrics import LOGINS
from osnova.models import AuditEvent, User

log = logging.getLogger("osnova.audit")

FORBIDDEN_DETAIL_KEYS = frozenset({"password", "password_hash", "token", "secret", "cookie"})


def record(
    *,
    session: Session,
    action: str,
    actor: User | None = None,
    target: str | None = None,
    remote_addr: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the session (the caller's transaction commits it) and log it."""
    safe_details = {k: v for k, v in (details or {}).items() if k not in FORBIDDEN_DETAIL_KEYS}
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target=target,
        remote_addr=remote_addr,
        details=safe_details,
    )
    session.add(event)
    if action.startswith("login."):
        LOGINS.labels(action.removeprefix("login.")).inc()
    log.info(
        "audit %s",
        action,
        extra={
            "audit_action": action,
            "actor_id": event.actor_id,
            "target": target,
            "remote_addr": remote_addr,
            "details": safe_details,
        },
    )
    return event
