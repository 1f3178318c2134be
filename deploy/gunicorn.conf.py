"""gunicorn settings for a deployment: ``gunicorn -c deploy/gunicorn.conf.py osnova.wsgi:app``.

Everything comes from ``osnova.gunicorn_conf`` (which ``osnova serve`` uses too): gthread
workers that share connections fairly (``osnova.gunicorn_worker``), timeouts, worker recycling with jitter, JSON logs (error log on stderr, access log
on stdout), forwarded headers trusted only from the local proxy, and the Prometheus
multiprocess hooks. The address and worker count come from ``OSNOVA_BIND`` (default
127.0.0.1:8000) and ``OSNOVA_WORKERS``; assign any other gunicorn setting below to
override it.
"""

from osnova.gunicorn_conf import *  # noqa: F403
