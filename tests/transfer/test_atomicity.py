"""A killed import leaves the database as it was: one transaction, committed only at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.support.factories import UserFactory
from tests.transfer.helpers import users_table

OSNOVA = str(Path(sys.executable).parent / "osnova")
ROWS = 120_000


def big_file(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("username,email,full_name\n")
        handle.writelines(f"user{n},user{n}@example.org,User {n}\n" for n in range(ROWS))
    return path


def read_position(pid: int, path: Path) -> int | None:
    """How far the process has read ``path`` (from /proc), or None once it closed it."""
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            if Path(os.readlink(fd)) == path:
                info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
                return int(info.split("pos:")[1].split()[0])
        except OSError:
            continue
    return None


@pytest.mark.parametrize("moment", ["while reading", "after reading"])
def test_sigkill_half_way_leaves_the_database_unchanged(
    session: Session, database_url: str, tmp_path: Path, moment: str
) -> None:
    if not Path("/proc/self/fdinfo").is_dir():
        pytest.skip("needs /proc to see how far the import has read")
    UserFactory(username="keep", email="keep@example.org")
    before = users_table(session)
    session.close()
    source = big_file(tmp_path / "users.csv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSNOVA_")}
    env |= {"OSNOVA_DATABASE_URL": database_url, "OSNOVA_INSTANCE_DIR": str(tmp_path / "i")}
    process = subprocess.Popen(
        [OSNOVA, "import", "users", str(source)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    size = source.stat().st_size
    deadline = time.monotonic() + 120
    seen_reading = False
    while time.monotonic() < deadline and process.poll() is None:
        position = read_position(process.pid, source)
        seen_reading = seen_reading or position is not None
        if moment == "while reading" and position is not None and position > size // 2:
            break
        if moment == "after reading" and seen_reading and position in (None, size):
            time.sleep(0.05)  # into the final INSERT … SELECT
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL, "the import finished before the kill"
    assert users_table(session) == before
