"""osnova: a production-grade Flask backend for a small catalogue of items.

``create_app`` and ``__version__`` are looked up on first use: importing a light module such as
``osnova.gunicorn_conf`` must not load the whole app (it sets up the environment the app's
metrics depend on before they are created).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from osnova.app import create_app

__all__ = ["__version__", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from osnova.app import create_app  # noqa: PLC0415

        return create_app
    if name == "__version__":
        # Looked up on use: reading the installed packages' metadata costs every command
        # (``osnova --help`` included) a noticeable part of its start.
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return version("osnova")
        except PackageNotFoundError:  # a source tree that is not installed
            return "0.0.0"
    raise AttributeError(name)
