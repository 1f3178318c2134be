"""Password hashing strength and verification."""

from __future__ import annotations

import re
from pathlib import Path

from osnova.config import Environment, Settings
from osnova.security import hash_password, needs_rehash, verify_password


def settings_for(env: Environment, tmp_path: Path) -> Settings:
    return Settings(env=env, instance_dir=tmp_path, _env_file=None)


def argon2_parameters(password_hash: str) -> dict[str, int]:
    match = re.match(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", password_hash)
    assert match is not None, password_hash
    memory, time_cost, parallelism = (int(group) for group in match.groups())
    return {"m": memory, "t": time_cost, "p": parallelism}


def test_production_and_development_hash_at_or_above_owasp(tmp_path: Path) -> None:
    for env in (Environment.PRODUCTION, Environment.DEVELOPMENT):
        params = argon2_parameters(hash_password(settings_for(env, tmp_path), "a long passphrase"))
        assert params["m"] >= 19 * 1024
        assert params["t"] >= 2


def test_testing_profile_uses_cheap_parameters(tmp_path: Path) -> None:
    params = argon2_parameters(
        hash_password(settings_for(Environment.TESTING, tmp_path), "a long passphrase")
    )
    assert params["m"] < 19 * 1024


def test_verify_accepts_the_password_and_rejects_others(tmp_path: Path) -> None:
    settings = settings_for(Environment.TESTING, tmp_path)
    stored = hash_password(settings, "a long passphrase")
    assert verify_password(settings, stored, "a long passphrase")
    assert not verify_password(settings, stored, "a long passphrasE")
    assert not verify_password(settings, "not a hash", "a long passphrase")
    assert not verify_password(settings, None, "a long passphrase")


def test_a_hash_made_with_weaker_parameters_needs_rehash(tmp_path: Path) -> None:
    weak = hash_password(settings_for(Environment.TESTING, tmp_path), "a long passphrase")
    assert needs_rehash(settings_for(Environment.PRODUCTION, tmp_path), weak)
