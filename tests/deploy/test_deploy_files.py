"""The container and service files cannot run here; they are checked for consistency."""

from __future__ import annotations

import configparser
import re

import yaml

from tests.support.servers import DEPLOY


def test_compose_parses_and_wires_app_database_redis_and_nginx() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"app", "db", "redis", "nginx"}
    app_env = services["app"]["environment"]
    assert "@db:5432/" in app_env["OSNOVA_DATABASE_URL"]
    assert app_env["OSNOVA_REDIS_URL"].startswith("redis://redis:6379/")
    assert app_env["OSNOVA_BIND"].endswith(":8000")
    assert "8000" in services["app"]["expose"]
    assert services["nginx"]["ports"] == ["80:80"]
    mounted = services["nginx"]["volumes"][0].split(":")[0]
    nginx_conf = (DEPLOY / mounted.removeprefix("./")).read_text()
    assert "server app:8000;" in nginx_conf
    assert "listen 80" in nginx_conf


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


def test_nginx_and_gunicorn_agree_on_ports_and_body_size() -> None:
    nginx = (DEPLOY / "nginx" / "osnova.conf").read_text()
    upstreams = re.findall(r"server 127\.0\.0\.1:(\d+)", nginx)
    assert upstreams == ["8000", "8001"]
    assert "client_max_body_size 16m;" in nginx
    assert re.search(r"location = /metrics \{\s*deny all;", nginx)
    assert "return 444;" in nginx
