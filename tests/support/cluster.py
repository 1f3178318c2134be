"""osnova scaled out on real processes, each host in a network namespace of its own.

``db`` runs a PostgreSQL made with initdb and a redis-server; ``app1`` and ``app2`` run
gunicorn with the shipped settings, the same secret and the same database and Redis; ``worker``
runs ``osnova worker``; ``lb`` runs nginx with the shipped server block, its upstream pointed
at the two app hosts. The media and import spool folders are one directory every host mounts
(here: the same path, as an NFS mount would be). The test process sits on both networks at
``.1``. Everything is stopped and removed at the end, also when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from osnova import create_app
from osnova.extensions import db
from osnova.models import Role
from osnova.schemas import UserCreate
from osnova.services import accounts
from tests.support.databases import dispose_engine, make_settings, migrate_database
from tests.support.environment import TEST_SECRET_KEY, require_program
from tests.support.host_logs import errors_since, log_sizes
from tests.support.hosts import Service, postgres_program, wait_for_port
from tests.support.netns import BACK, FRONT, Network, require_namespaces
from tests.support.servers import DEPLOY, SITE_HOST, STATIC_DIR, fetch

BIN = Path(sys.executable).parent
APP_PORT = 8000
# gunicorn workers per app host: one keeps the boots of a restart short on a small machine;
# a host is still a master and its worker, killed together.
APP_WORKERS = 1
METRICS_TOKEN = "cluster-metrics-token-0123456789abcdef"
# Added to the copied security-headers snippet: which app host answered (nginx's view).
UPSTREAM_HEADER = "x-osnova-upstream"
LAYOUT = {
    "db": {BACK: 2},
    "lb": {FRONT: 2},
    "app1": {FRONT: 11, BACK: 11},
    "app2": {FRONT: 12, BACK: 12},
    "worker": {BACK: 13},
}
APP_HOSTS = ("app1", "app2")
PASSWORD = "a cluster member's long passphrase"
# Redis refuses other hosts unless it has a password (protected mode), as it should.
REDIS_PASSWORD = "cluster-redis-password-0123456789"


@dataclass
class Cluster:
    network: Network
    workdir: Path
    services: dict[str, Service] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://postgres@{self.network.address('db', BACK)}:5432/postgres"

    @property
    def redis_url(self) -> str:
        return f"redis://:{REDIS_PASSWORD}@{self.network.address('db', BACK)}:6379/0"

    @property
    def url(self) -> str:
        """nginx, as clients see it."""
        return f"http://{self.network.address('lb')}"

    def app_url(self, host: str) -> str:
        return f"http://{self.network.address(host)}:{APP_PORT}"

    def host_of(self, upstream: str) -> str:
        """The app host behind an upstream address nginx reports (the last it tried)."""
        last = upstream.rsplit(",", maxsplit=1)[-1].strip()
        for host in APP_HOSTS:
            if last.startswith(self.network.address(host) + ":"):
                return host
        raise AssertionError(f"no app host at {upstream!r}")

    @property
    def shared_dir(self) -> Path:
        return self.workdir / "shared"

    def log_folders(self) -> list[Path]:
        """Where the hosts' programs log: each service's output, and nginx's error log."""
        return [
            path
            for path in (self.workdir / "logs", self.workdir / "nginx" / "logs")
            if path.is_dir()
        ]

    def osnova_env(self, host: str, **more: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OSNOVA_", "PROMETHEUS_"))}
        home = self.workdir / host
        (home / "metrics").mkdir(parents=True, exist_ok=True)
        values = {
            "OSNOVA_ENV": "production",
            "OSNOVA_SECRET_KEY": TEST_SECRET_KEY,
            "OSNOVA_DATABASE_URL": self.database_url,
            "OSNOVA_REDIS_URL": self.redis_url,
            "OSNOVA_JOBS_IMMEDIATE": "0",
            "OSNOVA_JOB_POLL_SECONDS": "0.2",
            "OSNOVA_IMPORT_STALL_SECONDS": "2",
            "OSNOVA_IMPORT_HTTP_MAX_ROWS_ADMIN": "100",
            "OSNOVA_INSTANCE_DIR": str(home / "instance"),
            "OSNOVA_MEDIA_DIR": str(self.shared_dir / "media"),
            "OSNOVA_SPOOL_DIR": str(self.shared_dir / "spool"),
            "OSNOVA_ALLOWED_HOSTS": SITE_HOST,
            "OSNOVA_BASE_URL": f"http://{SITE_HOST}",
            "OSNOVA_TRUSTED_PROXIES": "1",
            "OSNOVA_METRICS_TOKEN": METRICS_TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(home / "metrics"),
        }
        return env | values | more

    def osnova(self, *args: str) -> str:
        """An ``osnova`` command from the test process (on the back network)."""
        done = subprocess.run(
            [str(BIN / "osnova"), *args],
            env=self.osnova_env("admin"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def create_user(self, username: str, *, admin: bool = False) -> None:
        """An account with ``PASSWORD``, made in the test process (as ``osnova`` would)."""
        role = Role.ADMIN if admin else Role.USER
        settings = make_settings(self.database_url, self.workdir / "admin" / "instance")
        app = create_app(settings)
        with app.app_context():
            data = UserCreate(username=username, email=f"{username}@example.org", password=PASSWORD)
            accounts.create_user(session=db.session(), settings=settings, data=data, role=role)
            db.session.commit()
        dispose_engine(app)

    def sql(self, statement: str) -> list[tuple[object, ...]]:
        url = self.database_url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(url, connect_timeout=5) as connection:
            return list(connection.execute(statement).fetchall())

    # Starting the hosts -------------------------------------------------------------------

    def start_database(self) -> None:
        initdb, postgres = postgres_program("initdb"), postgres_program("postgres")
        home = self.workdir / "pg"
        home.mkdir()
        data = home / "data"
        as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        if os.geteuid() == 0:
            shutil.chown(home, "postgres")
        else:
            as_postgres = []
        subprocess.run(
            [*as_postgres, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {self.network.back}.0/24 trust\n")
        address = self.network.address("db", BACK)
        command = [
            *as_postgres,
            postgres,
            "-D",
            str(data),
            "-k",
            str(home),
            "-c",
            f"listen_addresses={address}",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=100",
        ]
        self.add("db", "postgres", command, os.environ.copy()).start()
        redis = [
            require_program("redis-server"),
            "--bind",
            address,
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(home),
            "--requirepass",
            REDIS_PASSWORD,
        ]
        self.add("db", "redis", redis, os.environ.copy()).start()
        wait_for_port(address, 5432)
        wait_for_port(address, 6379)
        deadline = time.monotonic() + 30
        while True:  # the port opens a moment before connections are accepted
            try:
                self.sql("SELECT 1")
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def add(self, host: str, name: str, command: list[str], env: dict[str, str]) -> Service:
        service = Service(self.network, host, name, command, env, self.workdir / "logs")
        self.services[name] = service
        return service

    def start_app(self, host: str) -> None:
        bind = f"{self.network.address(host)}:{APP_PORT}"
        lb = self.network.address("lb")
        env = self.osnova_env(
            host, OSNOVA_BIND=bind, OSNOVA_WORKERS=str(APP_WORKERS), OSNOVA_FORWARDED_ALLOW_IPS=lb
        )
        command = [str(BIN / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"), "osnova.wsgi:app"]
        self.services.get(host) or self.add(host, host, command, env)
        self.services[host].start()

    def wait_for_app(self, host: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                answer = fetch(f"{self.app_url(host)}/readyz", host=SITE_HOST, timeout=3)
                if answer.status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline or not self.services[host].running:
                raise AssertionError(f"{host} never got ready:\n{self.services[host].log()}")
            time.sleep(0.1)

    def start_worker(self) -> None:
        if "worker" not in self.services:
            command = [str(BIN / "osnova"), "worker"]
            self.add("worker", "worker", command, self.osnova_env("worker"))
        self.services["worker"].start()
        self.wait_for_log("worker", "running jobs from")

    def wait_for_log(self, name: str, text: str, timeout: float = 60) -> None:
        service = self.services[name]
        deadline = time.monotonic() + timeout
        while text not in service.log():
            if time.monotonic() > deadline or not service.running:
                raise AssertionError(f"{name} never logged {text!r}:\n{service.log()}")
            time.sleep(0.1)

    def nginx_config(self, down: frozenset[str] = frozenset()) -> str:
        """The shipped server block, with the upstream on the two app hosts; those in ``down``
        are marked so (taken out of rotation for a restart)."""
        text = (DEPLOY / "nginx" / "osnova.conf").read_text()
        servers = "".join(
            f"    server {self.network.address(host)}:{APP_PORT} max_fails=3 fail_timeout=10s"
            f"{' down' if host in down else ''};\n"
            for host in APP_HOSTS
        )
        text, count = re.subn(r"(    server 127\.0\.0\.1:800\d[^\n]*\n)+", servers, text)
        assert count == 1, "the shipped upstream block changed shape"
        text = text.replace("listen 80", f"listen {self.network.address('lb')}:80")
        text = re.sub(r"\s*listen \[::\]:80[^;]*;", "", text)
        text = text.replace(
            "/opt/osnova/venv/lib/python3.11/site-packages/osnova/static/", f"{STATIC_DIR}/"
        )
        prefix = self.workdir / "nginx"
        text = text.replace("/var/log/nginx/", f"{prefix / 'logs'}/")
        return text.replace("/var/lib/osnova/media/", f"{self.shared_dir / 'media'}/")

    def write_nginx_config(self, down: frozenset[str] = frozenset()) -> Path:
        prefix = self.workdir / "nginx"
        user = "user root;\n" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\n"
            f"error_log {prefix}/logs/error.log warn;\nevents {{ worker_connections 512; }}\n"
            f"http {{\n  include /etc/nginx/mime.types;\n"
            f"  access_log {prefix}/logs/access.log;\n"
            f"  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n"
            f"{self.nginx_config(down)}\n}}\n"
        )
        return prefix / "nginx.conf"

    def reload_nginx(self, down: frozenset[str] = frozenset()) -> None:
        """New configuration, no dropped request: nginx's master starts new workers and lets
        the old ones finish what they hold (SIGHUP)."""
        self.write_nginx_config(down)
        process = self.services["nginx"].process
        assert process is not None
        process.send_signal(signal.SIGHUP)
        time.sleep(1)  # the new workers take over

    def start_nginx(self) -> None:
        nginx = require_program("nginx")
        prefix = self.workdir / "nginx"
        (prefix / "logs").mkdir(parents=True, exist_ok=True)
        shutil.copytree(DEPLOY / "nginx" / "snippets", prefix / "snippets", dirs_exist_ok=True)
        with (prefix / "snippets" / "osnova-security-headers.conf").open("a") as snippet:
            snippet.write(f"\nadd_header {UPSTREAM_HEADER} $upstream_addr always;\n")
        config = self.write_nginx_config()
        command = [nginx, "-p", str(prefix), "-c", str(config), "-g", "daemon off;"]
        self.add("lb", "nginx", command, os.environ.copy()).start()
        wait_for_port(self.network.address("lb"), 80)

    def stop_all(self) -> None:
        """Kill every host's programs; PostgreSQL gets its immediate shutdown first."""
        for name, service in self.services.items():
            if name == "postgres":
                service.stop(signal.SIGQUIT, timeout=10)
            else:
                service.kill()


# A folder where each cluster's logs (every host's programs) are copied before it is removed.
KEEP_LOGS_VARIABLE = "OSNOVA_TEST_CLUSTER_LOGS"


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    """The whole cluster up and migrated; torn down at the end, whatever happened."""
    require_namespaces()
    for program in ("nginx", "redis-server", "setpriv"):
        require_program(program)
    postgres_program("postgres")
    network = Network()
    workdir = Path(tempfile.mkdtemp(prefix="osnova-cluster-"))
    os.chmod(workdir, 0o755)  # noqa: S103 - PostgreSQL's user must reach its folder
    (workdir / "logs").mkdir()
    cluster = Cluster(network, workdir)
    try:
        network.create(LAYOUT)
        cluster.start_database()
        for host in APP_HOSTS:
            cluster.start_app(host)  # they wait for the schema, as after a deployment
        migrate_database(cluster.database_url, workdir / "admin" / "instance")
        cluster.start_worker()
        cluster.start_nginx()
        for host in APP_HOSTS:
            cluster.wait_for_app(host)
        yield cluster
    finally:
        cluster.stop_all()
        network.destroy()
        kept = os.environ.get(KEEP_LOGS_VARIABLE)
        if kept:
            for folder in cluster.log_folders():
                target = Path(kept) / workdir.name / folder.relative_to(workdir)
                shutil.copytree(folder, target, dirs_exist_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster_hosts() -> Iterator[Cluster]:
    with running_cluster() as made:
        yield made


@pytest.fixture
def cluster(cluster_hosts: Cluster) -> Iterator[Cluster]:
    """The session's cluster. After each test, what its hosts logged as errors meanwhile is
    printed: pytest shows it with a failure, where the hosts' logs are gone by then."""
    folders = cluster_hosts.log_folders()
    sizes = log_sizes(folders)
    yield cluster_hosts
    errors = errors_since(sizes, folders)
    if errors:
        print("\nerrors the hosts logged during the test:\n" + "\n".join(errors))
