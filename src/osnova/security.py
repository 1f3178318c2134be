"""Password hashing with argon2id.

Production and development use at least OWASP's parameters; the testing profile uses the
cheapest valid ones so the suite stays fast. A dummy hash is verified for unknown users so a
failed login costs the same whether or not the account exists.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from osnova.config import Settings


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def password_hasher(settings: Settings) -> PasswordHasher:
    if settings.is_testing:
        return _hasher(1, 8, 1)
    return _hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def hash_password(settings: Settings, password: str) -> str:
    return password_hasher(settings).hash(password)


def verify_password(settings: Settings, password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash costs a dummy verification."""
    hasher = password_hasher(settings)
    if password_hash is None:
        _burn_dummy_verification(hasher, password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(settings: Settings, password_hash: str) -> bool:
    return password_hasher(settings).check_needs_rehash(password_hash)


@lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("osnova dummy password for timing")


def _burn_dummy_verification(hasher: PasswordHasher, password: str) -> None:
    with contextlib.suppress(VerificationError):
        hasher.verify(_dummy_hash(hasher), password)
