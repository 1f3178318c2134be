"""Prometheus metrics and the ``/metrics`` endpoint.

With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn, see ``osnova.gunicorn_conf``) each worker
writes its values to files there and the endpoint sums all workers, so a counter is exact
whichever worker answers the scrape. ``/metrics`` answers loopback clients, or anyone
presenting ``OSNOVA_METRICS_TOKEN`` as a bearer token; nginx refuses it from outside.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from flask import Blueprint, Response, abort, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from osnova.extensions import current_settings

REQUESTS = Counter(
    "osnova_http_requests_total", "HTTP requests answered.", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "osnova_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_FLIGHT = Gauge(
    "osnova_http_requests_in_flight", "Requests being answered now.", multiprocess_mode="livesum"
)
DB_CHECKED_OUT = Gauge(
    "osnova_db_pool_checked_out",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
LOGINS = Counter("osnova_logins_total", "Sign-in attempts by outcome.", ["outcome"])
IMPORT_ROWS = Counter(
    "osnova_import_rows_total", "Rows read by imports, by kind and outcome.", ["kind", "outcome"]
)

bp = Blueprint("metrics", __name__)


def _allowed() -> bool:
    token = current_settings().metrics_token
    header = request.headers.get("Authorization", "")
    if token is not None and header.startswith("Bearer "):
        offered = header.removeprefix("Bearer ").encode()
        if hmac.compare_digest(offered, token.get_secret_value().encode()):
            return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


@bp.get("/metrics")
def scrape() -> Response:
    if not _allowed():
        abort(403)
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)
