"""The one exception a service's core raises on purpose, and its JSON form.

No web framework here: a service's core (store, rules) raises these, and the handlers
(`auth.ServiceHandler`) turn each into its status and the JSON body every service answers
with, ``{"error": <name>, "message": <what was wrong>, "field": <where>}``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar


class ServiceError(Exception):
    """A refusal: ``status`` (a class attribute of each kind of error), a message for the
    client and optionally the ``field`` (a JSON path, parameter or header) that was wrong."""

    status: ClassVar[int] = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def headers(self) -> dict[str, str]:
        """Headers the reply carries (e.g. Retry-After)."""
        return {}

    def as_json(self) -> dict[str, Any]:
        return error_json(type(self).__name__, self.message, self.field)


class TooLarge(ServiceError):
    """The request body is larger than the configured limit."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def error_json(error: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The body of every error reply of every service (the OpenAPI `Error` schema)."""
    reply: dict[str, Any] = {"error": error, "message": message}
    if field is not None:
        reply["field"] = field
    return reply
