"""Domain errors of the annotation store, each with its HTTP status (the service base
renders every one as ``{"error": <class name>, "message", "field"}``)."""

from __future__ import annotations

from http import HTTPStatus

from ..base.errors import ServiceError, TooLarge

__all__ = [
    "AnnotationError",
    "Conflict",
    "Forbidden",
    "NotAcceptable",
    "NotFound",
    "PreconditionFailed",
    "PreconditionRequired",
    "TooLarge",
    "TooManyRequests",
    "UnsupportedMediaType",
    "ValidationError",
]


class AnnotationError(ServiceError):
    """Base of every error the core raises on purpose; ``field`` names what was wrong."""


class ValidationError(AnnotationError):
    """The request is not a valid annotation (or collection, or parameter)."""

    status = HTTPStatus.BAD_REQUEST


class NotFound(AnnotationError):
    """No such container or annotation, or not one the requester may see."""

    status = HTTPStatus.NOT_FOUND


class NotAcceptable(AnnotationError):
    """The request's Accept header takes none of the representations served."""

    status = HTTPStatus.NOT_ACCEPTABLE


class Forbidden(AnnotationError):
    """The requester may see the resource but not do this to it."""

    status = HTTPStatus.FORBIDDEN


class PreconditionFailed(AnnotationError):
    """If-Match names a revision that is no longer the current one."""

    status = HTTPStatus.PRECONDITION_FAILED


class PreconditionRequired(AnnotationError):
    """A change was asked for without If-Match."""

    status = HTTPStatus.PRECONDITION_REQUIRED


class Conflict(AnnotationError):
    """The resource already exists."""

    status = HTTPStatus.CONFLICT


class TooManyRequests(AnnotationError):
    """The requester is over a rate limit; ``retry_after`` is the seconds until it lifts."""

    status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, message: str, field: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message, field)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class UnsupportedMediaType(AnnotationError):
    """The request body is not JSON."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
