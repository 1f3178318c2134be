"""``osnova check --deploy``: what is unsafe in this configuration, like Django's check."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url

from osnova.config import Settings, weak_secret_reason


@dataclass(frozen=True)
class Finding:
    setting: str
    problem: str


def deployment_findings(settings: Settings) -> list[Finding]:
    """Every unsafe choice for a production deployment; empty when there is none."""
    findings: list[Finding] = []
    reason = weak_secret_reason(settings.secret_key)
    if reason is not None:
        findings.append(Finding("OSNOVA_SECRET_KEY", reason))
    if settings.debug:
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
            Finding("OSNOVA_REDIS_URL", "is not set: rate limits are per process, not shared")
        )
    if not settings.smtp_url:
        findings.append(Finding("OSNOVA_SMTP_URL", "is not set: mail is only written to files"))
    if not settings.base_url or not settings.base_url.startswith("https://"):
        findings.append(
            Finding(
                "OSNOVA_BASE_URL", "is not an https:// URL: links in mail may be wrong or insecure"
            )
        )
    if settings.argon2_memory_kib < 19_456 or settings.argon2_time_cost < 2:
        findings.append(
            Finding("OSNOVA_ARGON2_MEMORY_KIB", "password hashing is below OWASP's minimum")
        )
    return findings
