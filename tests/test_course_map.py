"""The course map (docs/course/): every link resolves, both languages match page for page,
and every source file and function a page names exists. The checks live in
``tests.support.course_map``, which ``scripts/check_course.py`` runs in ``make check`` too."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.course_map import (
    COURSE,
    LANGUAGES,
    OVERVIEW_PAGES,
    all_pages,
    course_pages,
    function_problems,
    index_problems,
    language_problems,
    link_problems,
    path_problems,
    readme_problems,
    section_problems,
    topic_pages,
    tree_problems,
)

PAGES = all_pages()
PAGE_IDS = [str(path.relative_to(COURSE)) for path in PAGES]


def test_the_course_has_pages_in_both_languages() -> None:
    for language in LANGUAGES:
        pages = course_pages(language)
        assert "README.md" in pages
        assert len(pages) > len(OVERVIEW_PAGES)


def test_both_languages_have_the_same_pages() -> None:
    assert tree_problems() == []


@pytest.mark.parametrize("name", course_pages("en"))
def test_both_languages_have_the_same_sections_links_and_commands(name: str) -> None:
    assert language_problems(name) == []


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_link_points_to_an_existing_file_and_heading(page: Path) -> None:
    assert link_problems(page) == []


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_named_function_is_defined_in_a_file_its_block_links(page: Path) -> None:
    assert function_problems(page) == []


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_named_source_path_exists(page: Path) -> None:
    assert path_problems(page) == []


@pytest.mark.parametrize(
    ("language", "name"),
    [(language, name) for language in LANGUAGES for name in topic_pages(language)],
)
def test_every_topic_page_has_the_four_sections(language: str, name: str) -> None:
    assert section_problems(language, name) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_index_links_every_page_of_its_language(language: str) -> None:
    assert index_problems(language) == []


def test_the_readme_links_the_course_in_both_languages() -> None:
    assert readme_problems() == []
