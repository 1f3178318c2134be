"""Password choice rules: length, the common list, the account's own words and zxcvbn."""

from __future__ import annotations

import time

import pytest

from osnova.services.passwords import (
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


def test_substitution_symbols_do_not_make_the_estimate_slow() -> None:
    """Every symbol zxcvbn reads as a letter, repeated to the longest password allowed."""
    hostile = ("1|!7+$5%(<[{0234@698" * 7)[:128]
    assert len(estimator_input(hostile)) < 20
    started = time.perf_counter()
    assert password_problem(hostile, owner=OLENA) is None
    assert time.perf_counter() - started < 1.0


def test_ordinary_long_passwords_are_rated_on_a_long_prefix() -> None:
    passphrase = "a very long sentence that somebody typed because they like sentences " * 2
    assert len(estimator_input(passphrase[:128])) > 60
