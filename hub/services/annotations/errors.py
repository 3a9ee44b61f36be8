"""Domain errors of the annotation store; the HTTP layer maps each to one status code."""

from __future__ import annotations


class AnnotationError(Exception):
    """Base of every error the core raises on purpose; ``field`` names what was wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_json(self) -> dict:
        reply = {"error": type(self).__name__, "message": self.message}
        if self.field is not None:
            reply["field"] = self.field
        return reply


class ValidationError(AnnotationError):
    """The request is not a valid annotation (or collection, or parameter)."""


class NotFound(AnnotationError):
    """No such container or annotation, or not one the requester may see."""


class Forbidden(AnnotationError):
    """The requester may see the resource but not do this to it."""


class PreconditionFailed(AnnotationError):
    """If-Match names a revision that is no longer the current one."""


class PreconditionRequired(AnnotationError):
    """A change was asked for without If-Match."""


class Conflict(AnnotationError):
    """The resource already exists."""


class TooLarge(AnnotationError):
    """The request body is larger than the configured limit."""


class TooManyRequests(AnnotationError):
    """The requester is over a rate limit; ``retry_after`` is the seconds until it lifts."""

    def __init__(self, message: str, field: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message, field)
        self.retry_after = retry_after


class UnsupportedMediaType(AnnotationError):
    """The request body is not JSON."""
