"""A WSGI app that answers with its worker's process id, after ``?wait=`` seconds.

Served by gunicorn with the shipped settings, it shows which worker took a connection
without loading osnova (the worker's behaviour, not the app's, is under test).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    wait = parse_qs(environ.get("QUERY_STRING", "")).get("wait", ["0"])[0]
    time.sleep(min(float(wait), 5))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
