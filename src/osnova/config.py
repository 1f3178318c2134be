"""Typed settings read from ``OSNOVA_*`` environment variables (and an optional ``.env``).

One ``Settings`` object describes a deployment. Profiles (``development``, ``testing``,
``production``) only change defaults. This module is also the one home of "what is unsafe in
production": ``validate_for_startup`` refuses the worst of it so a misconfigured server never
starts, and ``deployment_findings`` lists all of it for ``osnova check --deploy``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

# The default database: a SQLite file in the instance folder, wherever that folder is.
DEFAULT_DATABASE_URL = "sqlite:///instance/osnova.sqlite3"
MIN_SECRET_KEY_BYTES = 32
# A random key of 32+ characters has far more; 40 spaces or 36 times "a" have one.
MIN_SECRET_KEY_DISTINCT = 12
MAKE_A_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105
# OWASP's floor for argon2id: 19 MiB of memory and two passes.
OWASP_ARGON2_MEMORY_KIB = 19_456
OWASP_ARGON2_TIME_COST = 2
# OWASP ASVS level 2 (3.3.2): a session ends after 30 minutes idle and 12 hours in all.
ASVS_IDLE_MINUTES, ASVS_LIFETIME_HOURS = 30, 12
# zxcvbn's score 3, "safely unguessable": 10^8 guesses or more, so a password resists online
# guessing outright and an offline attack on leaked argon2 hashes for a long while.
DEFAULT_PASSWORD_MIN_SCORE = 3
# gunicorn's worker timeout as shipped (``timeout`` in osnova/gunicorn_conf.py); the request
# deadline must end before it, and nginx's proxy_read_timeout (35 s) after both.
GUNICORN_TIMEOUT_SECONDS = 30

# Every Redis client (rate limits, the job queue) gives up on a Redis it cannot reach within
# seconds rather than the kernel's minutes; a consumer's blocking read waits 1 s at a time.
REDIS_TIMEOUTS = {"socket_connect_timeout": 3, "socket_timeout": 5}
PLACEHOLDER_SECRETS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secret-key",
        "dev",
        "development",
        "your-secret-key",
        "replace-me",
        "please-change-me-to-a-long-random-string",
    }
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TESTING = "testing"
    PRODUCTION = "production"


class ConfigError(RuntimeError):
    """A setting makes the configuration unsafe or unusable; the message names it."""


def _source_root() -> Path | None:
    """The checkout root when osnova runs from its source tree (``src`` layout), else None."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "src").is_dir() else None


def default_instance_dir() -> Path:
    """``instance/`` next to the source tree, or in the working directory for an installed copy."""
    root = _source_root()
    return (root if root is not None else Path.cwd()) / "instance"


