"""The curl session in docs/api.md runs as written, against a real server on a new database."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.support.environment import require_program
from tests.support.live import served_with_admin

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
DOCUMENTED_API = "API=http://127.0.0.1:8000/api/v1\n"


def curl_session() -> str:
    """The shell block of the guide's "A session with curl" section."""
    section = GUIDE.read_text().split("## A session with curl", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found is not None, "docs/api.md has no curl session"
    return found[1]


def test_the_curl_session_in_the_api_guide_works_as_written(tmp_path: Path) -> None:
    require_program("curl")
    script = curl_session()
    assert script.startswith(DOCUMENTED_API)
    with served_with_admin(tmp_path, "boss", "an admin the session never needs") as base_url:
        # Only the address differs: the server listens on a free port, not on 8000.
        script = script.replace(DOCUMENTED_API, f"API={base_url}/api/v1\n", 1)
        run = subprocess.run(
            ["sh", "-eu", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert (run.returncode, run.stderr) == (0, ""), run.stdout
    out = run.stdout
    assert '{"detail":"Registered. Create a token with POST /api/v1/auth/tokens."}' in out
    assert re.search(r'"owner":"reader-\d+","title":"Brass compass"', out)
    assert '"total":1' in out
    assert '"title":"Brass compass (1920s)"' in out
    assert '"detail":"There is no such item."' in out
    # The statuses the session prints: item deleted, token revoked, token refused.
    assert re.findall(r"(\d{3})\n", out) == ["204", "204", "401"]
