"""The terminal door: ``osnova`` commands, each parsing options and calling one service.

``COMMANDS`` is what the app factory registers; ``osnova db`` (Flask-Migrate) is bound only
when it is asked for, by ``osnova.cli``.
"""

from __future__ import annotations

import click

from osnova.commands import accounts, server, static, tokens, transfer, worker

COMMANDS: tuple[click.Command, ...] = (
    server.serve,
    server.check,
    accounts.create_admin,
    accounts.seed_demo,
    tokens.tokens_group,
    *transfer.ALL,
    worker.worker,
    static.collect_static,
)
