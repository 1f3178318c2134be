"""The container and service files cannot run here; they are checked for consistency."""

from __future__ import annotations

import configparser
import re

import yaml

from osnova.config import GUNICORN_TIMEOUT_SECONDS, Settings
from osnova.http.headers import HSTS_SECONDS
from tests.support.servers import DEPLOY, ROOT

NGINX = DEPLOY / "nginx"
SITE = "catalogue.example.org"


def test_compose_parses_and_wires_app_database_redis_and_nginx() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"app", "worker", "db", "redis", "nginx"}
    app_env = services["app"]["environment"]
    # The consumer runs on the app's settings and sees the folder where imports are spooled.
    assert services["worker"]["command"] == ["osnova", "worker"]
    assert services["worker"]["environment"] == {
        k: v for k, v in app_env.items() if k not in ("OSNOVA_TRUSTED_PROXIES", "OSNOVA_BIND")
    }
    assert "instance:/var/lib/osnova" in services["worker"]["volumes"]
    assert "instance:/var/lib/osnova" in services["app"]["volumes"]
    assert "--appendonly" in services["redis"]["command"]
    assert "@db:5432/" in app_env["OSNOVA_DATABASE_URL"]
    assert app_env["OSNOVA_REDIS_URL"].startswith("redis://redis:6379/")
    assert app_env["OSNOVA_BIND"].endswith(":8000")
    assert "8000" in services["app"]["expose"]
    assert services["nginx"]["ports"] == ["80:80"]
    mounts = dict(volume.split(":")[:2] for volume in services["nginx"]["volumes"])
    nginx_conf = (DEPLOY / next(iter(mounts)).removeprefix("./")).read_text()
    assert "server app:8000 resolve;" in nginx_conf
    assert "listen 80" in nginx_conf
    for included in re.findall(r"^\s*include (\S+);", nginx_conf, re.MULTILINE):
        source = "./nginx/" + included
        assert mounts.get(source) == f"/etc/nginx/{included}"
        assert (DEPLOY / source).is_file()


def test_the_dockerfile_runs_as_a_non_root_user_with_a_healthcheck() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) == 2  # multi-stage
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users
    assert users[-1] not in ("root", "0")
    assert "HEALTHCHECK" in dockerfile
    assert "/healthz" in dockerfile
    assert "EXPOSE 8000" in dockerfile


def test_the_systemd_unit_reloads_with_hup_and_is_hardened() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "systemd" / "osnova.service").read_text())
    service = unit["Service"]
    assert service["ExecReload"] == "/bin/kill -s HUP $MAINPID"
    assert "gunicorn.conf.py" in service["ExecStart"]
    assert service["User"] != "root"
    for option in ("NoNewPrivileges", "ProtectSystem", "PrivateTmp", "ProtectHome"):
        assert option in service


def test_the_worker_unit_runs_the_consumer_and_stops_it_gracefully() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "systemd" / "osnova-worker.service").read_text())
    web = configparser.ConfigParser(strict=False, interpolation=None)
    web.optionxform = str  # type: ignore[assignment,method-assign]
    web.read_string((DEPLOY / "systemd" / "osnova.service").read_text())
    service = unit["Service"]
    assert service["ExecStart"].endswith("osnova worker")
    assert service["KillSignal"] == "SIGINT"
    assert service["EnvironmentFile"] == web["Service"]["EnvironmentFile"]
    assert service["ReadWritePaths"] == web["Service"]["ReadWritePaths"]
    assert service["User"] != "root"


def test_nginx_and_gunicorn_agree_on_ports_and_body_size() -> None:
    nginx = (NGINX / "osnova.conf").read_text()
    upstreams = re.findall(r"server 127\.0\.0\.1:(\d+)", nginx)
    assert upstreams == ["8000", "8001"]
    assert "client_max_body_size 16m;" in nginx
    assert re.search(r"location = /metrics \{\s*deny all;", nginx)
    assert "return 444;" in nginx


def test_the_deadline_ends_before_gunicorns_timeout_which_ends_before_nginxs() -> None:
    gunicorn = (ROOT / "src" / "osnova" / "gunicorn_conf.py").read_text()
    worker_timeout = re.search(r"^timeout = (\d+)$", gunicorn, re.MULTILINE)
    assert worker_timeout is not None
    assert int(worker_timeout.group(1)) == GUNICORN_TIMEOUT_SECONDS
    deadline = Settings(_env_file=None).request_deadline_seconds
    assert deadline < GUNICORN_TIMEOUT_SECONDS
    for name in ("osnova.conf", "compose.conf"):
        nginx = (NGINX / name).read_text()
        read_timeout = re.search(r"proxy_read_timeout (\d+)s;", nginx)
        assert read_timeout is not None
        assert int(worker_timeout.group(1)) < int(read_timeout.group(1))
        # The app's 503 past its deadline reaches the client: a 503 is passed to the other
        # server only in a window that ends before the deadline (the quick "database out of
        # reach" kind), and a non-idempotent request (a POST) never is.
        retries = re.search(r"proxy_next_upstream ([^;]*);", nginx)
        assert retries is not None
        assert "non_idempotent" not in retries.group(1)
        window = re.search(r"proxy_next_upstream_timeout (\d+)s;", nginx)
        assert window is not None
        assert int(window.group(1)) < deadline


def test_nginx_sends_the_apps_strict_transport_security() -> None:
    nginx = (NGINX / "osnova.conf").read_text()
    assert f'"" "max-age={HSTS_SECONDS}; includeSubDomains";' in nginx


def test_no_nginx_location_adds_headers_of_its_own() -> None:
    """A location with an add_header would drop every security header of the server level."""
    for name in ("osnova.conf", "compose.conf"):
        nginx = (NGINX / name).read_text()
        locations = re.findall(
            r"^    location [^{]*\{(.*?)^    \}", nginx, re.MULTILINE | re.DOTALL
        )
        assert locations
        assert not [body for body in locations if "add_header" in body]


def test_compose_nginx_follows_the_same_rules_as_the_shipped_one() -> None:
    shipped = (NGINX / "osnova.conf").read_text()
    compose = (NGINX / "compose.conf").read_text()
    # Maps (request id, security headers, rate-limit key) and the rate-limit zones.
    http_level = shipped[shipped.index("map $http_x_request_id") : shipped.index("upstream ")]
    assert http_level in compose
    # The site's server block, but for the static files the app answers itself in compose.
    site = shipped[shipped.index("    client_max_body_size") :]
    site = re.sub(
        r"    # The folder osnova collect-static.*?location = /favicon\.ico \{.*?\n    \}\n\n",
        "",
        site,
        flags=re.DOTALL,
    )
    assert site in compose


def test_the_tls_site_is_the_shipped_one_on_https() -> None:
    """osnova-tls.conf differs from osnova.conf only in how it listens and its certificate."""
    shipped = (NGINX / "osnova.conf").read_text()
    tls = (NGINX / "osnova-tls.conf").read_text()
    http_level = shipped[shipped.index("map $http_x_request_id") : shipped.index("# Requests for")]
    assert http_level in tls
    site = shipped[shipped.index("    access_log ") :]
    assert tls.endswith(site)
    https_server = tls[tls.rindex("server {") :]
    assert "listen 443 ssl" in https_server
    assert f"/etc/letsencrypt/live/{SITE}/fullchain.pem;" in https_server
    assert "return 301 https://$host$request_uri;" in tls
