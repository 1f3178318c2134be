"""Languages: English and Ukrainian.

The locale comes from the ``lang`` cookie set by the switch in the navigation bar, else from
Accept-Language. Services mark their messages with ``N_`` so they are extracted for
translation and translated by the door that shows them (``gettext(error.message)``).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from babel import Locale

LANGUAGES = {"en": "English", "uk": "Українська"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"


def N_(message: str) -> str:  # noqa: N802 - the conventional name of gettext's no-op marker
    """Mark a message for extraction without translating it here."""
    return message


def select_locale() -> Locale:
    """The request's language; Flask is imported here so that ``N_`` needs none."""
    from flask import request  # noqa: PLC0415

    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen not in LANGUAGES:
        chosen = request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE
    return _parsed(chosen)


@cache
def _parsed(code: str) -> Locale:
    """One ``Locale`` per language for the process. Given a code, Flask-Babel parses it
    again on every request, and Babel checks on disk that its data exists (a ``stat`` per
    page, 4% of ``/items``)."""
    from babel import Locale  # noqa: PLC0415 - see select_locale

    return Locale.parse(code)


def install_template_gettext(app: Any) -> None:
    """Templates translate through the request's catalogue, found once per request.

    Flask-Babel looks the catalogue up again for every string, and a page has dozens. And
    ``_()`` is called directly: Jinja's own new-style wrapper goes through two context calls
    and a ``%`` with no arguments per string, which cost as much as the lookup itself. The
    semantics are Jinja's new-style ones (every template is autoescaped HTML): the
    translation is trusted markup and ``%(name)s`` values are escaped into it.
    """
    from flask import g  # noqa: PLC0415 - see select_locale
    from flask_babel import get_translations  # noqa: PLC0415
    from markupsafe import Markup  # noqa: PLC0415

    def catalogue() -> Any:
        found = g.get("_osnova_catalogue")
        if found is None:
            found = g._osnova_catalogue = get_translations()
        return found

    def translating(ugettext: Any) -> Any:
        def gettext(message: str, **variables: Any) -> Markup:
            translated = Markup(ugettext(message))  # noqa: S704 - translators' text
            return translated % variables if variables else translated

        return gettext

    gettext = translating(lambda message: catalogue().ugettext(message))

    def bound_to_this_request() -> dict[str, Any]:
        """``_`` for one render, with the catalogue in hand: a page's dozens of strings then
        skip the lookup in ``g`` (about 1 µs each). Macros of templates imported without
        context use the global ``_`` below, which looks it up."""
        bound = translating(catalogue().ugettext)
        return {"_": bound, "gettext": bound}

    app.jinja_env.install_gettext_callables(
        lambda message: catalogue().ugettext(message),
        lambda singular, plural, n: catalogue().ungettext(singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(gettext=gettext, _=gettext)
    app.context_processor(bound_to_this_request)
