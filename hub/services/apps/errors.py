"""Every error the apps service raises on purpose, in one place.

`AppError` and its kinds are requests the service refuses; the handlers turn them into
a 4xx/5xx JSON answer. `AppFailed` is the runner's: an app's Voila (or the author's apps
account) could not be made; the service decides what the viewer is told.
"""

from __future__ import annotations


class AppError(Exception):
    """A request the apps service refuses; `status` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(AppError):
    status = 400


class NotAllowed(AppError):
    status = 403


class NotFound(AppError):
    status = 404


class AccountUnavailable(AppError):
    """The author's apps account cannot be made, so nothing can be published."""

    status = 409


class AppUnavailable(AppError):
    """The app exists but cannot be served just now (failed its trial run, or its Voila)."""

    status = 503


class AppFailed(Exception):
    """The app's Voila did not start; `detail` is for the author's eyes only."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
