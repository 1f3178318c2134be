"""``osnova tokens``: create prints the secret once, list never shows it, revoke ends it."""

from __future__ import annotations

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.models import AuditEvent
from tests.support.clients import bearer
from tests.support.factories import UserFactory


def test_create_list_and_revoke_a_token_from_the_terminal(
    runner: FlaskCliRunner, client: FlaskClient, session: Session
) -> None:
    UserFactory(username="olena")
    created = runner.invoke(args=["tokens", "create", "olena", "--name", "backup job"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("osn_")
    assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 200

    listed = runner.invoke(args=["tokens", "list", "olena"])
    assert listed.exit_code == 0
    assert "backup job" in listed.output
    assert "active" in listed.output
    assert secret not in listed.output
    token_id = listed.output.split("\t", 1)[0]

    revoked = runner.invoke(args=["tokens", "revoke", "olena", token_id])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 401
    assert "revoked" in runner.invoke(args=["tokens", "list", "olena"]).output
    actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("token.create") == 1
    assert actions.count("token.revoke") == 1


def test_revoking_someone_elses_token_fails_with_one_line(runner: FlaskCliRunner) -> None:
    UserFactory(username="olena")
    UserFactory(username="taras")
    created = runner.invoke(args=["tokens", "create", "olena"])
    assert created.exit_code == 0
    token_id = runner.invoke(args=["tokens", "list", "olena"]).output.split("\t", 1)[0]
    result = runner.invoke(args=["tokens", "revoke", "taras", token_id])
    assert result.exit_code == 1
    assert "There is no such token." in result.output
    assert runner.invoke(args=["tokens", "create", "nobody"]).exit_code == 1
