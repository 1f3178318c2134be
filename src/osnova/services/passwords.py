"""Rules for choosing a password: length, not a common one, not the account's own name, and
hard enough to guess by zxcvbn's estimate.

The common-password list catches the classics of any length; zxcvbn catches what the list
cannot (``password1234``, ``aaaaaaaaaaaa``, keyboard walks, dates, the user's own name with
a digit added) and says which pattern made the password weak, which becomes the message.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from math import isqrt
from typing import Any

from osnova.config import DEFAULT_PASSWORD_MIN_SCORE
from osnova.errors import FieldError, InvalidInput
from osnova.i18n import N_
from osnova.schemas import PASSWORD_MAX, PASSWORD_MIN

# zxcvbn's matching costs about len² * (15 + number of letter-substitution variants) µs
# (measured here: 100 plain characters 0.15 s; 100 characters using all 20 of zxcvbn's
# substitution symbols 8 s). The estimator reads the longest prefix that fits this budget,
# about 0.1 s: up to ~79 characters of ordinary text, never fewer than the minimum length.
ESTIMATE_MAX_CHARS = 100
ESTIMATE_BUDGET = 100_000
ESTIMATE_BASE_COST = 15

TOO_SHORT = N_("The password is too short: use 12 to 128 characters.")
TOO_LONG = N_("The password is too long: use 12 to 128 characters.")
TOO_COMMON = N_("This password is too common.")
OWN_NAME = N_("The password must not be your username or email.")
GUESSABLE = N_("This password is too easy to guess. Add a few uncommon words.")
GUESSABLE_COMMON = N_(
    "This password is too easy to guess: it is a common password or close to one."
)
GUESSABLE_PERSONAL = N_(
    "This password is too easy to guess: it is built on your username, email or name."
)
GUESSABLE_WORD = N_(
    "This password is too easy to guess: a single word or name is among the first guesses."
)
GUESSABLE_KEYBOARD = N_(
    "This password is too easy to guess: keyboard patterns such as “qwerty” are tried early."
)
GUESSABLE_REPEAT = N_(
    "This password is too easy to guess: repeats such as “aaa” or “abcabc” are tried early."
)
GUESSABLE_SEQUENCE = N_(
    "This password is too easy to guess: sequences such as “abc” or “1234” are tried early."
)
GUESSABLE_DATE = N_("This password is too easy to guess: dates and years are tried early.")

# zxcvbn 4.5's feedback warnings (English only) mapped to messages the doors translate.
ZXCVBN_WARNINGS = {
    "This is a top-10 common password.": GUESSABLE_COMMON,
    "This is a top-100 common password.": GUESSABLE_COMMON,
    "This is a very common password.": GUESSABLE_COMMON,
    "This is similar to a commonly used password.": GUESSABLE_COMMON,
    "A word by itself is easy to guess.": GUESSABLE_WORD,
    "Names and surnames by themselves are easy to guess.": GUESSABLE_WORD,
    "Common names and surnames are easy to guess.": GUESSABLE_WORD,
    "Straight rows of keys are easy to guess.": GUESSABLE_KEYBOARD,
    "Short keyboard patterns are easy to guess.": GUESSABLE_KEYBOARD,
    'Repeats like "aaa" are easy to guess.': GUESSABLE_REPEAT,
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': GUESSABLE_REPEAT,
    'Sequences like "abc" or "6543" are easy to guess.': GUESSABLE_SEQUENCE,
    "Recent years are easy to guess.": GUESSABLE_DATE,
    "Dates are often easy to guess.": GUESSABLE_DATE,
}

# zxcvbn stores the user inputs of a call in a module-level dictionary, so two threads
# estimating at once would each match against the other's username. One call at a time.
_ZXCVBN_LOCK = threading.Lock()


@dataclass(frozen=True)
class PasswordOwner:
    """What zxcvbn is told about the account, so a password built on it counts as weak."""

    username: str
    email: str
    full_name: str = ""

    def own_words(self) -> list[str]:
        local_part = self.email.split("@", maxsplit=1)[0]
        words = [self.username, self.email, local_part, self.full_name, *self.full_name.split()]
        return [word.lower() for word in words if word]


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("osnova.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def estimator_input(password: str) -> str:
    """The prefix of ``password`` that zxcvbn rates, bounded so one request stays cheap.

    zxcvbn's time grows with the square of the length and with the number of ways its
    letter-substitution table (``@``→a, ``1``→i or l, …) applies, which an attacker chooses:
    a 100-character password built from those symbols took 8 s of CPU. A password whose
    first few dozen characters are easy to guess is refused however it goes on.
    """
    # zxcvbn is imported on first use: its frequency lists take 12 MB, which a process that
    # never rates a password (an import, an export, most API calls) need not hold.
    from zxcvbn.matching import (  # noqa: PLC0415
        L33T_TABLE,
        enumerate_l33t_subs,
        relevant_l33t_subtable,
    )

    window = password[:ESTIMATE_MAX_CHARS]
    variants = len(enumerate_l33t_subs(relevant_l33t_subtable(window, L33T_TABLE)))
    fits = isqrt(ESTIMATE_BUDGET // (ESTIMATE_BASE_COST + variants))
    return window[: max(fits, PASSWORD_MIN)]


def estimate(password: str, owner: PasswordOwner) -> dict[str, Any]:
    """zxcvbn's result for ``password`` (its score is 0 to 4), with the owner's own words."""
    from zxcvbn import zxcvbn  # noqa: PLC0415 - 12 MB, on first use (see estimator_input)

    text = estimator_input(password)
    with _ZXCVBN_LOCK:
        result: dict[str, Any] = zxcvbn(
            text, user_inputs=owner.own_words(), max_length=ESTIMATE_MAX_CHARS
        )
    return result


def weakness(result: dict[str, Any]) -> str:
    """Why zxcvbn rated a password low, as a message the doors translate."""
    if any(match.get("dictionary_name") == "user_inputs" for match in result["sequence"]):
        return GUESSABLE_PERSONAL
    warning = str(result["feedback"].get("warning") or "")
    return ZXCVBN_WARNINGS.get(warning, GUESSABLE)


def password_problem(
    password: str, *, owner: PasswordOwner, min_score: int = DEFAULT_PASSWORD_MIN_SCORE
) -> str | None:
    """Why ``password`` may not be chosen by ``owner``, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN:
        return TOO_SHORT
    if len(password) > PASSWORD_MAX:
        return TOO_LONG
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return TOO_COMMON
    email = owner.email.lower()
    if lowered in {owner.username.lower(), email, email.split("@", maxsplit=1)[0]}:
        return OWN_NAME
    result = estimate(password, owner)
    if int(result["score"]) < min_score:
        return weakness(result)
    return None


def check_new_password(
    password: str, *, owner: PasswordOwner, min_score: int, field: str = "password"
) -> None:
    """Raise InvalidInput naming ``field`` when the password breaks a rule."""
    problem = password_problem(password, owner=owner, min_score=min_score)
    if problem is not None:
        raise InvalidInput([FieldError(field, problem)], problem)
