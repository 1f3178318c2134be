"""Every mailed link's token is redacted in the app's logs, and nginx redacts the same paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from osnova.http.redaction import SECRET_PATH_PREFIXES, redact_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("prefix", SECRET_PATH_PREFIXES)
def test_the_token_of_each_mailed_link_is_redacted(prefix: str) -> None:
    assert redact_path(f"{prefix}eyJ1aWQiOjF9.abc?x=1") == f"{prefix}[redacted]?x=1"


def test_an_invitation_link_is_one_of_them() -> None:
    assert redact_path("/password/invitation/secret-token") == "/password/invitation/[redacted]"
    assert redact_path("/admin/users/new") == "/admin/users/new"


@pytest.mark.parametrize("config", ["osnova.conf", "compose.conf"])
def test_nginx_redacts_the_same_paths(config: str) -> None:
    text = (ROOT / "deploy" / "nginx" / config).read_text()
    mapped = next(line for line in text.splitlines() if "[redacted]" in line)
    for prefix in SECRET_PATH_PREFIXES:
        assert f"{prefix}|" in mapped or f"{prefix})" in mapped, prefix