class Settings(BaseSettings):
    """Every knob of a deployment; each field maps to ``OSNOVA_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="OSNOVA_", env_file=".env", extra="ignore", frozen=True
    )

    env: Environment = Environment.DEVELOPMENT
    debug: bool = False
    secret_key: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    instance_dir: Path = Field(default_factory=default_instance_dir)
    redis_url: str | None = None
    # Uploaded images, and import files waiting for the job consumer. With several hosts each
    # must be one folder all of them mount (NFS or the like; see docs/scaling.md).
    media_dir: Path | None = None
    spool_dir: Path | None = None
    max_image_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    trusted_proxies: int = 0
    # Origins whose pages may call the JSON API from a browser (CORS); none by default.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    smtp_url: str | None = None
    sentry_dsn: SecretStr | None = None
    metrics_token: SecretStr | None = None
    registration_open: bool = True
    base_url: str | None = None
    mail_from: str = "osnova <no-reply@localhost>"
    # Sessions end after this long without a request, and this long after sign-in (ASVS
    # level 2 asks for at most 30 minutes and 12 hours). "Keep me signed in" remembers a
    # device for remember_days (at most 30; 0 takes the choice off the sign-in form).
    session_idle_minutes: int = Field(default=ASVS_IDLE_MINUTES, ge=1)
    session_lifetime_hours: int = Field(default=ASVS_LIFETIME_HOURS, ge=1)
    remember_days: int = Field(default=30, ge=0, le=30)
    # The lowest zxcvbn score (0-4) a new password may have.
    password_min_score: int = Field(default=DEFAULT_PASSWORD_MIN_SCORE, ge=0, le=4)
    # Brute-force limits (Flask-Limiter notation), counted in Redis when it is set, else in the
    # database: every worker and host shares them. The account limit applies to clients
    # without a device cookie for it; each device cookie has the same limit of its own.
    login_failures_per_account: str = "10 per 15 minutes"
    login_attempts_per_ip: str = "60 per 15 minutes"
    registrations_per_ip: str = "10 per hour"
    password_resets_per_ip: str = "10 per hour"  # noqa: S105 - a rate, not a password
    rate_limit_key_prefix: str = "osnova"
    # A browser keeps its device cookie this long after its last sign-in (browsers cap at 400).
    device_cookie_days: int = Field(default=365, ge=1, le=400)
    # Links in mail stay valid this long.
    reset_link_minutes: int = Field(default=60, ge=1)
    verify_link_hours: int = Field(default=48, ge=1)
    invitation_link_days: int = Field(default=7, ge=1)
    # A change of email: the link mailed to the new address lives this long, and the old
    # address may cancel the change (undo it, once confirmed) for this many days.
    email_change_link_hours: int = Field(default=24, ge=1)
    email_change_undo_days: int = Field(default=7, ge=1)
    # Background jobs (huey): a SQLite queue in the instance folder, or Redis when redis_url is
    # set. Immediate mode runs each job inside the call that queues it (the testing default).
    jobs_immediate: bool | None = None
    jobs_queue_name: str = "osnova"
    job_workers: int = Field(default=2, ge=1, le=64)
    job_worker_type: Literal["thread", "process"] = "thread"
    # How long an idle consumer waits at most between looks at a SQLite queue (Redis blocks).
    job_poll_seconds: float = Field(default=0.5, gt=0, le=10)
    # A failed mail is tried again after this many seconds, doubling each time.
    job_retries: int = Field(default=6, ge=0)
    job_retry_seconds: float = Field(default=10, ge=0)
    # Imports over HTTP: more rows than this become a background job (202 and a status URL).
    import_http_max_rows: int = Field(default=5_000, ge=1)
    import_http_max_rows_admin: int = Field(default=50_000, ge=1)
    imports_per_account: str = "3 per minute"
    # A running import whose consumer stopped beating this long ago is started again.
    import_stall_seconds: int = Field(default=30, ge=1)
    # Housekeeping: finished import jobs and their files, and the audit trail, are kept this long.
    import_job_days: int = Field(default=7, ge=1)
    audit_retention_days: int = Field(default=365, ge=1)
    # A web request still working after this long is answered 503 (its statements are
    # stopped, its changes rolled back): below gunicorn's timeout and nginx's read timeout.
    request_deadline_seconds: float = Field(default=20, gt=0, le=3600)
    sql_echo: bool = False
    log_level: str = Field(default="INFO", pattern=r"(?i)^(debug|info|warning|error|critical)$")
    # Argon2id cost; OWASP's floor is m=19 MiB, t=2, p=1. The testing profile ignores these.
    argon2_memory_kib: int = OWASP_ARGON2_MEMORY_KIB
    argon2_time_cost: int = OWASP_ARGON2_TIME_COST
    argon2_parallelism: int = 1

    @field_validator("allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [host.strip() for host in value.split(",") if host.strip()]
        return value

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def is_testing(self) -> bool:
        return self.env is Environment.TESTING

    @property
    def runs_jobs_immediately(self) -> bool:
        """Jobs run where they are queued: the testing default, never a choice in production."""
        if self.jobs_immediate is None:
            return self.is_testing
        return self.jobs_immediate

    def resolved_database_url(self) -> str:
        """The database URL with its SQLite file placed for any working directory.

        The default is ``osnova.sqlite3`` in the instance folder (so ``OSNOVA_INSTANCE_DIR``
        moves it too); another relative SQLite path is anchored at the instance folder's
        parent. Either way ``osnova db upgrade`` means the same file from any directory.
        """
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return self.database_url
        path = Path(url.database)
        if self.database_url == DEFAULT_DATABASE_URL:
            path = self.instance_dir.resolve() / path.name
        elif not path.is_absolute():
            path = self.instance_dir.resolve().parent / path
        return url.set(database=str(path)).render_as_string(hide_password=False)

    def resolved_media_dir(self) -> Path:
        return self.media_dir if self.media_dir is not None else self.instance_dir / "media"

    def resolved_spool_dir(self) -> Path:
        """Where an import over the HTTP row cap waits for the consumer, which may run on
        another host: never under the media folder, which nginx serves to anyone."""
        if self.spool_dir is not None:
            return self.spool_dir
        return self.instance_dir.resolve() / "import-jobs"


def weak_secret_reason(secret: SecretStr | None) -> str | None:
    """Why a secret key is unacceptable for production, or None when it is fine."""
    if secret is None or not secret.get_secret_value():
        return "OSNOVA_SECRET_KEY is not set"
    value = secret.get_secret_value()
    if value.strip().lower() in PLACEHOLDER_SECRETS:
        return "OSNOVA_SECRET_KEY is a known placeholder value"
    if len(value.encode()) < MIN_SECRET_KEY_BYTES:
        return f"OSNOVA_SECRET_KEY is shorter than {MIN_SECRET_KEY_BYTES} bytes"
    if len(set(value)) < MIN_SECRET_KEY_DISTINCT:
        return (
            f"OSNOVA_SECRET_KEY has fewer than {MIN_SECRET_KEY_DISTINCT} distinct characters; "
            f"make one with {MAKE_A_SECRET}"
        )
    return None


def debug_requested(settings: Settings) -> bool:
    """Debug mode asked for by the settings or by Flask itself (``--debug``, FLASK_DEBUG)."""
    flask_debug = os.environ.get("FLASK_DEBUG", "")
    return settings.debug or flask_debug.lower() not in ("", "0", "false", "no")


def weak_hashing_reason(settings: Settings) -> str | None:
    """Why the password-hashing cost is unacceptable for production, or None."""
    if (
        settings.argon2_memory_kib < OWASP_ARGON2_MEMORY_KIB
        or settings.argon2_time_cost < OWASP_ARGON2_TIME_COST
    ):
        return (
            "OSNOVA_ARGON2_MEMORY_KIB/OSNOVA_ARGON2_TIME_COST are below OWASP's minimum "
            f"({OWASP_ARGON2_MEMORY_KIB} KiB, {OWASP_ARGON2_TIME_COST} passes)"
        )
    return None


def validate_for_startup(settings: Settings) -> None:
    """Raise ConfigError with one line naming the setting when production would be unsafe."""
    if not settings.is_production:
        return
    reason = weak_secret_reason(settings.secret_key)
    if reason is None and debug_requested(settings):
        reason = "debug mode is on (OSNOVA_DEBUG, FLASK_DEBUG or --debug): turn it off"
    if reason is None:
        reason = weak_hashing_reason(settings)
    if reason is None and not settings.allowed_hosts:
        reason = "OSNOVA_ALLOWED_HOSTS is empty: set the host names the site answers to"
    if reason is None and not settings.base_url:
        reason = "OSNOVA_BASE_URL is not set: set the site's public URL, which mailed links use"
    if reason is not None:
        raise ConfigError(f"refusing to start in production: {reason}")


@dataclass(frozen=True)
class Finding:
    """One unsafe choice for production: the setting to change and why."""

    setting: str
    problem: str


def deployment_findings(settings: Settings) -> list[Finding]:
    """Every unsafe choice for a production deployment; empty when there is none."""
    findings: list[Finding] = []
    reason = weak_secret_reason(settings.secret_key)
    if reason is not None:
        findings.append(Finding("OSNOVA_SECRET_KEY", reason))
    if debug_requested(settings):
        findings.append(
            Finding("OSNOVA_DEBUG", "debug is on: tracebacks and the debugger are exposed")
        )
    if not settings.is_production:
        findings.append(
            Finding(
                "OSNOVA_ENV",
                f"is {settings.env.value!r}: cookies are not marked Secure and HSTS is not sent",
            )
        )
    if not settings.allowed_hosts:
        findings.append(
            Finding(
                "OSNOVA_ALLOWED_HOSTS", "is empty: any Host header is accepted (link poisoning)"
            )
        )
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        findings.append(
            Finding("OSNOVA_DATABASE_URL", "is SQLite: use PostgreSQL or MariaDB in production")
        )
    if not settings.redis_url:
        findings.append(
            Finding(
                "OSNOVA_REDIS_URL",
                "is not set: rate limits and sign-in lockouts are still shared, counted in the"
                " database (a write per limited request), but the job queue is a SQLite file"
                " that only this host's consumer sees",
            )
        )
    if not settings.smtp_url:
        findings.append(Finding("OSNOVA_SMTP_URL", "is not set: mail is only written to files"))
    if not settings.base_url or not settings.base_url.startswith("https://"):
        findings.append(
            Finding(
                "OSNOVA_BASE_URL", "is not an https:// URL: links in mail may be wrong or insecure"
            )
        )
    reason = weak_hashing_reason(settings)
    if reason is not None:
        findings.append(Finding("OSNOVA_ARGON2_MEMORY_KIB", reason))
    if (
        settings.session_idle_minutes > ASVS_IDLE_MINUTES
        or settings.session_lifetime_hours > ASVS_LIFETIME_HOURS
    ):
        findings.append(
            Finding(
                "OSNOVA_SESSION_IDLE_MINUTES",
                f"sessions last longer than ASVS level 2 allows ({ASVS_IDLE_MINUTES} minutes "
                f"idle, {ASVS_LIFETIME_HOURS} hours in all)",
            )
        )
    if settings.password_min_score < DEFAULT_PASSWORD_MIN_SCORE:
        findings.append(
            Finding(
                "OSNOVA_PASSWORD_MIN_SCORE",
                f"is below {DEFAULT_PASSWORD_MIN_SCORE}: passwords zxcvbn rates easy to guess "
                "are accepted",
            )
        )
    if settings.request_deadline_seconds >= GUNICORN_TIMEOUT_SECONDS:
        findings.append(
            Finding(
                "OSNOVA_REQUEST_DEADLINE_SECONDS",
                f"is not below gunicorn's worker timeout ({GUNICORN_TIMEOUT_SECONDS} s): a slow"
                " request is cut off without an answer instead of getting a 503",
            )
        )
    return findings


def development_secret_key(instance_dir: Path) -> str:
    """A random key kept in the instance dir so all dev workers and restarts share sessions."""
    key_file = instance_dir / "secret_key"
    if key_file.is_file():
        return key_file.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit overrides (used by tests)."""
    return Settings(**overrides)
