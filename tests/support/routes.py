"""The admin console's URLs as the URL map has them, so a page added later is covered by the
tests that walk them (access, security headers) without being listed by hand."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import AnyConverter, IntegerConverter, Rule


def admin_urls(app: Flask) -> list[tuple[Rule, str, str]]:
    """(rule, method, URL) for every GET and POST rule under /admin, arguments filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        values: dict[str, object] = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            if isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            elif isinstance(converter, IntegerConverter):
                values[name] = 1
            else:
                values[name] = "x"
        built = rule.build(values)
        assert built is not None
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((rule, method, built[1]))
    return found
