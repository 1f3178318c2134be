"""Bad files: each gets a clear error naming where, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from osnova.services.transfer import Format
from tests.transfer.helpers import export_bytes, import_text, users_table

HEADER = "username,email\n"
DEEP = '[{"username": ' + "[" * 10_000 + "]" * 10_000 + ', "email": "a@example.org"}]'

BAD_FILES = {
    "not utf-8": (b"username,email\nj\xf6rg,j@example.org\n", Format.CSV, 2, "not UTF-8"),
    "empty": (b"", Format.CSV, 1, "empty"),
    "empty json": (b"", Format.JSON, 1, "empty"),
    "header only": (HEADER.encode(), Format.CSV, 1, "no rows"),
    "duplicate header": (b"username,email,email\nann,a@x.org,b@x.org\n", Format.CSV, 1, "twice"),
    "missing column": (b"username\nann\n", Format.CSV, 1, "required column"),
    "extra column": (b"username,email,shoe_size\nann,a@example.org,44\n", Format.CSV, 1, "unknown"),
    "huge field": (
        (HEADER + "ann," + "a" * 200_000 + "\n").encode(),
        Format.CSV,
        2,
        "longer than",
    ),
    "short row": (b"username,email\nann\n", Format.CSV, 2, "fields"),
    "json object": (b'{"username": "ann"}', Format.JSON, 1, "array"),
    "truncated json": (
        b'[{"username": "ann", "email": "a@example.org"}, {"username": "b',
        Format.JSON,
        2,
        "truncated",
    ),
    "json nested 10,000 deep": (DEEP.encode(), Format.JSON, 1, "single value"),
    "jsonl not an object": (b'["ann"]\n', Format.JSONL, 1, "object"),
    "jsonl bad line": (
        b'{"username": "ann", "email": "a@example.org"}\n{oops\n',
        Format.JSONL,
        2,
        "invalid JSON",
    ),
    "plaintext password": (
        b"username,email,password\nann,a@example.org,secret\n",
        Format.CSV,
        1,
        "plaintext",
    ),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_is_refused_with_a_clear_error(session: Session, name: str) -> None:
    content, fmt, line, words = BAD_FILES[name]
    report = import_text(session, "users", content, fmt)
    assert not report.ok
    assert report.errors[0].line == line
    assert words in report.errors[0].message
    assert users_table(session) == []


def test_a_formula_cell_is_data_and_neutralised_on_export(session: Session) -> None:
    content = 'username,email,full_name\nann,a@example.org,"=HYPERLINK(""http://evil"")"\n'
    report = import_text(session, "users", content)
    assert report.ok
    assert users_table(session)[0][2] == '=HYPERLINK("http://evil")'
    exported = export_bytes(session, "users", Format.CSV).decode()
    assert '\'=HYPERLINK(""http://evil"")' in exported
    assert "\n=" not in exported
    assert ",=" not in exported
