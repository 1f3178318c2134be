"""Every shell session in README.md and docs/ runs as written against a site started as
``make run`` starts it, and prints what the page shows; a page that drifts from the code
fails here, named by its path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.doc_sessions import (
    ROOT,
    Scratch,
    copy_instance,
    documented_pages,
    mismatch,
    prelude_of,
    run_blocks,
    seed_instance,
    served,
    session_blocks,
    stop_leftovers,
    unmet_need,
)
from tests.support.environment import STRICT, free_port, require_program

PAGES = documented_pages()


def _same_as_english(page: Path) -> bool:
    """A Ukrainian course page whose sessions are the English page's, output blocks included
    (the course map keeps them so): running it again would prove nothing new."""
    relative = page.relative_to(ROOT).parts
    if relative[:3] != ("docs", "course", "uk"):
        return False
    english = ROOT.joinpath("docs", "course", "en", *relative[3:])

    def shown(of: Path) -> list[tuple[str, str | None, tuple[str, ...]]]:
        return [(block.commands, block.expected, block.needs) for block in session_blocks(of)]

    return english.exists() and shown(page) == shown(english)


RUN_PAGES = [page for page in PAGES if not _same_as_english(page)]


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    """An instance folder after ``osnova db upgrade`` and ``osnova seed-demo``, made once per
    test process; each page gets a copy, so no page sees another's changes."""
    scratch = Scratch.make(tmp_path_factory.mktemp("seeded"), free_port(), free_port())
    seed_instance(scratch)
    return scratch


def test_the_docs_have_sessions_in_both_course_languages() -> None:
    names = {str(page.relative_to(ROOT)) for page in PAGES}
    assert {"docs/api.md", "docs/course/en/README.md", "docs/course/uk/README.md"} <= names
    for language in ("en", "uk"):
        topics = sorted((ROOT / "docs" / "course" / language).glob("[0-9][0-9]-*.md"))
        with_sessions = [page for page in topics if session_blocks(page)]
        assert len(with_sessions) == len(topics) - 1  # all but "What osnova does not run"


@pytest.mark.parametrize("page", RUN_PAGES, ids=[str(page.relative_to(ROOT)) for page in RUN_PAGES])
def test_the_page_s_sessions_print_what_the_page_shows(
    page: Path, seeded: Scratch, tmp_path: Path
) -> None:
    require_program("curl")
    require_program("sqlite3")
    blocks = [*prelude_of(page), *session_blocks(page)]
    unmet = {
        block.where: reason
        for block in blocks
        for need in block.needs
        if (reason := unmet_need(need)) is not None
    }
    if unmet and STRICT:
        pytest.fail(f"blocks that need what this machine lacks: {unmet}")
    runnable = [block for block in blocks if block.where not in unmet]
    scratch = Scratch.make(tmp_path, free_port(), free_port())
    copy_instance(seeded, scratch)
    try:
        with served(scratch):
            runs = run_blocks(scratch, runnable)
    finally:
        stop_leftovers(scratch)
    failures = []
    for run in runs:
        if not run.finished:
            failures.append(f"{run.block.where} stopped the shell:\n{run.output}")
            break
        if run.block.expected is not None and (diff := mismatch(run.block.expected, run.output)):
            failures.append(f"{run.block.where} printed something else:\n{diff}")
    if failures:
        log = scratch.server_log.read_text(errors="replace")[-3000:]
        pytest.fail("\n\n".join(failures) + f"\n\nthe server's log ends:\n{log}", pytrace=False)
    if unmet:
        pytest.skip(f"left out, for want of {sorted(set(unmet.values()))}: {sorted(unmet)}")
