"""The import's shortcut for rows already in canonical form agrees with ``UserImport``."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from osnova.schemas import UserImport
from osnova.services.transfer.users import SPEC

USERNAME = st.one_of(
    st.text(alphabet="abz09_.-", min_size=2, max_size=34),
    st.text(alphabet="abZ 09_.-\t", min_size=0, max_size=34),
    st.text(max_size=40),
)
EMAIL = st.one_of(
    st.builds(
        "{}@{}.{}".format,
        st.text(alphabet="abXZ09._+-", min_size=1, max_size=12),
        st.text(alphabet="abZ09-", min_size=1, max_size=12),
        st.sampled_from(["org", "test", "localhost", "c", "ORG", "onion"]),
    ),
    st.text(max_size=30),
)
FULL_NAME = st.one_of(
    st.text(max_size=110),
    st.text(alphabet="ab \u00a0\x1c\x00Ї", max_size=8),
    st.integers(),
    st.none(),
)
ROLE = st.one_of(st.sampled_from(["user", "moderator", "admin", "Admin", "root", ""]), st.none())
ACTIVE = st.sampled_from([True, False, "true", "false", "True", "1", "0", "yes", 1, 0, None, ""])
HASH = st.sampled_from(["", None, "not-a-hash", "$2b$12$" + "a" * 53])
OPTIONAL = {"full_name": FULL_NAME, "role": ROLE, "is_active": ACTIVE, "password_hash": HASH}


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = {"username": draw(USERNAME), "email": draw(EMAIL)}
    for name, strategy in OPTIONAL.items():
        if draw(st.booleans()):
            row[name] = draw(strategy)
    if draw(st.integers(0, 20)) == 0:
        row["password"] = "secret"
    return row


def through_the_model(row: dict[str, Any]) -> tuple[Any, ...] | None:
    try:
        return SPEC.to_stage(UserImport.model_validate(row))  # type: ignore[return-value]
    except ValidationError:
        return None


@settings(max_examples=4_000, deadline=None)
@given(row=rows())
def test_every_row_the_shortcut_takes_validates_to_the_same_values(row: dict[str, Any]) -> None:
    shortcut = SPEC.canonical(row)
    if shortcut is not None:
        assert shortcut == through_the_model(row)


def test_the_rows_an_export_writes_take_the_shortcut() -> None:
    exported = {
        "username": "olena.k",
        "email": "olena@example.org",
        "full_name": "Олена Ковальчук",
        "role": "moderator",
        "is_active": "false",
    }
    assert SPEC.canonical(exported) == (
        "olena.k",
        "olena@example.org",
        "Олена Ковальчук",
        "moderator",
        False,
        None,
    )
    assert SPEC.canonical(exported) == through_the_model(exported)


def test_unusual_rows_are_left_to_the_model() -> None:
    for row in (
        {"username": "Olena", "email": "olena@example.org"},  # not lowercase yet
        {"username": "olena", "email": "olena@example.org", "full_name": " padded "},
        {"username": "olena", "email": "olena@example.org", "is_active": "yes"},
        {"username": "olena", "email": "olena@example.org", "password_hash": "$2b$12$x"},
        {"username": "olena", "email": "olena@example.org", "password": "secret"},
    ):
        assert SPEC.canonical(row) is None, row
