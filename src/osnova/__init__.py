"""osnova: a production-grade Flask backend for a small catalogue of items."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from osnova.app import create_app

try:
    __version__ = version("osnova")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__", "create_app"]
