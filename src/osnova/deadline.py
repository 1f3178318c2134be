"""The end time of the work in hand, which loops and database statements consult.

A web request sets one (``http/deadlines.py``); the CLI and the job worker never do, so
outside a request ``remaining()`` is None and ``check()`` passes. The value lives in a
context variable: each gunicorn thread, and each request in it, sees its own.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from osnova.errors import DeadlineExceeded

_ENDS_AT: ContextVar[float | None] = ContextVar("osnova_deadline_ends_at", default=None)

__all__ = ["DeadlineExceeded", "check", "clear", "ends_at", "expired", "remaining", "start"]


def start(seconds: float) -> None:
    """Give the work in hand ``seconds`` from now."""
    _ENDS_AT.set(time.monotonic() + seconds)


def clear() -> None:
    """No deadline any more: the work is over, or its answer is being written."""
    _ENDS_AT.set(None)


def ends_at() -> float | None:
    """The deadline on ``time.monotonic()``'s clock, or None."""
    return _ENDS_AT.get()


def remaining() -> float | None:
    """Seconds left (negative once past), or None when there is no deadline."""
    ends_at = _ENDS_AT.get()
    return None if ends_at is None else ends_at - time.monotonic()


def expired() -> bool:
    ends_at = _ENDS_AT.get()
    return ends_at is not None and time.monotonic() >= ends_at


def check() -> None:
    """Raise ``DeadlineExceeded`` when the time is up; a long loop calls this now and then."""
    if expired():
        raise DeadlineExceeded()
