"""Fail when the course map (docs/course/) has drifted from the code or between languages.

    python scripts/check_course.py

A page that links a file or names a function that no longer exists, or English and Ukrainian
trees that differ in pages, headings, links or commands: one line per problem, exit 1. The
checks are those of ``tests/test_course_map.py`` (``tests.support.course_map``), so
``make check`` catches a renamed function without running the suite.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.course_map import all_problems


def main() -> int:
    problems = all_problems()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the course map", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
