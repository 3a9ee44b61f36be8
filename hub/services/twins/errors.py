"""The refusals of the twins service, each with its status (`ServiceError`)."""

from __future__ import annotations

from http import HTTPStatus

from ..base.errors import ServiceError


class BadQuery(ServiceError):
    """The query is not SPARQL 1.1 (the parser's message says where), or is missing; or
    another parameter (an IRI, a search's words or limit) is not what it must be."""

    status = HTTPStatus.BAD_REQUEST


class ReadOnly(ServiceError):
    """A SPARQL Update: the graph is read-only (it is rebuilt from the data build)."""

    status = HTTPStatus.METHOD_NOT_ALLOWED

    @property
    def headers(self) -> dict[str, str]:
        return {"Allow": "GET, POST, OPTIONS"}


class NotFound(ServiceError):
    """No such object, collection or path."""

    status = HTTPStatus.NOT_FOUND


class NotAcceptable(ServiceError):
    """The Accept header (or ?format=) takes none of the representations served."""

    status = HTTPStatus.NOT_ACCEPTABLE


class UnsupportedMediaType(ServiceError):
    """A POST body that is neither a form nor a SPARQL query."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class QueryTimeout(ServiceError):
    """The query ran past `TwinsService.query_timeout`; its worker was killed."""

    status = HTTPStatus.SERVICE_UNAVAILABLE


class QueryFailed(ServiceError):
    """The worker running the query died (or the store could not be read)."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR


#: By name, to raise in the service what a worker process reported.
ERRORS = {
    cls.__name__: cls
    for cls in (BadQuery, ReadOnly, NotFound, NotAcceptable, QueryTimeout, QueryFailed)
}


class Loading(ServiceError):
    """The service started and is loading the data build's twins for the first time."""

    status = HTTPStatus.SERVICE_UNAVAILABLE

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}
