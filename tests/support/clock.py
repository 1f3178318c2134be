"""A clock the test moves by hand, so session limits are tested without waiting."""

from __future__ import annotations

from datetime import datetime, timedelta

from osnova.database import utcnow


class ManualClock:
    """Stands still until ``advance`` moves it; starts at the real time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
