"""Password hashing with argon2id, and verification of hashes imported from other systems.

Production and development use at least OWASP's parameters; the testing profile uses the
cheapest valid ones so the suite stays fast. A dummy hash is verified for unknown users so a
failed login costs the same whether or not the account exists. Imported bcrypt, scrypt and
PBKDF2 hashes verify too and always need a rehash, so the login path turns them into argon2id.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
from functools import lru_cache

import bcrypt
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
    if not password_hash.startswith(ARGON2_PREFIXES):
        return _verify_foreign(password_hash, password)
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(settings: Settings, password_hash: str) -> bool:
    """True for argon2 hashes made with other parameters and for every foreign format."""
    if not password_hash.startswith("$argon2id$"):
        return True
    return password_hasher(settings).check_needs_rehash(password_hash)


ARGON2_PREFIXES = ("$argon2id$", "$argon2i$", "$argon2d$")
BCRYPT = re.compile(r"\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}")
# Werkzeug's formats: "pbkdf2:sha256:600000$salt$hex" and "scrypt:32768:8:1$salt$hex".
WERKZEUG_PBKDF2 = re.compile(
    r"pbkdf2:(sha256|sha512|sha1)(?::(\d{1,7}))?\$([^$]{1,128})\$([0-9a-f]{16,256})"
)
WERKZEUG_SCRYPT = re.compile(
    r"scrypt:(\d{1,7}):(\d{1,2}):(\d{1,2})\$([^$]{1,128})\$([0-9a-f]{16,256})"
)
# Django's format: "pbkdf2_sha256$870000$salt$base64".
DJANGO_PBKDF2 = re.compile(
    r"pbkdf2_(sha256|sha1)\$(\d{1,7})\$([^$]{1,128})\$([A-Za-z0-9+/=]{16,128})"
)
ARGON2_HASH = re.compile(
    r"\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)
RECOGNISED_HASH_FORMATS = (
    "argon2, bcrypt, scrypt:N:r:p$salt$hex, pbkdf2:sha256:N$salt$hex, pbkdf2_sha256$N$salt$b64"
)
WERKZEUG_PBKDF2_DEFAULT_ITERATIONS = 600_000
SCRYPT_MAX_MEMORY = 256 * 1024 * 1024


def is_recognised_hash(password_hash: str) -> bool:
    """True when ``password_hash`` is in a format ``verify_password`` can check."""
    return any(
        pattern.fullmatch(password_hash)
        for pattern in (ARGON2_HASH, BCRYPT, WERKZEUG_PBKDF2, WERKZEUG_SCRYPT, DJANGO_PBKDF2)
    )


def _verify_foreign(password_hash: str, password: str) -> bool:
    """Check a bcrypt, scrypt or PBKDF2 hash imported from another system."""
    secret = password.encode()
    if BCRYPT.fullmatch(password_hash):
        # bcrypt looks at 72 bytes at most; longer passwords fail rather than match loosely.
        return len(secret) <= 72 and bcrypt.checkpw(secret, password_hash.encode())
    if match := WERKZEUG_PBKDF2.fullmatch(password_hash):
        name, rounds, salt, expected = match.groups()
        iterations = int(rounds) if rounds else WERKZEUG_PBKDF2_DEFAULT_ITERATIONS
        digest = hashlib.pbkdf2_hmac(name, secret, salt.encode(), iterations).hex()
        return hmac.compare_digest(digest, expected)
    if match := WERKZEUG_SCRYPT.fullmatch(password_hash):
        n, r, p, salt, expected = match.groups()
        try:
            digest = hashlib.scrypt(
                secret,
                salt=salt.encode(),
                n=int(n),
                r=int(r),
                p=int(p),
                maxmem=SCRYPT_MAX_MEMORY,
                dklen=len(expected) // 2,
            ).hex()
        except ValueError:
            return False
        return hmac.compare_digest(digest, expected)
    if match := DJANGO_PBKDF2.fullmatch(password_hash):
        name, rounds, salt, expected = match.groups()
        raw = hashlib.pbkdf2_hmac(name, secret, salt.encode(), int(rounds))
        return hmac.compare_digest(base64.b64encode(raw).decode(), expected)
    return False


@lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("osnova dummy password for timing")


def _burn_dummy_verification(hasher: PasswordHasher, password: str) -> None:
    with contextlib.suppress(VerificationError):
        hasher.verify(_dummy_hash(hasher), password)
