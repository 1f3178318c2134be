"""The import's fast email check agrees with email-validator on every address it decides."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import EmailStr, TypeAdapter, ValidationError

from osnova.schemas import Email

EMAIL = TypeAdapter(Email)
FULL = TypeAdapter(EmailStr)  # EmailStr alone: email-validator's full path

LOCAL = st.text(alphabet="abcXYZ09._+-'!", min_size=1, max_size=70)
LABEL = st.text(alphabet="abzAZ09-", min_size=1, max_size=70)
TLD = st.sampled_from(["org", "test", "localhost", "c", "co", "example", "ORG", "1a", "onion"])


def outcome(adapter: TypeAdapter[str], value: str) -> str | None:
    try:
        return adapter.validate_python(value).lower()
    except ValidationError:
        return None


@settings(max_examples=3_000, deadline=None)
@given(local=LOCAL, labels=st.lists(LABEL, min_size=0, max_size=3), tld=TLD)
def test_fast_and_full_paths_agree(local: str, labels: list[str], tld: str) -> None:
    address = f"{local}@{'.'.join([*labels, tld])}"
    assert outcome(EMAIL, address) == outcome(FULL, address)


def test_known_corner_cases_agree() -> None:
    for address in ("0@00--0.org", "a@xn--80ak6aa92e.com", "a.@b.org", "a@b-.org", "a@b.test"):
        assert outcome(EMAIL, address) == outcome(FULL, address), address
