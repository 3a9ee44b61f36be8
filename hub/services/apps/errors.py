"""Every error the apps service raises on purpose, in one place.

`AppError` and its kinds are requests the service refuses: the base's `ServiceError`, so
the handlers answer each with its status and the JSON every service answers with
(``{"error", "message", "field"}``, base/errors.py). `AppFailed` is the runner's: an app's
Voila (or the author's apps account) could not be made; the service decides what the
viewer is told.
"""

from __future__ import annotations

from http import HTTPStatus

from ..base.errors import ServiceError


class AppError(ServiceError):
    """A request the apps service refuses."""


class InvalidRequest(AppError):
    status = HTTPStatus.BAD_REQUEST


class NotAllowed(AppError):
    status = HTTPStatus.FORBIDDEN


class NotFound(AppError):
    status = HTTPStatus.NOT_FOUND


class AccountUnavailable(AppError):
    """The author's apps account cannot be made, so nothing can be published."""

    status = HTTPStatus.CONFLICT


class AppUnavailable(AppError):
    """The app exists but cannot be served just now (failed its trial run, or its Voila)."""

    status = HTTPStatus.SERVICE_UNAVAILABLE


class AppFailed(Exception):
    """The app's Voila did not start; `detail` is for the author's eyes only."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
