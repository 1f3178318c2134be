"""Domain errors raised by services; each door (web, API, CLI) maps them to its own answer."""

from __future__ import annotations

from dataclasses import dataclass

from osnova.i18n import N_


class DomainError(Exception):
    """Base of every error a service raises on purpose.

    ``message`` is English with ``%(name)s`` placeholders filled from ``params``; doors that
    speak other languages translate ``message`` first, then fill it.
    """

    def __init__(self, message: str, params: dict[str, object] | None = None) -> None:
        self.message = message
        self.params = params or {}
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return self.message % self.params if self.params else self.message


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know it exists."""


class PermissionDenied(DomainError):
    """The caller is known but not allowed to do this."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class Conflict(DomainError):
    """The change collides with stored data (a taken username, say): well-formed input that
    the stored data refuses. ``errors`` names the fields that clash, when there are any."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class InvalidInput(DomainError):
    """The input breaks a rule whatever is stored; ``errors`` names each field and why."""

    def __init__(self, errors: list[FieldError], message: str = "invalid input") -> None:
        super().__init__(message)
        self.errors = errors


class TooLarge(DomainError):
    """The input is over a configured size limit."""


class DeadlineExceeded(DomainError):
    """The request's time ran out before its work was done (``osnova.deadline``)."""

    def __init__(self) -> None:
        super().__init__(N_("The server took too long to answer. Please try again in a moment."))
