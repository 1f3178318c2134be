"""Keep the Ukrainian catalogue in step with the code.

    python scripts/translations.py update   # extract strings, merge into uk, compile .mo
    python scripts/translations.py check    # fail when a string lacks a translation or .mo is stale

``check`` runs in ``make check``: a new translatable string without a Ukrainian translation
fails the build.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "osnova"
CATALOG_DIR = PACKAGE / "translations" / "uk" / "LC_MESSAGES"
PO_FILE, MO_FILE = CATALOG_DIR / "messages.po", CATALOG_DIR / "messages.mo"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def extract() -> Catalog:
    template = Catalog(project="osnova")
    for _file, _line, message, comments, context in extract_from_dir(
        str(PACKAGE), METHODS, keywords=KEYWORDS
    ):
        template.add(message, None, auto_comments=comments, context=context)
    return template


def load() -> Catalog:
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="uk")


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def update() -> None:
    catalog = load() if PO_FILE.exists() else Catalog(locale="uk", project="osnova")
    catalog.update(extract(), no_fuzzy_matching=True)
    catalog.fuzzy = False
    catalog.last_translator = "osnova developers"
    catalog.language_team = "Ukrainian"
    CATALOG_DIR.mkdir(parents=True, exist_ok=True)
    with PO_FILE.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, no_location=True, sort_output=True)
    MO_FILE.write_bytes(compiled(catalog))


def check() -> int:
    catalog = load()
    problems = []
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if found is None or not found.string or found.fuzzy:
            problems.append(message.id if isinstance(message.id, str) else message.id[0])
    for missing in problems:
        print(f"missing Ukrainian translation: {missing!r}", file=sys.stderr)
    stale = not MO_FILE.exists() or MO_FILE.read_bytes() != compiled(catalog)
    if stale:
        print(f"{MO_FILE.relative_to(ROOT)} is stale: run `make translations`", file=sys.stderr)
    if problems or stale:
        return 1
    print(f"translations complete ({len(catalog)} messages)")
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    else:
        sys.exit(check())
