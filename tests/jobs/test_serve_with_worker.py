"""``osnova serve --with-worker`` (what ``make run`` runs): one command serves the site and
runs its background jobs, and one Ctrl-C stops both."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.live import served_osnova


def test_a_registration_mail_lands_in_the_mail_folder_within_two_seconds(
    database_url: str, tmp_path: Path
) -> None:
    mail = tmp_path / "instance" / "mail"
    with served_osnova(
        database_url,
        tmp_path,
        serve_args=("--with-worker",),
        OSNOVA_JOBS_IMMEDIATE="0",
        OSNOVA_RATE_LIMIT_KEY_PREFIX=f"serve-{tmp_path.name}",
    ) as base_url:
        request = urllib.request.Request(
            f"{base_url}/api/v1/users",
            data=json.dumps(
                {
                    "username": "olena",
                    "email": "olena@example.org",
                    "password": "a long and unusual passphrase",
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 202
        answered = time.monotonic()
        while not (mail.is_dir() and any(mail.iterdir())) and time.monotonic() - answered < 10:
            time.sleep(0.02)
        waited = time.monotonic() - answered
        print(f"registration mail written {waited:.2f} s after the answer")
        assert waited < 2
        (message,) = mail.iterdir()
        assert "olena@example.org" in message.read_text()
    (log,) = tmp_path.glob("serve-*.log")
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    consumer = {line["pid"] for line in lines if line.get("logger") == "huey.consumer"}
    assert len(consumer) == 1
    assert "Consumer exiting." in [line.get("message") for line in lines]
    with pytest.raises(ProcessLookupError):
        os.kill(consumer.pop(), 0)  # the consumer stopped with the server
