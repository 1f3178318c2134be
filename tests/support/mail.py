"""A real SMTP server on loopback (aiosmtpd) that keeps the messages it receives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.environment import free_port


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps what it receives."""

    url: str
    messages: list[EmailMessage] = field(default_factory=list)

    def last_link(self, path_prefix: str) -> str:
        """The path of the last link in the newest message that starts with ``path_prefix``."""
        return link_in(self.messages[-1], path_prefix)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to ``address``, oldest first."""
        return [message for message in self.messages if message["To"] == address]


def link_in(message: EmailMessage, path_prefix: str) -> str:
    """The path of the link in ``message`` that starts with ``path_prefix``."""
    body = message.get_content()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S+)", body)
    assert match is not None, body
    return match.group(1)


@contextmanager
def smtp_sink_on(port: int) -> Iterator[SmtpSink]:
    """A sink on ``port`` (for a test that starts the mail server only later)."""
    sink = SmtpSink(url=f"smtp://127.0.0.1:{port}")

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            raw = (
                envelope.content
                if isinstance(envelope.content, bytes)
                else envelope.content.encode()
            )
            message = BytesParser(policy=default_policy).parsebytes(raw)
            assert isinstance(message, EmailMessage)
            sink.messages.append(message)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with smtp_sink_on(free_port()) as sink:
        yield sink
