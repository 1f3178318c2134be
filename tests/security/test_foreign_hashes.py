"""Hashes imported from other systems verify, and always ask to be re-hashed to argon2id."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import bcrypt
import pytest

from osnova.config import Environment, Settings
from osnova.security import hash_password, is_recognised_hash, needs_rehash, verify_password

PASSWORD = "a long imported passphrase"


def foreign_hashes() -> dict[str, str]:
    salt = "NaCl1234"
    pbkdf2 = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt.encode(), 1000).hex()
    scrypt = hashlib.scrypt(PASSWORD.encode(), salt=salt.encode(), n=1024, r=8, p=1).hex()
    django = base64.b64encode(
        hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt.encode(), 1000)
    ).decode()
    return {
        "bcrypt": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode(),
        "werkzeug pbkdf2": f"pbkdf2:sha256:1000${salt}${pbkdf2}",
        "werkzeug scrypt": f"scrypt:1024:8:1${salt}${scrypt}",
        "django pbkdf2": f"pbkdf2_sha256$1000${salt}${django}",
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env=Environment.TESTING, instance_dir=tmp_path, _env_file=None)


@pytest.mark.parametrize("name", foreign_hashes())
def test_a_foreign_hash_verifies_and_needs_rehash(settings: Settings, name: str) -> None:
    stored = foreign_hashes()[name]
    assert is_recognised_hash(stored)
    assert verify_password(settings, stored, PASSWORD)
    assert not verify_password(settings, stored, PASSWORD + "!")
    assert needs_rehash(settings, stored)


def test_a_current_argon2id_hash_needs_no_rehash(settings: Settings) -> None:
    stored = hash_password(settings, PASSWORD)
    assert is_recognised_hash(stored)
    assert not needs_rehash(settings, stored)


def test_unknown_formats_are_not_recognised(settings: Settings) -> None:
    for stored in ("md5$abc", "plaintext", "$1$salt$hash", ""):
        assert not is_recognised_hash(stored)
        assert not verify_password(settings, stored, PASSWORD)
