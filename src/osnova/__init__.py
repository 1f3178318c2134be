"""osnova: a production-grade Flask backend for a small catalogue of items.

``create_app`` is imported on first use: importing a light module such as
``osnova.gunicorn_conf`` must not load the whole app (it sets up the environment the app's
metrics depend on before they are created).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from osnova.app import create_app

try:
    __version__ = version("osnova")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from osnova.app import create_app  # noqa: PLC0415

        return create_app
    raise AttributeError(name)
