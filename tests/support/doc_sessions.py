"""Documentation that runs: the shell sessions of README.md and docs/, found, run against a
live site started as ``make run`` starts it, and compared with the output the page shows.

The convention (docs/development.md, "Documentation that runs"):
- a block fenced as ```` ```sh session ```` is typed by a reader against ``make run``; words
  ``needs:PROGRAM`` (or ``needs:postgresql``, a PostgreSQL server) after ``session`` name what
  it needs beyond curl and sqlite3;
- an untagged block right after it is its output; ``…`` in a line matches any text within
  that line, and a line that is only ``…`` matches any number of lines;
- the ports 8000 (the site) and 8080 (a second server), paths under ``/tmp/`` and the database
  name ``osnova_course`` stand for free ports and names of the test's own, so pages run side
  by side; the output is compared with them put back;
- a page in a folder whose README.md has session blocks begins with those blocks (the course's
  "Before you start").
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
SITE_PORT, SPARE_PORT = "8000", "8080"
SCRATCH_DATABASE = "osnova_course"
READERS_TMP = "/tmp"  # noqa: S108 - the pages' scratch folder, which each test gives its own
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)(?P<info>[^`]*)$")
MARKER = "@@osnova-doc-session-block-end@@"
ANY_TEXT = "…"


@dataclass(frozen=True)
class CodeBlock:
    first_line: int  # the opening fence, counting from 1
    last_line: int  # the closing fence
    info: str
    body: str


@dataclass(frozen=True)
class SessionBlock:
    page: Path
    line: int
    commands: str
    expected: str | None
    needs: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def code_blocks(text: str) -> list[CodeBlock]:
    """Every fenced block of a Markdown text, indented ones (in lists) dedented."""
    found: list[CodeBlock] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        index += 1
        if opening is None:
            continue
        first_line, indent, fence = index, opening["indent"], opening["fence"]
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != fence:
            line = lines[index]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            index += 1
        index += 1  # the closing fence, the line numbered ``index``
        found.append(CodeBlock(first_line, index, opening["info"].strip(), _joined(body)))
    return found


def _joined(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def session_blocks(page: Path) -> list[SessionBlock]:
    """The page's session blocks in order, each with the output block that follows it."""
    text = page.read_text(encoding="utf-8")
    lines = text.splitlines()
    blocks = code_blocks(text)
    sessions = []
    for index, block in enumerate(blocks):
        words = block.info.split()
        if words[:2] != ["sh", "session"]:
            continue
        expected = None
        if index + 1 < len(blocks):
            after = blocks[index + 1]
            between = lines[block.last_line : after.first_line - 1]
            if after.info == "" and not any(line.strip() for line in between):
                expected = after.body
        needs = tuple(word.removeprefix("needs:") for word in words[2:])
        sessions.append(SessionBlock(page, block.first_line, block.body, expected, needs))
    return sessions


def documented_pages() -> list[Path]:
    """README.md, docs/*.md and every page under docs/ that has a session block."""
    candidates = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [page for page in candidates if session_blocks(page)]


def prelude_of(page: Path) -> list[SessionBlock]:
    """The session blocks of the README.md beside ``page`` (none for the README itself)."""
    index = page.parent / "README.md"
    if page == index or page.parent == ROOT or not index.exists():
        return []
    return session_blocks(index)


def output_pattern(expected: str) -> re.Pattern[str]:
    """``expected`` as a pattern: ``…`` is any text within a line, a line of ``…`` any lines."""
    parts = []
    for line in _trimmed(expected):
        if line.strip() == ANY_TEXT:
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append("[^\n]*?".join(re.escape(piece) for piece in line.split(ANY_TEXT)) + "\n")
    return re.compile("".join(parts))


