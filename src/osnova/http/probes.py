"""Probes for load balancers and monitoring: ``/healthz``, ``/readyz`` and ``/metrics``.

``/metrics`` sums every worker's values (Prometheus multiprocess mode, so a counter is exact
whichever worker answers the scrape). It answers loopback clients, or anyone presenting
``OSNOVA_METRICS_TOKEN`` as a bearer token; nginx refuses it from outside.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from flask import Blueprint, Response, abort, current_app, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from osnova.extensions import JOBS_KEY, current_settings, db

bp = Blueprint("probes", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive and serving; says nothing about its dependencies."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready when the database answers a trivial query; 503 with the reason otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        reason = type(getattr(exc, "orig", None) or exc).__name__
        return jsonify(status="unavailable", reason=f"database unreachable ({reason})"), 503
    return jsonify(status="ok"), 200


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


def _queue_depth() -> bytes:
    """Jobs waiting in the shared queue, read at scrape time (one value whichever host asks)."""
    registry = CollectorRegistry()
    depth = Gauge(
        "osnova_jobs_queued", "Background jobs waiting (ready or scheduled).", registry=registry
    )
    try:
        depth.set(current_app.extensions[JOBS_KEY].pending())
    except Exception:  # a queue that cannot be read must not cost the other metrics
        depth.set(float("nan"))
    return generate_latest(registry)


@bp.get("/metrics")
def scrape() -> Response:
    if not _allowed():
        abort(403)
    body = generate_latest(_registry()) + _queue_depth()
    # content_type, not mimetype: CONTENT_TYPE_LATEST carries its charset already.
    return Response(body, content_type=CONTENT_TYPE_LATEST)
