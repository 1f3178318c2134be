"""``osnova tokens``: list, create and revoke the API tokens of an account from a terminal."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from osnova.commands.common import reports_errors
from osnova.database import utcnow
from osnova.extensions import db
from osnova.services import accounts, tokens


@click.group("tokens")
def tokens_group() -> None:
    """Manage an account's API tokens."""


@tokens_group.command("list")
@click.argument("username")
@with_appcontext
@reports_errors
def list_tokens(username: str) -> None:
    """Show USERNAME's tokens (never their secrets)."""
    user = accounts.get_by_username(session=db.session(), username=username)
    now = utcnow()
    for token in tokens.list_tokens(session=db.session(), user=user):
        state = "active" if tokens.is_usable(token, now) else "revoked"
        if token.revoked_at is None and token.expires_at is not None and token.expires_at <= now:
            state = "expired"
        used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
        expires = token.expires_at.isoformat(timespec="seconds") if token.expires_at else "never"
        click.echo(f"{token.id}\t{state}\t{token.name}\texpires {expires}\tlast used {used}")


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="A label for the token.")
@click.option("--days", default=tokens.DEFAULT_DAYS, show_default=True, type=click.IntRange(1, 365))
@with_appcontext
@reports_errors
def create_token(username: str, name: str, days: int) -> None:
    """Make a token for USERNAME and print its secret once."""
    user = accounts.get_by_username(session=db.session(), username=username)
    issued = tokens.create_token(session=db.session(), user=user, name=name, days=days)
    db.session.commit()
    click.echo(
        f"created token {issued.token.id} for {user.username}; it is shown only now:", err=True
    )
    click.echo(issued.secret)


@tokens_group.command("revoke")
@click.argument("username")
@click.argument("token_id", type=int)
@with_appcontext
@reports_errors
def revoke_token(username: str, token_id: int) -> None:
    """Revoke token TOKEN_ID of USERNAME."""
    user = accounts.get_by_username(session=db.session(), username=username)
    tokens.revoke(session=db.session(), actor=user, token_id=token_id)
    db.session.commit()
    click.echo(f"revoked token {token_id}")
