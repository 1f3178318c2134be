"""The NUL character (U+0000) is refused at the edge, in every text a request brings.

No text the site keeps may hold it, and PostgreSQL refuses it in any string (an error, so a
500, wherever it reached a query). So it never gets that far: in the path the answer is
404 (no address has one); in the query string, a form or a JSON body (values and keys, at
any depth) it is 422 with the field named on the API, and 400 on a page. Uploaded files'
contents are data, not text, and keep their bytes.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, NotFound

from osnova.errors import FieldError, InvalidInput
from osnova.i18n import N_

NUL = "\x00"
NUL_REFUSED = N_("Text may not contain the NUL character (U+0000).")
API_PREFIX = "/api/"


def nul_field(value: object, path: str = "") -> str | None:
    """The dotted name of the first string or key in ``value`` holding NUL, or None."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and NUL in key:
                return path or "(key)"
            found = nul_field(item, name)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_field(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def _first_in_fields(fields: MultiDict[str, str]) -> str | None:
    for key, value in fields.items(multi=True):
        if NUL in key or NUL in value:
            return key.replace(NUL, "") or "(key)"
    return None


def refuse(field: str) -> None:
    """Raise the refusal for a NUL in ``field``: 422 naming it on the API, else 400."""
    if request.path.startswith(API_PREFIX):
        raise InvalidInput([FieldError(field, NUL_REFUSED)], NUL_REFUSED)
    from flask_babel import gettext  # noqa: PLC0415 - only when a request is refused

    raise BadRequest(gettext(NUL_REFUSED))


def check_form(form: MultiDict[str, str], file_names: Iterable[str | None]) -> None:
    """Called by the request class once it has read a form."""
    field = _first_in_fields(form)
    if field is None and any(name and NUL in name for name in file_names):
        field = "file"
    if field is not None:
        refuse(field)


def check_json(raw: bytes | None, document: object) -> None:
    """Called by the request class once it has parsed a JSON body (``raw``, when kept).
    JSON can only spell NUL as an escape, so a body without ``\\u0000`` is not walked."""
    if raw is not None and b"\\u0000" not in raw:
        return
    field = nul_field(document)
    if field is not None:
        refuse(field)


def refuse_nul_in_path_and_query() -> None:
    if NUL in request.path:
        raise NotFound()
    query = request.query_string
    if b"%00" in query or b"\x00" in query:
        field = _first_in_fields(request.args)
        if field is not None:
            refuse(field)


def init_nul_refusal(app: Flask) -> None:
    app.before_request(refuse_nul_in_path_and_query)
