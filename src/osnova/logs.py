"""The one log format of every osnova process: a JSON object per line.

The app (``observability.configure_logging``) and gunicorn's own loggers (the master's and
workers' error log, the access log; see ``gunicorn_conf.logconfig_dict``) write through the
handler made here, so an operator's log reader never meets a line of plain text. It is
apart from ``observability`` because gunicorn's master loads it, and the master must not
import Flask or create the metric objects (see ``osnova.gunicorn_conf``).
"""

from __future__ import annotations

import logging
import sys
from typing import IO

from pythonjsonlogger.orjson import OrjsonFormatter

LOG_FIELDS = "%(levelname)s %(name)s %(process)d %(message)s"
RENAMED_FIELDS = {"levelname": "level", "name": "logger", "process": "pid"}


def json_formatter() -> logging.Formatter:
    """``time``, ``level``, ``logger``, ``pid``, ``message``, the record's extra fields, and
    the traceback as ``exc_info`` when there is one."""
    return OrjsonFormatter(LOG_FIELDS, rename_fields=RENAMED_FIELDS, timestamp="time")


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing JSON lines to ``stream`` (stderr by default), marked as osnova's."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(json_formatter())
    handler.osnova_json = True  # type: ignore[attr-defined]
    return handler


def is_json_handler(handler: logging.Handler) -> bool:
    return getattr(handler, "osnova_json", False) is True
