"""The base of every error a user can cause: each carries a message and an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """A refused request: ``message`` says what was wrong in words a user understands."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class NotAllowed(DomainError):
    code = "not_allowed"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Gone(DomainError):
    """The thing existed but is no longer served (410), as opposed to never existed (404)."""

    code = "gone"
    status = 410
