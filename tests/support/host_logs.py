"""The errors a cluster's programs logged while one test ran, for that test's failure report.

A cluster test that fails on CI leaves only pytest's output: the hosts and their logs are
removed with the cluster. What each host logged as an error during the test (osnova's JSON
records at ERROR, PostgreSQL's ERROR and FATAL lines, nginx's error log) is printed after the
test, and pytest shows it beside the failure.
"""

from __future__ import annotations

import json
from pathlib import Path

# A few lines each, enough to tell what failed without burying the assertion.
MOST_LINES = 40
LONGEST_LINE = 300
_PLAIN_ERRORS = ("ERROR:", "FATAL:", "PANIC:", "[error]", "[crit]", "[alert]", "[emerg]")


def log_sizes(folders: list[Path]) -> dict[Path, int]:
    """How far each log under ``folders`` has been written: the start of a test's share."""
    return {path: path.stat().st_size for folder in folders for path in folder.glob("*.log")}


def errors_since(sizes: dict[Path, int], folders: list[Path]) -> list[str]:
    """Error lines written after ``sizes`` (logs begun since included), as ``file: line``."""
    found: list[str] = []
    for folder in folders:
        for path in sorted(folder.glob("*.log")):
            with path.open("rb") as log:
                log.seek(sizes.get(path, 0))
                text = log.read().decode(errors="replace")
            found.extend(f"{path.name}: {line}" for line in _error_lines(text))
    if len(found) > MOST_LINES:
        left_out = len(found) - MOST_LINES
        found = [*found[:MOST_LINES], f"... and {left_out} more"]
    return found


def _error_lines(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines():
        line = _json_error(raw) if raw.startswith("{") else _plain_error(raw)
        if line is not None:
            lines.append(line[:LONGEST_LINE])
    return lines


def _json_error(raw: str) -> str | None:
    """osnova's record at ERROR or above: its time, message and the exception's last line."""
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("level") not in ("ERROR", "CRITICAL"):
        return None
    exception = str(record.get("exc_info") or "").strip().splitlines()
    cause = f" | {_last_meaningful(exception)}" if exception else ""
    return f"{record.get('time')} {record.get('message')}{cause}"


def _last_meaningful(exception: list[str]) -> str:
    """The exception's own line ("module.Error: message"), not what follows it: SQLAlchemy
    ends with a link to its docs, and libpq's messages go on over indented lines."""
    for line in reversed(exception):
        if line and not line[0].isspace() and not line.startswith("(Background on this"):
            return line
    return exception[-1].strip()


def _plain_error(raw: str) -> str | None:
    return raw if any(marker in raw for marker in _PLAIN_ERRORS) else None
