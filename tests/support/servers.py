"""Real gunicorn and nginx processes on loopback for the deployment tests."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.environment import TEST_SECRET_KEY, free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
STATIC_DIR = ROOT / "src" / "osnova" / "static"
SITE_HOST = "catalogue.example.org"  # the server_name of deploy/nginx/osnova.conf
SERVED_STATIC_DIR = "/opt/osnova/static"  # nginx's /static/ alias in deploy/nginx/osnova.conf


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    # Every header line as sent, repeats included (``headers`` keeps one value per name).
    header_lines: tuple[tuple[str, str], ...] = ()


def fetch(
    url: str,
    *,
    method: str = "GET",
    host: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str | None = None,
    timeout: float = 15,
) -> Answer:
    """One HTTP request, optionally from another loopback address (``source``)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1",
        parts.port,
        timeout=timeout,
        source_address=(source, 0) if source else None,
    )
    try:
        all_headers = {"Host": host or parts.netloc, **(headers or {})}
        connection.request(
            method, parts.path + (f"?{parts.query}" if parts.query else ""), body, all_headers
        )
        response = connection.getresponse()
        lines = tuple((name.lower(), value) for name, value in response.getheaders())
        return Answer(response.status, dict(lines), response.read(), lines)
    finally:
        connection.close()


def send_body(
    url: str,
    body: bytes,
    *,
    chunked: bool,
    headers: dict[str, str] | None = None,
    chunk_size: int = 65_536,
    timeout: float = 60,
) -> Answer:
    """POST ``body`` with its length declared, or chunked with none declared.

    The body is sent from another thread while the answer is read, as a browser or curl
    does: a server may answer (a 413) before the body is in, and then stop reading it.
    """
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        pieces = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
        payload += b"0\r\n\r\n"
    else:
        lines.append(f"Content-Length: {len(body)}")
        payload = body
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    with socket.create_connection(address, timeout=timeout) as sock:

        def write() -> None:
            # The server may answer and close before it has taken the whole body.
            with contextlib.suppress(OSError):
                sock.sendall(request)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        response = http.client.HTTPResponse(sock)
        response.begin()
        answer = Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
        writer.join(timeout)
    return answer


def wait_until_up(url: str, timeout: float = 30, host: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    headers = {"Host": host} if host else {}
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answers, whatever the status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def read_json_lines(path: Path) -> list[dict[str, object]]:
    """Every line of a log file as a JSON object; a line that is not one fails the caller."""
    records = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"{path.name}:{number} is not JSON: {line[:200]!r}") from None
        assert isinstance(record, dict), f"{path.name}:{number} is not a JSON object"
        records.append(record)
    return records


def osnova_env(workdir: Path, **values: str) -> dict[str, str]:
    (workdir / "metrics").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OSNOVA_", "PROMETHEUS_"))}
    env |= {
        "OSNOVA_ENV": "testing",
        "OSNOVA_SECRET_KEY": TEST_SECRET_KEY,
        "OSNOVA_DATABASE_URL": f"sqlite:///{workdir / 'osnova.sqlite3'}",
        "OSNOVA_INSTANCE_DIR": str(workdir / "instance"),
        "OSNOVA_MEDIA_DIR": str(workdir / "media"),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
    }
    return env | values


def migrate(env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "osnova"), "db", "upgrade"], env=env, check=True, timeout=60)


def collect_static(env: dict[str, str], destination: Path) -> None:
    """What docs/deploy.md runs before nginx serves /static/ from ``destination``."""
    subprocess.run(
        [str(BIN / "osnova"), "collect-static", str(destination)],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )


@dataclass
class Gunicorn:
    """gunicorn serving osnova with the shipped settings, logs captured to files."""

    workdir: Path
    env: dict[str, str]
    workers: int = 2
    # The WSGI app served (gunicorn also takes a factory call, ``module:build()``); a
    # test's own module (``tests.support.…``) is found from ROOT.
    app_module: str = "osnova.wsgi:app"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stderr_path(self) -> Path:
        return self.workdir / f"gunicorn-{self.port}.err"

    @property
    def stdout_path(self) -> Path:
        return self.workdir / f"gunicorn-{self.port}.out"

    def start(self) -> Gunicorn:
        (self.workdir / "metrics").mkdir(exist_ok=True)
        command = [
            str(BIN / "gunicorn"),
            "-c",
            str(DEPLOY / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--pythonpath",
            str(ROOT),
            self.app_module,
        ]
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(command, env=self.env, stdout=out, stderr=err)
        wait_until_up(f"{self.url}/healthz")
        return self

    def worker_pids(self) -> set[int]:
        assert self.process is not None
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return {int(pid) for pid in found.stdout.split()}

    def app_log(self) -> list[dict[str, object]]:
        """The records on stderr: the app's, and gunicorn's error log (each line is JSON)."""
        return read_json_lines(self.stderr_path)

    def access_log(self) -> list[dict[str, object]]:
        """gunicorn's access log on stdout, a JSON record per request."""
        return read_json_lines(self.stdout_path)

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=40)


