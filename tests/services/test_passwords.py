"""Password choice rules: length, the common list, the account's own words and zxcvbn."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from zxcvbn.matching import L33T_TABLE, enumerate_l33t_subs, relevant_l33t_subtable

from osnova.schemas import PASSWORD_MIN
from osnova.services.passwords import (
    ESTIMATE_BASE_COST,
    ESTIMATE_BUDGET,
    GUESSABLE_COMMON,
    GUESSABLE_PERSONAL,
    GUESSABLE_REPEAT,
    GUESSABLE_SEQUENCE,
    PasswordOwner,
    common_passwords,
    estimator_input,
    password_problem,
)

OLENA = PasswordOwner(username="olena.kovalenko", email="olena@example.org", full_name="Olena K")


def test_the_common_password_list_has_ten_thousand_entries() -> None:
    assert len(common_passwords()) >= 9_900
    assert "password" in common_passwords()


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pass", "too short"),
        ("x" * 129, "too long"),
        ("1qaz2wsx3edc", "too common"),
        ("QAZWSXEDCRFV", "too common"),
        ("olena.kovalenko", "username or email"),
        ("OLENA@example.org", "username or email"),
    ],
)
def test_weak_passwords_are_refused(password: str, problem: str) -> None:
    found = password_problem(password, owner=OLENA)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password1234", GUESSABLE_COMMON),
        ("123456789012", GUESSABLE_COMMON),
        ("iloveyou1234", GUESSABLE_COMMON),
        ("aaaaaaaaaaaa", GUESSABLE_REPEAT),
        ("abcdefghijkl", GUESSABLE_SEQUENCE),
        ("olena.kovalenko1", GUESSABLE_PERSONAL),
        ("Kovalenko2024!", GUESSABLE_PERSONAL),
    ],
)
def test_twelve_characters_that_are_easy_to_guess_are_refused_with_the_reason(
    password: str, reason: str
) -> None:
    owner = PasswordOwner(
        username="olena.kovalenko", email="olena@example.org", full_name="Olena Kovalenko"
    )
    assert password_problem(password, owner=owner) == reason


def test_a_twelve_character_passphrase_is_accepted() -> None:
    assert password_problem("zebra pickle", owner=OLENA) is None


def test_a_long_uncommon_password_is_accepted() -> None:
    assert password_problem("plum orchard at dusk 42", owner=OLENA) is None


def test_the_minimum_score_is_the_deployments_choice() -> None:
    assert password_problem("zebra pickle", owner=OLENA, min_score=4) is not None
    assert password_problem("password1234", owner=OLENA, min_score=1) is None


@pytest.mark.parametrize(
    "hostile",
    [
        ("1|!7+$5%(<[{0234@698" * 7)[:128],  # every symbol zxcvbn reads as a letter
        ("1234567890" * 13)[:128],
        "a" * 128,
    ],
)
def test_a_hostile_long_password_is_rated_within_the_estimators_budget(
    hostile: str, record_property: Callable[[str, object], None]
) -> None:
    """The bound is on zxcvbn's work (length and substitution variants), not on a timer."""
    text = estimator_input(hostile)
    variants = len(enumerate_l33t_subs(relevant_l33t_subtable(text, L33T_TABLE)))
    assert len(text) >= PASSWORD_MIN
    assert len(text) ** 2 * (ESTIMATE_BASE_COST + variants) <= ESTIMATE_BUDGET
    started = time.process_time()  # CPU time: a shared machine's wall clock says little
    password_problem(hostile, owner=OLENA)
    record_property("estimate CPU ms", round((time.process_time() - started) * 1000, 1))


def test_ordinary_long_passwords_are_rated_on_a_long_prefix() -> None:
    passphrase = "a very long sentence that somebody typed because they like sentences " * 2
    assert len(estimator_input(passphrase[:128])) > 60
