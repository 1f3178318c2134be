"""docs/deploy.md followed with the real gunicorn and nginx: static files and an update.

The commands come from the page itself, with only the server's paths swapped for temporary
ones; what cannot run here (git, uv, systemd) is checked to be written as it must be.
"""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.environment import require_program
from tests.support.servers import (
    BIN,
    ROOT,
    SERVED_STATIC_DIR,
    SITE_HOST,
    Gunicorn,
    Nginx,
    fetch,
    osnova_env,
)

DEPLOY_DOC = ROOT / "docs" / "deploy.md"
PACKAGE = ROOT / "src" / "osnova"
SERVICE_VENV = "/opt/osnova/venv"
STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/static/css/site\.([0-9a-f]{12})\.css)">')


def shell_block(heading: str) -> list[str]:
    """The lines of the first ```sh block after ``heading`` in docs/deploy.md."""
    text = DEPLOY_DOC.read_text()
    start = text.index(heading)
    found = re.search(r"```sh\n(.*?)\n\s*```", text[start:], re.DOTALL)
    assert found is not None, f"no sh block after {heading!r}"
    return [line.strip() for line in found.group(1).splitlines() if line.strip()]


INSTALL = shell_block("6. Check it")
UPDATE = shell_block("## Updating without downtime")


@dataclass
class Site:
    """A release of the package on disk, gunicorn running it, nginx in front."""

    release: Path
    env: dict[str, str]
    static_dir: Path
    app: Gunicorn
    proxy: Nginx

    def run(self, line: str) -> None:
        """One line of the page with the server's paths swapped for this site's."""
        line = line.replace(f"{SERVICE_VENV}/bin/", f"{BIN}/")
        line = line.replace(SERVED_STATIC_DIR, str(self.static_dir))
        subprocess.run(shlex.split(line), env=self.env, check=True, timeout=60)

    def stylesheet(self) -> re.Match[str]:
        page = fetch(f"{self.proxy.url}/", host=SITE_HOST)
        assert page.status == 200
        found = STYLESHEET.search(page.body.decode())
        assert found is not None
        return found


def osnova_commands(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(f"{SERVICE_VENV}/bin/osnova ")]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    nginx = require_program("nginx")
    # The installed package: a copy that the "update" below changes, as uv sync would.
    release = tmp_path / "release"
    shutil.copytree(PACKAGE, release / "osnova")
    env = osnova_env(
        tmp_path,
        PYTHONPATH=str(release),
        OSNOVA_TRUSTED_PROXIES="1",
        OSNOVA_ALLOWED_HOSTS=SITE_HOST,
    )
    media = tmp_path / "media"
    media.mkdir()
    static_dir = tmp_path / "static"
    app = Gunicorn(tmp_path, env, workers=1)
    proxy = Nginx(tmp_path, app_port=app.port, media_dir=media, static_dir=static_dir)
    site = Site(release, env, static_dir, app, proxy)
    try:
        site.run(f"{SERVICE_VENV}/bin/osnova db upgrade")
        for line in osnova_commands(INSTALL):
            if " check " not in line:  # check --deploy wants a production setup
                site.run(line)
        app.start()
        proxy.start(nginx)
        yield site
    finally:
        proxy.stop()
        app.stop()


def assert_served_for_good(site: Site, path: str, content: bytes) -> None:
    css = fetch(f"{site.proxy.url}{path}", host=SITE_HOST)
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert css.body == content


def test_the_update_steps_use_the_services_venv_by_full_paths() -> None:
    """What cannot run here is written so that it works when followed literally."""
    sync = next(line for line in UPDATE if " sync " in line)
    assert f"UV_PROJECT_ENVIRONMENT={SERVICE_VENV}" in sync
    assert " /opt/osnova/.tools/bin/uv sync --frozen --no-dev" in sync
    assert UPDATE.index("set -a; . /etc/osnova/osnova.env; set +a") < UPDATE.index(
        osnova_commands(UPDATE)[0]
    )
    assert [line.split()[1:] for line in osnova_commands(UPDATE)] == [
        ["collect-static", SERVED_STATIC_DIR],
        ["db", "upgrade"],
    ]
    assert UPDATE[-2:] == ["systemctl restart osnova-worker", "systemctl reload osnova"]
    for line in UPDATE:
        program = shlex.split(line.split(";")[0])[0]
        assert (
            "=" in program
            or program.startswith("/")
            or program
            in {
                "cd",
                "git",
                "set",
                "systemctl",
            }
        ), line


def test_nginx_serves_the_fingerprinted_stylesheet_before_and_after_an_update(
    site: Site,
) -> None:
    before = site.stylesheet()
    stylesheet = site.release / "osnova" / "static" / "css" / "site.css"
    assert_served_for_good(site, before.group(1), stylesheet.read_bytes())

    # The new release: its stylesheet changed (git pull and uv sync, which cannot run here).
    new_content = stylesheet.read_bytes() + b"\n.release-two { color: teal; }\n"
    stylesheet.write_bytes(new_content)
    for line in UPDATE:
        if line.startswith(f"{SERVICE_VENV}/bin/osnova "):
            site.run(line)
        elif line == "systemctl reload osnova":
            site.app.signal(signal.SIGHUP)

    deadline = time.monotonic() + 30
    after = site.stylesheet()
    while after.group(2) == before.group(2) and time.monotonic() < deadline:
        time.sleep(0.2)  # the new worker boots while the old one still answers
        after = site.stylesheet()
    assert after.group(2) != before.group(2)
    assert_served_for_good(site, after.group(1), new_content)
    # A browser holding a page of the old release still gets that release's stylesheet.
    old = fetch(f"{site.proxy.url}{before.group(1)}", host=SITE_HOST)
    assert old.status == 200
    assert old.body != new_content
