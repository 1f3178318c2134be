"""gunicorn settings for osnova (``gunicorn -c python:osnova.gunicorn_conf osnova.wsgi:app``).

``osnova serve`` uses this module; ``deploy/gunicorn.conf.py`` imports it for a deployment
and is the place to override. Values can also be set with ``GUNICORN_*``-style environment
variables read below, or on the command line, which wins.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from typing import Any

from gunicorn.glogging import Logger

from osnova.http.redaction import redact_path

# Prometheus multiprocess mode: every worker writes its metrics under this folder. It must be
# in a worker's environment before the app imports prometheus_client. A folder made here (none
# was given) is this server's alone and is removed when it stops (``on_exit``).
_given_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
metrics_dir = _given_metrics_dir or tempfile.mkdtemp(prefix="osnova-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
raw_env = [f"PROMETHEUS_MULTIPROC_DIR={metrics_dir}"]

bind = os.environ.get("OSNOVA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("OSNOVA_WORKERS", str(min(2 * (os.cpu_count() or 1) + 1, 8))))
# gunicorn's gthread worker, taking a connection only while a thread is free (see the module).
worker_class = "osnova.gunicorn_worker.BalancedThreadWorker"
threads = int(os.environ.get("OSNOVA_THREADS", "4"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, each after its own count, drawn between 100,000 and 200,000
# requests. A worker's boot imports the whole app (about a second of CPU), so not too often:
# every 2,000 requests meant a reboot every few seconds at a thousand requests a second. The
# wide draw keeps workers from booting together: two workers each serving a thousand requests
# a second recycle within the same second with a chance of about 2 * 1,000 / jitter each time,
# one in ten with a jitter of 20,000 (it happened in a benchmark: for that second no worker
# served), one in fifty with 100,000. A worker's memory stays flat over 100,000 requests
# (docs/performance.md), so recycling is only insurance.
max_requests = 100000
max_requests_jitter = 100000
# Trust X-Forwarded-* only from the proxy in front (nginx on the same host by default).
forwarded_allow_ips = os.environ.get("OSNOVA_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
control_socket_disable = True
# Room for a full query string of multi-byte characters (gunicorn's maximum).
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
capture_output = False
# Every line gunicorn writes is JSON, in the app's format (osnova.logs): its error log (the
# master's and workers' messages, and tracebacks) on stderr, its access log on stdout. The
# root logger gets the same handler, so a worker's app finds it and adds no second one.
# gunicorn's --log-level still sets the error log's level.
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "stderr": {"()": "osnova.logs.json_handler", "stream": "ext://sys.stderr"},
        "stdout": {"()": "osnova.logs.json_handler", "stream": "ext://sys.stdout"},
    },
    "formatters": {},
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "propagate": False},
    },
}


def _request_id(resp: Any) -> str | None:
    """The id the app answered with (its own when the client sent none)."""
    for name, value in getattr(resp, "headers", None) or ():
        if name.lower() == "x-request-id":
            return str(value)
    return None


class JsonAccessLogger(Logger):  # type: ignore[misc]
    """gunicorn's access log: one record per request, whose fields the JSON handler writes."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.cfg.accesslog:
            return
        status = resp.status_code if hasattr(resp, "status_code") else resp.status
        if isinstance(status, str):  # "500 Internal Server Error" on gunicorn's own errors
            status = int(status.split(None, 1)[0])
        self.access_log.info(
            "access",
            extra={
                "remote_addr": environ.get("REMOTE_ADDR"),
                "method": environ.get("REQUEST_METHOD") or getattr(req, "method", None),
                "path": redact_path(environ.get("PATH_INFO") or getattr(req, "path", None) or ""),
                "status": status,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 2),
                "request_id": _request_id(resp) or environ.get("HTTP_X_REQUEST_ID"),
                "user_agent": environ.get("HTTP_USER_AGENT"),
            },
        )


logger_class = JsonAccessLogger


# ``osnova serve --with-worker`` (what ``make run`` uses): a job consumer beside the server,
# started and stopped with it, so one command and one Ctrl-C run the whole site.
WITH_WORKER = "OSNOVA_SERVE_WITH_WORKER"
_job_worker: subprocess.Popen[bytes] | None = None


def on_starting(server: Any) -> None:
    """Start with an empty metrics folder (files of an earlier run would be summed), and the
    job consumer when asked for."""
    global _job_worker  # noqa: PLW0603 - one consumer per gunicorn master
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)
    if os.environ.get(WITH_WORKER) == "1":
        osnova = os.path.join(os.path.dirname(sys.executable), "osnova")
        _job_worker = subprocess.Popen([osnova, "worker"])  # noqa: S603 - our own command


def on_exit(server: Any) -> None:
    """Stop the job consumer after its running jobs (SIGINT), or at once after 30 s; remove
    the metrics folder made for this server."""
    if _job_worker is not None and _job_worker.poll() is None:
        _job_worker.send_signal(signal.SIGINT)
        try:
            _job_worker.wait(timeout=graceful_timeout)
        except subprocess.TimeoutExpired:
            _job_worker.kill()
    if not _given_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges (its counters are kept and still summed)."""
    from prometheus_client import multiprocess  # noqa: PLC0415

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
