"""The ``osnova`` command: accounts, demo data, migrations and the production gate."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.models import Item, Role, User
from osnova.security import verify_password

OSNOVA = str(Path(sys.executable).parent / "osnova")


def osnova_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSNOVA_")}
    env |= {"OSNOVA_INSTANCE_DIR": str(tmp_path / "instance")}
    env |= {"OSNOVA_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"} | values
    return env


def test_create_admin_reads_the_password_from_stdin(
    runner: FlaskCliRunner, session: Session, settings: Settings
) -> None:
    result = runner.invoke(
        args=[
            "create-admin",
            "--username",
            "Boss",
            "--email",
            "boss@example.org",
            "--password-stdin",
        ],
        input="a long admin passphrase\n",
    )
    assert result.exit_code == 0, result.output
    admin = session.scalars(select(User)).one()
    assert (admin.username, admin.role) == ("boss", Role.ADMIN.value)
    assert verify_password(settings, admin.password_hash, "a long admin passphrase")


def test_create_admin_refuses_a_taken_username_in_one_line(
    runner: FlaskCliRunner, session: Session
) -> None:
    args = ["create-admin", "--username", "boss", "--email", "boss@example.org", "--password-stdin"]
    assert runner.invoke(args=args, input="a long admin passphrase\n").exit_code == 0
    args[4] = "boss2@example.org"
    result = runner.invoke(args=[*args[:2], "BOSS", *args[3:]], input="a long admin passphrase\n")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "already taken" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_create_admin_refuses_a_short_password(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(
        args=[
            "create-admin",
            "--username",
            "boss",
            "--email",
            "boss@example.org",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code == 1
    assert "password" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_seed_demo_prints_a_working_random_password_once(
    runner: FlaskCliRunner, session: Session, settings: Settings
) -> None:
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    password = first.output.split("(shown once): ")[1].strip()
    admin = session.scalars(select(User).where(User.username == "admin")).one()
    assert verify_password(settings, admin.password_hash, password)
    counts = (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(Item)),
    )
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert password not in second.output
    session.expire_all()
    assert counts == (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(Item)),
    )
    assert session.scalar(select(func.count()).select_from(Item).where(Item.is_public.is_(False)))


def test_production_without_a_secret_key_exits_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [OSNOVA, "serve"],
        env=osnova_env(tmp_path, OSNOVA_ENV="production"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "osnova: error: refusing to start in production: OSNOVA_SECRET_KEY is not set"
    ]


HARDENED = {
    "OSNOVA_ENV": "production",
    "OSNOVA_SECRET_KEY": "k" * 16 + "a-real-random-looking-secret-9f8e7d6c",
    "OSNOVA_ALLOWED_HOSTS": "catalogue.example.org",
    "OSNOVA_BASE_URL": "https://catalogue.example.org",
}


@pytest.mark.parametrize(
    ("args", "change", "named"),
    [
        ([], {"OSNOVA_SECRET_KEY": " " * 40}, "OSNOVA_SECRET_KEY"),
        ([], {"OSNOVA_SECRET_KEY": "a" * 36}, "OSNOVA_SECRET_KEY"),
        (["--debug"], {}, "debug mode is on"),
        ([], {"FLASK_DEBUG": "1"}, "debug mode is on"),
        ([], {"OSNOVA_ALLOWED_HOSTS": ""}, "OSNOVA_ALLOWED_HOSTS"),
        ([], {"OSNOVA_BASE_URL": ""}, "OSNOVA_BASE_URL"),
    ],
    ids=["spaces", "one-letter", "--debug", "FLASK_DEBUG", "no-hosts", "no-base-url"],
)
@pytest.mark.parametrize("command", [["serve"], ["check", "--deploy"], ["run"]])
def test_production_refuses_each_gap_in_one_line(
    tmp_path: Path, args: list[str], change: dict[str, str], named: str, command: list[str]
) -> None:
    result = subprocess.run(
        [OSNOVA, *args, *command],
        env=osnova_env(tmp_path, **(HARDENED | change)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("osnova: error: refusing to start in production: ")
    assert named in lines[0]


def test_db_upgrade_works_from_any_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = osnova_env(tmp_path)
    subprocess.run([OSNOVA, "db", "upgrade"], env=env, cwd=elsewhere, check=True, timeout=60)
    seeded = subprocess.run(
        [OSNOVA, "seed-demo"], env=env, cwd=elsewhere, check=True, timeout=60, capture_output=True
    )
    assert b"demo data created" in seeded.stdout


def test_the_instance_folder_holds_the_default_database(tmp_path: Path) -> None:
    env = osnova_env(tmp_path)
    env.pop("OSNOVA_DATABASE_URL", None)
    env["OSNOVA_INSTANCE_DIR"] = str(tmp_path / "somewhere" / "else")
    subprocess.run([OSNOVA, "db", "upgrade"], env=env, cwd=tmp_path, check=True, timeout=60)
    assert (tmp_path / "somewhere" / "else" / "osnova.sqlite3").is_file()
    assert not (tmp_path / "somewhere" / "instance").exists()


def test_a_database_that_cannot_be_opened_is_one_line_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "osnova.sqlite3"
    env = osnova_env(tmp_path, OSNOVA_DATABASE_URL=f"sqlite:///{missing}")
    result = subprocess.run(
        [OSNOVA, "db", "upgrade"], check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert errors == [
        f"osnova: error: cannot use the database {missing}: unable to open database file"
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_gunicorn_that_answers_the_home_page(tmp_path: Path) -> None:
    env = osnova_env(tmp_path)
    subprocess.run([OSNOVA, "db", "upgrade"], env=env, check=True, timeout=60)
    subprocess.run([OSNOVA, "seed-demo"], env=env, check=True, timeout=60, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [OSNOVA, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert "Hello, World!" in body
        assert "Linocut print: sunflowers" in body
    finally:
        server.terminate()
        server.wait(timeout=30)
        assert server.stderr is not None
        server.stderr.close()


LOADED_AFTER = """
import sys
from osnova.cli import main
sys.argv = ["osnova", *sys.argv[1:]]
try:
    main()
finally:
    print("loaded:", " ".join(sorted({"alembic", "rich"} & set(sys.modules))), file=sys.stderr)
"""


def loaded_by(tmp_path: Path, *args: str) -> tuple[str, str]:
    """What ``osnova ARGS`` printed, and which of Alembic and rich it imported."""
    result = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER, *args],
        env=osnova_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout, result.stderr.strip().splitlines()[-1]


def test_commands_load_alembic_and_rich_only_when_they_need_them(tmp_path: Path) -> None:
    output, loaded = loaded_by(tmp_path, "db", "upgrade")
    assert loaded == "loaded: alembic"
    output, loaded = loaded_by(tmp_path, "export", "users")
    assert (output.strip(), loaded) == ("username,email,full_name,role,is_active", "loaded:")
    output, loaded = loaded_by(tmp_path, "spec")
    assert '"openapi"' in output
    output, loaded = loaded_by(tmp_path, "db", "current")
    assert "head" in output
