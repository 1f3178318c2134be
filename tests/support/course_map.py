"""The course map's checks (docs/course/): every link resolves, both languages match page for
page, and every source file and function a page names exists. ``tests/test_course_map.py``
runs them in the suite, ``scripts/check_course.py`` in ``make check``; each returns the
problems it found as sentences, none when the map is sound.

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

ROOT = Path(__file__).resolve().parents[2]
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


def all_pages() -> list[Path]:
    return sorted(COURSE.rglob("*.md"))


def topic_pages(language: str) -> list[str]:
    return [name for name in course_pages(language) if name not in OVERVIEW_PAGES]


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


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def link_problems(page: Path) -> list[str]:
    """Links that lead out of the repository, to no file, or to no heading."""
    problems = []
    for target in links_in(page.read_text(encoding="utf-8")):
        if is_external(target):
            continue
        path, anchor = resolve(page, target)
        if not path.is_relative_to(ROOT):
            problems.append(f"{target} leaves the repository")
        elif not path.exists():
            problems.append(f"{target} does not exist")
        elif anchor and path.suffix != ".md":
            problems.append(f"{target}: anchors only into Markdown pages")
        elif anchor and anchor not in anchors(path):
            problems.append(f"{target}: no such heading")
    return problems


def function_problems(page: Path) -> list[str]:
    """Functions named in a block that links no file defining them."""
    problems = []
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
            if not sources:
                problems.append(f"{span} is named without a link to the file that defines it")
            elif not any(defines(source, function.group(1)) for source in sources):
                problems.append(f"{span} is defined in none of {[_shown(s) for s in sources]}")
    return problems


def path_problems(page: Path) -> list[str]:
    """Source paths named in backticks that exist neither in the checkout nor the package."""
    problems = []
    for span in CODE_SPAN.findall(page.read_text(encoding="utf-8")):
        if not NAMED_PATH.match(span) or Path(span).suffix not in CHECKED_SUFFIXES:
            continue
        if not any(candidate.exists() for candidate in (ROOT / span, PACKAGE / span)):
            problems.append(f"`{span}` does not exist")
    return problems


def section_problems(language: str, name: str) -> list[str]:
    """A topic page without its four sections in order, or whose first lists no code."""
    page = COURSE / language / name
    text = page.read_text(encoding="utf-8")
    wanted = TOPIC_SECTIONS[language]
    sections = [title for level, title in headings(text) if level == 2]
    if list(wanted) != [section for section in sections if section in wanted]:
        return [f"the sections are not {list(wanted)} in this order"]
    where = text.split(f"## {wanted[0]}\n", 1)[1].split("\n## ", 1)[0]
    items = [block for block in blocks(where) if BLOCK_START.match(block)]
    if not items:
        return [f"nothing listed under {wanted[0]!r}"]
    problems = []
    for item in items:
        first = links_in(item)[:1]
        if not first:
            problems.append(f"a listed place without a link: {item[:60]!r}")
        elif (path := resolve(page, first[0])[0].relative_to(ROOT)).parts[0] == "docs":
            problems.append(f"{path} is a document, not the code")
    return problems


def linked_targets(language: str, name: str) -> set[str]:
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
            found.add(_shown(path))
    return found


def try_it_code(language: str, name: str) -> list[str]:
    """The code blocks of a topic page's "Try it" section, fences' info strings included:
    its commands and their outputs."""
    text = (COURSE / language / name).read_text(encoding="utf-8")
    section = text.split(f"## {TOPIC_SECTIONS[language][2]}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```([^\n]*\n.*?)^```", section, re.MULTILINE | re.DOTALL)


def language_problems(name: str) -> list[str]:
    """Where the two languages' versions of a page differ in sections, links or commands."""
    problems = []
    levels = [
        [level for level, _title in headings((COURSE / lang / name).read_text("utf-8"))]
        for lang in LANGUAGES
    ]
    if levels[0] != levels[1]:
        problems.append("the two languages' sections differ")
    english, ukrainian = (linked_targets(lang, name) for lang in LANGUAGES)
    if english != ukrainian:
        only = sorted(english ^ ukrainian)
        problems.append(f"the two languages link different files: {only}")
    if name not in OVERVIEW_PAGES:
        commands = [try_it_code(lang, name) for lang in LANGUAGES]
        if not commands[0]:
            problems.append("no commands to try")
        elif commands[0] != commands[1]:
            problems.append("the two languages show different commands or outputs")
    return problems


def index_problems(language: str) -> list[str]:
    """Pages of a language its index does not link."""
    index = COURSE / language / "README.md"
    linked = {
        resolve(index, target)[0]
        for target in links_in(index.read_text(encoding="utf-8"))
        if not is_external(target)
    }
    return [
        f"{name} is not in the index"
        for name in course_pages(language)
        if name != "README.md" and (COURSE / language / name).resolve() not in linked
    ]


def readme_problems() -> list[str]:
    """Course indexes the checkout's README.md does not link."""
    readme = ROOT / "README.md"
    linked = {
        resolve(readme, target)[0]
        for target in links_in(readme.read_text(encoding="utf-8"))
        if not is_external(target)
    }
    return [
        f"README.md does not link the course in {language}"
        for language in LANGUAGES
        if (COURSE / language / "README.md").resolve() not in linked
    ]


def tree_problems() -> list[str]:
    """Where the two languages' trees differ in pages."""
    english, ukrainian = (set(course_pages(language)) for language in LANGUAGES)
    return [f"{name} is only in one language" for name in sorted(english ^ ukrainian)]


def all_problems() -> list[str]:
    """Every problem of the map, each prefixed with the page it is on."""
    found = [f"docs/course: {problem}" for problem in tree_problems()]
    found += [f"README.md: {problem}" for problem in readme_problems()]
    for page in all_pages():
        where = _shown(page)
        for check in (link_problems, function_problems, path_problems):
            found += [f"{where}: {problem}" for problem in check(page)]
    for language in LANGUAGES:
        found += [f"docs/course/{language}/README.md: {p}" for p in index_problems(language)]
        for name in topic_pages(language):
            problems = section_problems(language, name)
            found += [f"docs/course/{language}/{name}: {problem}" for problem in problems]
    shared = sorted(set(course_pages("en")) & set(course_pages("uk")))
    for name in shared:
        found += [f"docs/course/{{en,uk}}/{name}: {p}" for p in language_problems(name)]
    return found
