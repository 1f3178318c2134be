"""Background jobs on huey: account mail, imports too big for a request, housekeeping.

The queue is a SQLite file in the instance folder (no extra server for ``make run``), or
Redis when ``OSNOVA_REDIS_URL`` is set; ``osnova worker`` runs the consumer. A door queues a
job with ``extensions.enqueue_job`` once its transaction has committed, so a job never sees
data that was rolled back. Each job runs in an app context of its own; its log lines carry the
job's id and the id of the request that queued it, and its count, outcome and duration go to
the metrics. Job bodies live with the code they serve (``http.account_mail``,
``services.import_jobs``, ``services.housekeeping``); this module only routes to them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey, Task, TaskWrapper
from redis import ConnectionPool

from osnova import metrics
from osnova.config import REDIS_TIMEOUTS, Settings
from osnova.extensions import JOBS_KEY, db
from osnova.http import account_mail
from osnova.observability import JobContext, current_job, report_job_failure, request_id
from osnova.services import housekeeping, import_jobs
from osnova.services.import_jobs import Progress

log = logging.getLogger("osnova.jobs")
# A running import writes a heartbeat this often; recovery waits for import_stall_seconds.
HEARTBEAT_SECONDS = 1.0


def make_huey(settings: Settings) -> Huey:
    """The queue for ``settings``: in memory when jobs run immediately, else SQLite or Redis."""
    common: dict[str, Any] = {
        "name": settings.jobs_queue_name,
        "results": False,
        "immediate": settings.runs_jobs_immediately,
        "utc": True,
    }
    if settings.redis_url:
        pool = ConnectionPool.from_url(settings.redis_url, **REDIS_TIMEOUTS)
        return RedisHuey(connection_pool=pool, **common)
    path = settings.instance_dir.resolve() / "jobs.sqlite3"
    return SqliteHuey(filename=str(path), **common)


def storage_label(settings: Settings) -> str:
    """Where the queue lives, for a log line (no password)."""
    if settings.runs_jobs_immediately:
        return "immediate (in the queuing process)"
    if settings.redis_url:
        from sqlalchemy.engine import make_url  # noqa: PLC0415 - any URL parser hides passwords

        return f"redis {make_url(settings.redis_url).render_as_string(hide_password=True)}"
    return f"sqlite {settings.instance_dir.resolve() / 'jobs.sqlite3'}"


@dataclass(frozen=True)
class JobSpec:
    body: Callable[..., None]
    retried: bool = False


class JobQueue:
    """The app's huey with osnova's jobs registered on it."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.huey = make_huey(settings)
        self.tasks: dict[str, TaskWrapper] = {}
        specs = {
            "account_mail": JobSpec(account_mail.deliver, retried=True),
            "import": JobSpec(self._run_import),
        }
        for name, spec in specs.items():
            retries = settings.job_retries if spec.retried else 0
            self.tasks[name] = self.huey.task(
                retries=retries,
                retry_delay=settings.job_retry_seconds,
                retry_backoff=2 if spec.retried else 0,
                context=True,
                name=name,
            )(self._wrap(name, spec.body))
        periodic = {
            "housekeeping": (crontab(minute="17"), self._housekeeping),
            "recover_imports": (crontab(), self.recover_stalled_imports),
        }
        for name, (when, body) in periodic.items():
            self.tasks[name] = self.huey.periodic_task(when, context=True, name=name)(
                self._wrap(name, body)
            )

    def enqueue(self, name: str, *, delay: float | None = None, **kwargs: Any) -> str:
        """Queue job ``name`` (to run ``delay`` seconds from now); returns its id. The
        request's id goes along for the logs."""
        queued_by = request_id()
        task = self.tasks[name].s(request_id=queued_by, delay=delay, **kwargs)
        log.info("job queued", extra={"job": name, "job_id": task.id, "request_id": queued_by})
        self.huey.enqueue(task)
        return str(task.id)

    def pending(self) -> int:
        """Jobs waiting: ready now, or scheduled for later (retries)."""
        if self.settings.runs_jobs_immediately:
            return 0
        return int(self.huey.pending_count()) + int(self.huey.scheduled_count())

    def _wrap(self, name: str, body: Callable[..., None]) -> Callable[..., None]:
        def run(task: Task, request_id: str | None = None, **kwargs: Any) -> None:
            started = time.perf_counter()
            outcome = "failed"
            job = JobContext(str(task.id), name, request_id)
            with current_job(job):
                try:
                    with self.app.app_context():
                        try:
                            body(**kwargs)
                        finally:
                            db.session.remove()
                    outcome = "ok"
                except Exception as error:
                    outcome = "retried" if task.retries else "failed"
                    if outcome == "failed":
                        report_job_failure(self.settings, error, job)
                    raise
                finally:
                    metrics.JOBS.labels(name, outcome).inc()
                    metrics.JOB_DURATION.labels(name).observe(time.perf_counter() - started)

        run.__name__ = name
        return run

    # Imports ------------------------------------------------------------------------------

    def progress_key(self, job_id: int) -> str:
        return f"import-progress:{job_id}"

    def progress_of(self, job_id: int) -> Progress | None:
        value = self.huey.get(self.progress_key(job_id), peek=True)
        return value if isinstance(value, Progress) else None

    @contextmanager
    def _beating(self, job_id: int) -> Iterator[Callable[[int], None]]:
        """Rows done and a heartbeat in the queue's store (not the database, whose write lock
        the import holds on SQLite), refreshed by a thread while the import runs."""
        key = self.progress_key(job_id)
        state = {"rows": 0}
        stop = threading.Event()
        writing = threading.Lock()  # so that a beat never stores an older count over a newer

        def beat() -> None:
            with writing:
                self.huey.put(key, Progress(rows=state["rows"], beat=time.time()))

        def keep_beating() -> None:
            while not stop.wait(HEARTBEAT_SECONDS):
                beat()

        def advance(rows: int) -> None:
            state["rows"] = rows
            beat()

        beat()
        thread = threading.Thread(target=keep_beating, name=f"import-{job_id}-heartbeat")
        thread.start()
        try:
            yield advance
        finally:
            stop.set()
            thread.join()
            self.huey.delete(key)

    def _run_import(self, job_id: int) -> None:
        with self._beating(job_id) as advance:
            import_jobs.run(
                session=db.session(),
                job_id=job_id,
                spool_dir=import_jobs.spool_folder(self.settings),
                progress=advance,
            )

    def recover_stalled_imports(self) -> None:
        """Queue again every running import whose consumer stopped beating (it was killed):
        its transaction was rolled back with the process, so running it again is safe. Runs in an
        app context (the consumer's start, or the periodic job)."""
        stalled = import_jobs.requeue_stalled(session=db.session(), alive=self._alive)
        db.session.commit()
        for job_id in stalled:
            log.warning("import %s stalled; queued again", job_id)
            self.enqueue("import", job_id=job_id)

    def _alive(self, job_id: int) -> bool:
        progress = self.progress_of(job_id)
        return progress is not None and time.time() - progress.beat < (
            self.settings.import_stall_seconds
        )

    def _housekeeping(self) -> None:
        removed = housekeeping.sweep(session=db.session(), settings=self.settings)
        db.session.commit()
        log.info("housekeeping done", extra=removed.to_dict())


def init_jobs(app: Flask, settings: Settings) -> JobQueue:
    queue = JobQueue(app, settings)
    app.extensions[JOBS_KEY] = queue
    return queue


def job_queue(app: Flask) -> JobQueue:
    queue = app.extensions[JOBS_KEY]
    if not isinstance(queue, JobQueue):
        raise TypeError("the app was not built by osnova.create_app")
    return queue
