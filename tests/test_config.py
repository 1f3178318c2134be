"""Settings profiles and the production safety gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from osnova import create_app
from osnova.config import (
    GUNICORN_TIMEOUT_SECONDS,
    ConfigError,
    Environment,
    Settings,
    deployment_findings,
    validate_for_startup,
)

STRONG_KEY = "k" * 16 + "0123456789abcdef0123"


def production(**values: object) -> Settings:
    site = {"allowed_hosts": ["catalogue.example.org"], "base_url": "https://catalogue.example.org"}
    return Settings(env=Environment.PRODUCTION, _env_file=None, **(site | values))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "OSNOVA_SECRET_KEY is not set"),
        ("", "OSNOVA_SECRET_KEY is not set"),
        ("short-but-random-31-bytes-value", "shorter than 32 bytes"),
        ("changeme", "known placeholder"),
        ("please-change-me-to-a-long-random-string", "known placeholder"),
        (" " * 40, "fewer than 12 distinct characters"),
        ("a" * 36, "fewer than 12 distinct characters"),
        ("abcabcabcabcabcabcabcabcabcabcabcabc", "fewer than 12 distinct characters"),
    ],
)
def test_production_refuses_a_weak_secret_key(secret: str | None, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason) as raised:
        validate_for_startup(production(secret_key=secret))
    assert "\n" not in str(raised.value)


def test_production_refuses_debug() -> None:
    with pytest.raises(ConfigError, match="debug mode is on"):
        validate_for_startup(production(secret_key=STRONG_KEY, debug=True))


def test_production_refuses_flask_debug_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="debug mode is on"):
        validate_for_startup(production(secret_key=STRONG_KEY))


@pytest.mark.parametrize(
    ("missing", "setting"),
    [({"allowed_hosts": []}, "OSNOVA_ALLOWED_HOSTS"), ({"base_url": None}, "OSNOVA_BASE_URL")],
)
def test_production_needs_its_hosts_and_public_url(
    missing: dict[str, object], setting: str
) -> None:
    with pytest.raises(ConfigError, match=setting) as raised:
        validate_for_startup(production(secret_key=STRONG_KEY, **missing))
    assert "\n" not in str(raised.value)


def test_production_refuses_argon2_below_owasp() -> None:
    with pytest.raises(ConfigError, match="OSNOVA_ARGON2"):
        validate_for_startup(production(secret_key=STRONG_KEY, argon2_memory_kib=1024))


def test_production_with_a_strong_key_builds_an_app(tmp_path: Path) -> None:
    settings = production(
        secret_key=STRONG_KEY,
        instance_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    app = create_app(settings)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SECRET_KEY"] == STRONG_KEY


def test_settings_come_from_osnova_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OSNOVA_ENV", "production")
    monkeypatch.setenv("OSNOVA_ALLOWED_HOSTS", "example.org, www.example.org")
    monkeypatch.setenv("OSNOVA_REGISTRATION_OPEN", "false")
    settings = Settings(_env_file=None)
    assert settings.is_production
    assert settings.allowed_hosts == ["example.org", "www.example.org"]
    assert settings.registration_open is False


def test_development_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    def dev_app() -> str:
        settings = Settings(
            instance_dir=tmp_path,
            database_url="sqlite://",
            _env_file=None,
        )
        return str(create_app(settings).config["SECRET_KEY"])

    first, second = dev_app(), dev_app()
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_relative_sqlite_path_is_anchored_beside_the_instance_dir(tmp_path: Path) -> None:
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url="sqlite:///instance/osnova.sqlite3",
        _env_file=None,
    )
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path}/instance/osnova.sqlite3"


def test_the_default_database_lives_in_the_instance_folder(tmp_path: Path) -> None:
    settings = Settings(instance_dir=tmp_path / "state", _env_file=None)
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path}/state/osnova.sqlite3"


def test_shared_folders_for_several_hosts_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = Settings(instance_dir=tmp_path / "state", _env_file=None)
    assert alone.resolved_spool_dir() == tmp_path / "state" / "import-jobs"
    monkeypatch.setenv("OSNOVA_MEDIA_DIR", "/srv/shared/media")
    monkeypatch.setenv("OSNOVA_SPOOL_DIR", "/srv/shared/spool")
    shared = Settings(instance_dir=tmp_path / "state", _env_file=None)
    assert shared.resolved_media_dir() == Path("/srv/shared/media")
    assert shared.resolved_spool_dir() == Path("/srv/shared/spool")


def test_check_deploy_says_what_a_deployment_without_redis_still_shares() -> None:
    findings = {
        finding.setting: finding.problem
        for finding in deployment_findings(production(secret_key=STRONG_KEY))
    }
    assert "counted in the database" in findings["OSNOVA_REDIS_URL"]
    assert "job queue is a SQLite file" in findings["OSNOVA_REDIS_URL"]
    with_redis = production(secret_key=STRONG_KEY, redis_url="redis://127.0.0.1:6379/0")
    assert "OSNOVA_REDIS_URL" not in {
        finding.setting for finding in deployment_findings(with_redis)
    }


def test_check_deploy_flags_a_request_deadline_not_below_gunicorns_timeout() -> None:
    def flagged(seconds: float) -> bool:
        settings = production(secret_key=STRONG_KEY, request_deadline_seconds=seconds)
        return "OSNOVA_REQUEST_DEADLINE_SECONDS" in {
            finding.setting for finding in deployment_findings(settings)
        }

    assert not flagged(20)
    assert flagged(GUNICORN_TIMEOUT_SECONDS)
