"""Outgoing mail: SMTP when ``OSNOVA_SMTP_URL`` is set, else files in ``instance/mail/``.

``OSNOVA_SMTP_URL`` looks like ``smtp://user:password@host:587`` (STARTTLS when the server
offers it), ``smtps://host:465`` (TLS from the start) or ``smtp://localhost:1025``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from osnova.config import Settings

log = logging.getLogger("osnova.mail")
SMTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def send(*, settings: Settings, mail: Mail) -> None:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    if settings.smtp_url:
        _send_smtp(settings.smtp_url, message)
        log.info("mail sent", extra={"subject": mail.subject})
    else:
        path = _write_to_folder(settings.instance_dir / "mail", message)
        if settings.env.value == "development":
            log.info("mail written to %s\n%s", path, message.as_string())
        else:
            log.info("mail written to %s", path)


def connect_smtp(url: str, timeout: float = SMTP_TIMEOUT_SECONDS) -> smtplib.SMTP:
    """A connection to the server of ``OSNOVA_SMTP_URL`` that has sent its greeting."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        return smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=timeout, context=ssl.create_default_context()
        )
    return smtplib.SMTP(host, parts.port or 25, timeout=timeout)


def _send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    with connect_smtp(url) as client:
        client.ehlo()  # the server lists what it offers (STARTTLS among it) only after EHLO
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _write_to_folder(folder: Path, message: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}.eml"
    path.write_text(message.as_string(), encoding="utf-8")
    return path
