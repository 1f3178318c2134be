"""What every ``osnova`` command shares: one line on stderr and a non-zero exit for an error.

A domain or validation error raised by a service becomes ``osnova: error: <reason>``; nothing
prints a traceback for a mistake the user can fix.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click
from pydantic import ValidationError

from osnova.errors import DomainError

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` as the command's one error line and exit with ``code``."""
    click.echo(f"osnova: error: {message}", err=True)
    raise SystemExit(code)


def reports_errors(command: F) -> F:
    """Turn domain and validation errors into one clear stderr line and exit code 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DomainError as exc:
            fail(exc.text)
        except ValidationError as exc:
            details = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            fail(details)

    return wrapper  # type: ignore[return-value]