def _trimmed(text: str) -> list[str]:
    """The lines without trailing spaces, and without blank lines at either end."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def mismatch(expected: str, actual: str) -> str | None:
    """None when ``actual`` matches ``expected``, else a diff to show."""
    shown = _joined(_trimmed(actual))
    if output_pattern(expected).fullmatch(shown):
        return None
    diff = difflib.unified_diff(
        _trimmed(expected), _trimmed(actual), "the page", "the run", lineterm=""
    )
    return "\n".join(diff)


@dataclass(frozen=True)
class Scratch:
    """What a page's commands see: a view of the checkout with its own ``instance/``, a
    folder standing for ``/tmp/``, two ports and a database name of their own."""

    checkout: Path
    tmp: Path
    site_port: int
    spare_port: int
    database: str

    @classmethod
    def make(cls, folder: Path, site_port: int, spare_port: int) -> Scratch:
        checkout, tmp = folder / "checkout", folder / "tmp"
        checkout.mkdir(parents=True)
        tmp.mkdir()
        for entry in ROOT.iterdir():
            if entry.name != "instance":
                (checkout / entry.name).symlink_to(entry)
        database = f"{SCRATCH_DATABASE}_{uuid.uuid4().hex[:10]}"
        return cls(checkout, tmp, site_port, spare_port, database)

    @property
    def instance(self) -> Path:
        return self.checkout / "instance"

    @property
    def server_log(self) -> Path:
        """``make run 2>&1 | tee /tmp/osnova-run.log``, as the course's first step keeps it."""
        return self.tmp / "osnova-run.log"

    def commands(self, text: str) -> str:
        """The commands as they run here."""
        text = re.sub(rf"\b{SITE_PORT}\b", str(self.site_port), text)
        text = re.sub(rf"\b{SPARE_PORT}\b", str(self.spare_port), text)
        text = text.replace(f"{READERS_TMP}/", f"{self.tmp}/")
        return re.sub(rf"\b{SCRATCH_DATABASE}\b", self.database, text)

    def output(self, text: str) -> str:
        """An output as it would read on the reader's machine."""
        text = text.replace(self.database, SCRATCH_DATABASE)
        text = text.replace(str(self.tmp), READERS_TMP)
        text = re.sub(rf"\b{self.site_port}\b", SITE_PORT, text)
        return re.sub(rf"\b{self.spare_port}\b", SPARE_PORT, text)

    def environment(self) -> dict[str, str]:
        """A developer's shell: no OSNOVA_ settings but the instance folder."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("OSNOVA_", "PROMETHEUS_"))
        }
        return env | {"OSNOVA_INSTANCE_DIR": str(self.instance), "TMPDIR": str(self.tmp)}


def seed_instance(scratch: Scratch) -> None:
    """The first two steps of ``make run``: migrate and seed, their output in the log."""
    with scratch.server_log.open("ab") as log:
        for step in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run(
                [str(VENV_BIN / "osnova"), *step],
                cwd=scratch.checkout,
                env=scratch.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=120,
            )


@contextmanager
def served(scratch: Scratch) -> Iterator[str]:
    """The last step of ``make run``: ``osnova serve --with-worker``; yields the site's URL."""
    url = f"http://127.0.0.1:{scratch.site_port}"
    command = [
        str(VENV_BIN / "osnova"),
        *("serve", "--with-worker", "--host", "127.0.0.1", "--port", str(scratch.site_port)),
    ]
    with scratch.server_log.open("ab") as log:
        server = subprocess.Popen(
            command,
            cwd=scratch.checkout,
            # Two workers rather than make run's 2 x cores + 1: no page's output depends on
            # the count, and five workers loading the app at once slowed every page's first
            # commands on a 2-core machine.
            env=scratch.environment() | {"OSNOVA_WORKERS": "2"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=10).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"osnova serve did not start:\n{scratch.server_log.read_text()}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C: gunicorn and the job consumer stop
        server.wait(timeout=60)


@dataclass(frozen=True)
class BlockRun:
    block: SessionBlock
    output: str  # what the block printed, as the reader would see it
    finished: bool  # False: the shell stopped in this block (a command failed)


def run_blocks(
    scratch: Scratch, blocks: list[SessionBlock], timeout: float = 300
) -> list[BlockRun]:
    """Run ``blocks`` in order in one ``sh -eu``, as a reader types them into one terminal;
    the runs end with the block the shell stopped in, if it stopped."""
    script = "exec 2>&1\n" + "".join(
        f"{scratch.commands(block.commands)}printf '\\n%s\\n' '{MARKER}'\n" for block in blocks
    )
    run = subprocess.run(
        ["sh", "-eu", "-c", script],
        cwd=scratch.checkout,
        env=scratch.environment(),
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
    *finished, rest = run.stdout.decode("utf-8", "replace").split(f"\n{MARKER}\n")
    done = zip(blocks, finished, strict=False)
    runs = [BlockRun(block, scratch.output(out), True) for block, out in done]
    if len(runs) < len(blocks):
        stopped = f"{scratch.output(rest)}\n[exit status {run.returncode}]"
        runs.append(BlockRun(blocks[len(runs)], stopped, False))
    return runs


def unmet_need(need: str) -> str | None:
    """Why ``need`` cannot be had on this machine, or None."""
    if need == "postgresql":
        return None if os.environ.get("OSNOVA_TEST_POSTGRES_URL") else "OSNOVA_TEST_POSTGRES_URL"
    return None if shutil.which(need) or Path(f"/usr/sbin/{need}").exists() else need


def stop_leftovers(scratch: Scratch) -> None:
    """Stop what a page started and left running (nginx, say), found by its pid file."""
    for pid_file in scratch.tmp.rglob("*.pid"):
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


def copy_instance(source: Scratch, target: Scratch) -> None:
    """A seeded instance folder and its log, copied instead of seeded again."""
    shutil.copytree(source.instance, target.instance)
    shutil.copyfile(source.server_log, target.server_log)
