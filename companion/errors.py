"""Domain errors carry their HTTP status; one handler maps them to responses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
        keep_changes: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}
        # A refusal that is itself a fact worth keeping (a failed sign-in counted towards a
        # lockout) asks the unit of work to commit before the error answers.
        self.keep_changes = keep_changes
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status_code": self.status_code, "detail": self.message}
        if self.field:
            body["extra"] = [{"key": self.field, "message": self.message}]
        if self.extra:
            body.setdefault("extra", []).append(self.extra)
        return body


class InvalidInput(DomainError):
    status_code = 400


class NotAuthenticated(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Locked(DomainError):
    status_code = 423


class TooManyRequests(DomainError):
    """A refusal that says when to come back: ``retry_after`` seconds (at least 1), sent as the
    Retry-After header and in the body."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs: Any) -> None:
        headers = dict(kwargs.pop("headers", None) or {})
        extra = kwargs.pop("extra", None)
        if retry_after is not None:
            retry_after = max(1, int(retry_after))
            headers["Retry-After"] = str(retry_after)
            extra = {**(extra or {}), "retry_after": retry_after}
        super().__init__(message, extra=extra, headers=headers, **kwargs)
        self.retry_after = retry_after
