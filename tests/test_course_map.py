"""The course map (docs/course/): every link resolves, both languages match page for page,
and every source file and function a page names exists.

Conventions the pages keep, so that these checks can hold them to it:
- a function or class is written in backticks with parentheses (`get_item()`,
  `Settings()`), in a paragraph, list item or table row that links the file defining it;
- a file is named by a relative link, or in backticks as a path from the checkout
  (`deploy/nginx/osnova.conf`) or from the package (`services/items.py`);
- a topic page has the sections "Where osnova does it", "The course's snippet and osnova's
  way", "Try it" and "Where to go next" (in Ukrainian: "Де це в osnova", "Фрагмент із курсу
  й підхід osnova", "Спробуйте", "Що читати далі").
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "docs" / "course"
PACKAGE = ROOT / "src" / "osnova"
LANGUAGES = ("en", "uk")
# Pages that are not one topic each: the index, and the tools osnova does not run.
OVERVIEW_PAGES = frozenset({"README.md", "18-other-tools.md"})
TOPIC_SECTIONS = {
    "en": (
        "Where osnova does it",
        "The course's snippet and osnova's way",
        "Try it",
        "Where to go next",
    ),
    "uk": ("Де це в osnova", "Фрагмент із курсу й підхід osnova", "Спробуйте", "Що читати далі"),
}

FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
BLOCK_START = re.compile(r"^\s*(?:[-*+]|\d+\.)\s|^\s*\|")
FUNCTION = re.compile(r"^(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)\(\)$")
NAMED_PATH = re.compile(r"^[\w.-]+(?:/[\w.-]+)+$")
CHECKED_SUFFIXES = frozenset({".py", ".html", ".md", ".conf", ".service", ".yaml", ".toml"})


def course_pages(language: str) -> list[str]:
    folder = COURSE / language
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.md"))


ALL_PAGES = sorted(COURSE.rglob("*.md"))
PAGE_IDS = [str(path.relative_to(COURSE)) for path in ALL_PAGES]


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (fences become blank lines)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            lines.append("")
            continue
        lines.append("" if fenced else line)
    return lines


def blocks(text: str) -> list[str]:
    """Paragraphs, list items and table rows outside code: the units a name is checked in."""
    found: list[list[str]] = []
    current: list[str] = []
    for line in prose_lines(text):
        if not line.strip() or BLOCK_START.match(line) or HEADING.match(line):
            if current:
                found.append(current)
            current = [] if not line.strip() or HEADING.match(line) else [line]
            continue
        current.append(line)
    if current:
        found.append(current)
    return ["\n".join(block) for block in found]


def links_in(text: str) -> list[str]:
    """Link targets in prose; code spans are blanked first, so `[x](y)` in code is no link."""
    return [
        match.group(1)
        for line in prose_lines(text)
        for match in LINK.finditer(CODE_SPAN.sub("CODE", line))
    ]


def is_external(target: str) -> bool:
    return target.startswith(("http://", "https://", "mailto:"))


def resolve(page: Path, target: str) -> tuple[Path, str]:
    path, _, anchor = target.partition("#")
    return (page.parent / unquote(path)).resolve() if path else page, anchor


def headings(text: str) -> list[tuple[int, str]]:
    return [
        (len(match.group(1)), match.group(2))
        for line in prose_lines(text)
        if (match := HEADING.match(line))
    ]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: Counter[str] = Counter()
    found = set()
    for _level, title in headings(path.read_text(encoding="utf-8")):
        base = slug(title)
        found.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def defines(source: Path, name: str) -> bool:
    pattern = rf"^\s*(?:async\s+def|def|class)\s+{re.escape(name)}\b"
    return re.search(pattern, source.read_text(encoding="utf-8"), re.MULTILINE) is not None


def test_the_course_has_pages_in_both_languages() -> None:
    for language in LANGUAGES:
        pages = course_pages(language)
        assert "README.md" in pages
        assert len(pages) > len(OVERVIEW_PAGES)


def test_both_languages_have_the_same_pages_and_sections() -> None:
    english, ukrainian = (course_pages(language) for language in LANGUAGES)
    assert english == ukrainian
    for name in english:
        levels = [
            [level for level, _title in headings((COURSE / lang / name).read_text("utf-8"))]
            for lang in LANGUAGES
        ]
        assert levels[0] == levels[1], f"{name}: the two languages' sections differ"


def _targets(language: str, name: str) -> set[str]:
    """What a page links, written the same for both languages: a course page by its side
    (this language or the other one) and name, anything else by its path."""
    page = COURSE / language / name
    found = set()
    for target in links_in(page.read_text(encoding="utf-8")):
        if is_external(target):
            found.add(target)
            continue
        path, _anchor = resolve(page, target)
        if path.is_relative_to(COURSE):
            linked_language, *rest = path.relative_to(COURSE).parts
            side = "same" if linked_language == language else "other"
            found.add(f"course:{side}:{'/'.join(rest)}")
        else:
            found.add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("name", course_pages("en"))
def test_both_languages_link_the_same_files(name: str) -> None:
    assert _targets("en", name) == _targets("uk", name)


@pytest.mark.parametrize("page", ALL_PAGES, ids=PAGE_IDS)
def test_every_link_points_to_an_existing_file_and_heading(page: Path) -> None:
    for target in links_in(page.read_text(encoding="utf-8")):
        if is_external(target):
            continue
        path, anchor = resolve(page, target)
        assert path.is_relative_to(ROOT), f"{target} leaves the repository"
        assert path.exists(), f"{target} does not exist"
        if anchor:
            assert path.suffix == ".md", f"{target}: anchors only into Markdown pages"
            assert anchor in anchors(path), f"{target}: no such heading"


@pytest.mark.parametrize("page", ALL_PAGES, ids=PAGE_IDS)
def test_every_named_function_is_defined_in_a_file_its_block_links(page: Path) -> None:
    for block in blocks(page.read_text(encoding="utf-8")):
        sources = [
            path
            for target in links_in(block)
            if not is_external(target)
            and (path := resolve(page, target)[0]).suffix == ".py"
            and path.is_file()
        ]
        for span in CODE_SPAN.findall(block):
            function = FUNCTION.match(span)
            if function is None:
                continue
            assert sources, f"{span} is named without a link to the file that defines it"
            assert any(defines(source, function.group(1)) for source in sources), (
                f"{span} is defined in none of {[str(s.relative_to(ROOT)) for s in sources]}"
            )


@pytest.mark.parametrize("page", ALL_PAGES, ids=PAGE_IDS)
def test_every_named_source_path_exists(page: Path) -> None:
    for span in CODE_SPAN.findall(page.read_text(encoding="utf-8")):
        if not NAMED_PATH.match(span) or Path(span).suffix not in CHECKED_SUFFIXES:
            continue
        candidates = (ROOT / span, PACKAGE / span)
        assert any(candidate.exists() for candidate in candidates), f"`{span}` does not exist"


@pytest.mark.parametrize(
    ("language", "name"),
    [
        (language, name)
        for language in LANGUAGES
        for name in course_pages(language)
        if name not in OVERVIEW_PAGES
    ],
)
def test_every_topic_page_has_the_four_sections(language: str, name: str) -> None:
    page = COURSE / language / name
    text = page.read_text(encoding="utf-8")
    sections = [title for level, title in headings(text) if level == 2]
    assert list(TOPIC_SECTIONS[language]) == [s for s in sections if s in TOPIC_SECTIONS[language]]
    where = text.split(f"## {TOPIC_SECTIONS[language][0]}\n", 1)[1].split("\n## ", 1)[0]
    items = [block for block in blocks(where) if BLOCK_START.match(block)]
    assert items, f"{name}: nothing listed under {TOPIC_SECTIONS[language][0]!r}"
    for item in items:
        first = links_in(item)[:1]
        assert first, f"{name}: a listed place without a link: {item[:60]!r}"
        path = resolve(page, first[0])[0].relative_to(ROOT)
        assert path.parts[0] != "docs", f"{name}: {path} is a document, not the code"


def try_it_code(language: str, name: str) -> list[str]:
    """The code blocks of a topic page's "Try it" section: its commands and their outputs."""
    text = (COURSE / language / name).read_text(encoding="utf-8")
    section = text.split(f"## {TOPIC_SECTIONS[language][2]}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```[^\n]*\n(.*?)^```", section, re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize(
    "name", [name for name in course_pages("en") if name not in OVERVIEW_PAGES]
)
def test_both_languages_show_the_same_commands_and_outputs(name: str) -> None:
    english = try_it_code("en", name)
    assert english, f"{name}: no commands to try"
    assert english == try_it_code("uk", name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_index_links_every_page_of_its_language(language: str) -> None:
    index = COURSE / language / "README.md"
    linked = {
        resolve(index, target)[0]
        for target in links_in(index.read_text(encoding="utf-8"))
        if not is_external(target)
    }
    for name in course_pages(language):
        if name != "README.md":
            assert (COURSE / language / name).resolve() in linked, f"{name} is not in the index"


def test_the_readme_links_the_course_in_both_languages() -> None:
    readme = ROOT / "README.md"
    linked = {
        resolve(readme, target)[0]
        for target in links_in(readme.read_text(encoding="utf-8"))
        if not is_external(target)
    }
    for language in LANGUAGES:
        assert (COURSE / language / "README.md").resolve() in linked
