"""Password choice rules."""

from __future__ import annotations

import pytest

from osnova.services.passwords import common_passwords, password_problem


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
    found = password_problem(password, username="olena.kovalenko", email="olena@example.org")
    assert found is not None
    assert problem in found


def test_a_long_uncommon_password_is_accepted() -> None:
    assert password_problem("plum orchard at dusk 42", username="olena", email="o@x.org") is None
