"""The Prometheus metric objects, and nothing else: services import them without Flask.

With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn, see ``osnova.gunicorn_conf``) each worker
writes its values to files there; the scrape endpoint (``osnova.http.probes``) sums them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
JOBS = Counter("osnova_jobs_total", "Background jobs run, by job and outcome.", ["job", "outcome"])
JOB_DURATION = Histogram(
    "osnova_job_duration_seconds",
    "Time a background job ran.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900),
)
DEADLINES_EXCEEDED = Counter(
    "osnova_http_deadline_exceeded_total",
    "Requests answered 503 because they ran past their deadline.",
    ["endpoint"],
)
