"""Every error the workshops service (and the hub's join page) raises on purpose: the
base's `ServiceError`, answered with its status and ``{"error", "message", "field"}``."""

from __future__ import annotations

from http import HTTPStatus

from ..base.errors import ServiceError


class WorkshopError(ServiceError):
    """A request the workshops service refuses."""


class InvalidEvent(WorkshopError):
    status = HTTPStatus.BAD_REQUEST


class NotAllowed(WorkshopError):
    status = HTTPStatus.FORBIDDEN


class NotFound(WorkshopError):
    status = HTTPStatus.NOT_FOUND


class JoinRefused(WorkshopError):
    """A wrong, revoked or out-of-hours code, or a full event: the message says which
    (a wrong code says only that it is wrong)."""

    status = HTTPStatus.FORBIDDEN


class WrongCode(JoinRefused):
    """The code typed is not the event's: a guess, counted against the address."""


class EventFull(JoinRefused):
    status = HTTPStatus.CONFLICT


class InvalidRequest(WorkshopError):
    """A body or parameter of the trainer's or attendee's live routes that is wrong."""

    status = HTTPStatus.BAD_REQUEST