@dataclass
class Nginx:
    """nginx with the shipped server block, adapted only in paths and ports."""

    workdir: Path
    app_port: int
    media_dir: Path
    # The folder docs/deploy.md has osnova collect-static fill (/opt/osnova/static).
    static_dir: Path = STATIC_DIR
    # osnova-tls.conf: the folder holding fullchain.pem and privkey.pem for SITE_HOST.
    site_file: str = "osnova.conf"
    certificate_dir: Path | None = None
    port: int = field(default_factory=free_port)
    tls_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    def rendered_server_block(self) -> str:
        text = (DEPLOY / "nginx" / self.site_file).read_text()
        text = re.sub(r"server 127\.0\.0\.1:800[01]", f"server 127.0.0.1:{self.app_port}", text)
        text = text.replace("listen 80", f"listen 127.0.0.1:{self.port}")
        text = text.replace("listen 443", f"listen 127.0.0.1:{self.tls_port}")
        text = re.sub(r"\s*listen \[::\]:(80|443)[^;]*;", "", text)
        if self.certificate_dir is not None:
            text = text.replace(f"/etc/letsencrypt/live/{SITE_HOST}/", f"{self.certificate_dir}/")
        text = text.replace(f"{SERVED_STATIC_DIR}/", f"{self.static_dir}/")
        text = text.replace("/var/log/nginx/", f"{self.workdir / 'nginx' / 'logs'}/")
        return text.replace("/var/lib/osnova/media/", f"{self.media_dir}/")

    def start(self, nginx_binary: str) -> Nginx:
        prefix = self.workdir / "nginx"
        (prefix / "logs").mkdir(parents=True, exist_ok=True)
        # The shipped server block includes snippets/… relative to nginx's configuration folder.
        shutil.copytree(DEPLOY / "nginx" / "snippets", prefix / "snippets", dirs_exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        main_conf = (
            f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\n"
            f"error_log {prefix}/logs/error.log warn;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n  include /etc/nginx/mime.types;\n"
            f"  access_log {prefix}/logs/access.log;\n"
            f"  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n"
            f"{self.rendered_server_block()}\n}}\n"
        )
        (prefix / "nginx.conf").write_text(main_conf)
        command = [nginx_binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        self.process = subprocess.Popen([*command, "-g", "daemon off;"])
        deadline = time.monotonic() + 30
        while True:  # any answer will do (the TLS site's port 80 only redirects)
            try:
                fetch(f"{self.url}/healthz", host=SITE_HOST, timeout=2)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            self.process.wait(timeout=20)


APACHE_MODULES = (
    "mpm_event",
    "authz_core",
    "authz_host",
    "mime",
    "alias",
    "headers",
    "proxy",
    "proxy_http",
    "proxy_balancer",
    "slotmem_shm",
    "lbmethod_byrequests",
    "filter",
    "deflate",
    "unique_id",
    "rewrite",
    "setenvif",
)


# Debian's /etc/apache2/apache2.conf names this format, which the shipped site uses.
DEBIAN_COMBINED_LOG = (
    'LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined'
)


@dataclass
class Apache:
    """Apache httpd with the shipped virtual hosts, adapted only in paths and ports.

    Apache will not run its workers as root: they run as ``www-data``, so the static and
    media folders must be readable by that user (not under pytest's private tmp folders).
    """

    workdir: Path
    app_port: int
    media_dir: Path
    static_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rendered_site(self) -> str:
        text = (DEPLOY / "apache" / "osnova.conf").read_text()
        text = re.sub(r"http://127\.0\.0\.1:800[01]", f"http://127.0.0.1:{self.app_port}", text)
        text = text.replace("<VirtualHost *:80>", f"<VirtualHost *:{self.port}>")
        text = text.replace(SERVED_STATIC_DIR, str(self.static_dir))
        return text.replace("/var/lib/osnova/media", str(self.media_dir))

    def start(self, apache_binary: str) -> Apache:
        prefix = self.workdir / "apache"
        (prefix / "logs").mkdir(parents=True, exist_ok=True)
        (prefix / "run").mkdir(exist_ok=True)
        modules = "".join(
            f"LoadModule {name}_module /usr/lib/apache2/modules/mod_{name}.so\n"
            for name in APACHE_MODULES
        )
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        (prefix / "site.conf").write_text(self.rendered_site())
        (prefix / "apache2.conf").write_text(
            f"Define APACHE_LOG_DIR {prefix}/logs\n{modules}{user}"
            f"ServerName 127.0.0.1\nListen 127.0.0.1:{self.port}\n"
            f"PidFile {prefix}/apache2.pid\nDefaultRuntimeDir {prefix}/run\n"
            f"ErrorLog {prefix}/logs/error.log\nTypesConfig /etc/mime.types\n"
            f"{DEBIAN_COMBINED_LOG}\n"
            f"Include {prefix}/site.conf\n"
        )
        command = [apache_binary, "-d", str(prefix), "-f", str(prefix / "apache2.conf")]
        self.process = subprocess.Popen([*command, "-DFOREGROUND"])
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(f"{self.url}/healthz", host=SITE_HOST, timeout=2)
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGWINCH)  # graceful stop
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                self.process.wait(timeout=20)
