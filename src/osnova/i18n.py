"""Languages: English and Ukrainian.

The locale comes from the ``lang`` cookie set by the switch in the navigation bar, else from
Accept-Language. Services mark their messages with ``N_`` so they are extracted for
translation and translated by the door that shows them (``gettext(error.message)``).
"""

from __future__ import annotations

LANGUAGES = {"en": "English", "uk": "Українська"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"


def N_(message: str) -> str:  # noqa: N802 - the conventional name of gettext's no-op marker
    """Mark a message for extraction without translating it here."""
    return message


def select_locale() -> str:
    """The request's language; Flask is imported here so that ``N_`` needs none."""
    from flask import request  # noqa: PLC0415

    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE
