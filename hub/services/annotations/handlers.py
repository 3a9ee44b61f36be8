"""Thin tornado handlers over `service.Annotations` and one route table, on the service
base (hub/services/base/: hub auth, body limits, errors as JSON, OpenAPI).

Every request is authenticated by the hub: a browser through the hub OAuth cookie, a
notebook or agent with ``Authorization: token <hub API token>``. A request authenticated
by the cookie alone must carry JupyterHub's XSRF token (``X-XSRFToken`` header or
``_xsrf`` argument, the value of the service's ``_xsrf`` cookie) unless it is a plain page
view (a top-level navigation GET); without it the cookie is ignored and the answer is a 403.

Reads run on the event loop (SQLite in WAL mode and PostgreSQL never make a reader wait
for a writer). Every write runs in one writer thread, so the loop never waits for the
database's write lock; an import is parsed and validated in a thread of its own first.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

from ..base.auth import ServiceHandler
from ..base.routes import Route
from . import jsontext
from .errors import UnsupportedMediaType, ValidationError
from .model import MEDIA_TYPE
from .openapi import openapi
from .service import Annotations, ImportQuota
from .store import Query

SEARCH_PARAMS = ("target", "creator", "motivation", "tag", "visibility", "q")
LDP = "http://www.w3.org/ns/ldp#"
CONTAINER_LINKS = (
    f'<{LDP}BasicContainer>; rel="type", '
    f'<http://www.w3.org/TR/annotation-protocol/>; rel="{LDP}constrainedBy"'
)
PREFER_INCLUDE = re.compile(r'include="([^"]*)"')


class BaseHandler(ServiceHandler):
    """The service base's handler (hub auth, body limit, errors as JSON), with the
    annotation core and JSON-LD in and out."""

    @property
    def annotations(self) -> Annotations:
        return self.settings["annotations"]

    @property
    def import_quota(self) -> ImportQuota:
        return self.settings["import_quota"]

    @property
    def writer(self) -> ThreadPoolExecutor:
        return self.settings["writer"]

    async def in_writer(self, operation: Callable[..., Any], *args: Any) -> Any:
        """Run ``operation(*args)`` in the writer thread (writes queue there, not the loop)."""
        return await asyncio.wrap_future(self.writer.submit(operation, *args))

    def json_body(self) -> Any:
        kind = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind not in ("application/ld+json", "application/json"):
            raise UnsupportedMediaType(
                "send application/ld+json or application/json", "Content-Type"
            )
        try:
            text = self.request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("body is not UTF-8", "$") from None
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as error:
            raise ValidationError(f"body is not valid JSON: {error}", "$") from None

    def write_json(self, value: Any, status: int = 200, media_type: str = MEDIA_TYPE) -> None:
        self.set_status(status)
        self.set_header("Content-Type", media_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(jsontext.dumps(value))

    def query(self) -> Query:
        params = {}
        for name in SEARCH_PARAMS:
            value = self.get_query_argument(name, None)
            if value is not None:
                params[name] = value
        if "visibility" in params and not re.match(
            r"^(private|public|group:[\w.-]+)$", params["visibility"]
        ):
            raise ValidationError("visibility is private, public or group:<name>", "visibility")
        return Query(**params)

    def page_number(self) -> int | None:
        value = self.get_query_argument("page", None)
        if value is None:
            return None
        if not value.isdigit() or int(value) > 10_000_000:
            raise ValidationError("page must be a non-negative integer", "page")
        return int(value)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _prefer(header: str) -> str:
    included = " ".join(PREFER_INCLUDE.findall(header))
    if "PreferMinimalContainer" in included:
        return "minimal"
    if "PreferContainedIRIs" in included:
        return "iris"
    return "descriptions"


class InfoHandler(BaseHandler):
    def get(self) -> None:
        base = self.annotations.base_url
        self.write_json(
            {
                "service": "ECHOES annotations (W3C Web Annotation Protocol)",
                "user": self.viewer.name,
                "containers": f"{base}containers/",
                "search": f"{base}search",
                "export": f"{base}export",
                "openapi": f"{base}openapi.json",
                "max_body_size": self.service_settings.max_body_size,
                "max_import_size": self.service_settings.max_import_size,
                "max_import_items": self.service_settings.max_import_items,
                "imports": self.import_quota.usage(self.viewer.name),
                "page_size": self.annotations.page_size,
            },
            media_type="application/json",
        )


class OpenAPIHandler(BaseHandler):
    def get(self) -> None:
        self.write_json(
            openapi(
                ROUTES,
                self.annotations.base_url,
                self.service_settings.max_body_size,
                self.service_settings.max_import_size,
            ),
            media_type="application/json",
        )


class ContainersHandler(BaseHandler):
    def get(self) -> None:
        rows = self.annotations.store.list_containers()
        self.write_json(
            [self.annotations.render_container_info(r) for r in rows], media_type="application/json"
        )

    async def post(self) -> None:
        info = await self.in_writer(
            self.annotations.create_container, self.viewer, self.json_body()
        )
        self.set_header("Location", info["id"])
        self.write_json(info, 201, media_type="application/json")


class ContainerHandler(BaseHandler):
    def _container_headers(self) -> None:
        self.set_header("Link", CONTAINER_LINKS)
        self.set_header("Allow", "GET, HEAD, OPTIONS, POST")
        self.set_header("Accept-Post", MEDIA_TYPE)

    def options(self, container: str) -> None:
        self.annotations.container(container)
        self._container_headers()
        self.set_status(204)
        self.finish()

    def head(self, container: str) -> None:
        self.get(container)

    def get(self, container: str) -> None:
        self.annotations.container(container)
        query = self.query()
        query.container = container
        iri = self.annotations.container_iri(container)
        self._container_headers()
        self.set_header("Vary", "Accept, Prefer")
        number = self.page_number()
        if number is None:
            prefer = _prefer(self.request.headers.get("Prefer", ""))
            self.write_json(self.annotations.collection(self.viewer, query, iri, prefer))
        else:
            iris = self.get_query_argument("iris", "0") == "1"
            self.write_json(self.annotations.page(self.viewer, query, iri, number, iris))

    async def post(self, container: str) -> None:
        record = await self.in_writer(
            self.annotations.create, self.viewer, container, self.json_body()
        )
        self.set_header("Location", self.annotations.iri(record))
        self.set_header("ETag", self.annotations.etag(record))
        self.write_json(self.annotations.render(record), 201)


class AnnotationHandler(BaseHandler):
    def _resource_headers(self, record) -> None:
        self.set_header("ETag", self.annotations.etag(record))
        self.set_header("Link", f'<{LDP}Resource>; rel="type"')
        self.set_header("Allow", "GET, HEAD, OPTIONS, PUT, DELETE")
        self.set_header("Vary", "Accept")

    def options(self, container: str, annotation: str) -> None:
        self._resource_headers(self.annotations.read(self.viewer, container, annotation))
        self.set_status(204)
        self.finish()

    def head(self, container: str, annotation: str) -> None:
        self.get(container, annotation)

    def get(self, container: str, annotation: str) -> None:
        record = self.annotations.read(self.viewer, container, annotation)
        self._resource_headers(record)
        self.write_json(self.annotations.render(record))

    async def put(self, container: str, annotation: str) -> None:
        body = self.json_body()
        if_match = self.request.headers.get("If-Match")
        record = await self.in_writer(
            self.annotations.replace, self.viewer, container, annotation, body, if_match
        )
        self._resource_headers(record)
        self.write_json(self.annotations.render(record))

    async def delete(self, container: str, annotation: str) -> None:
        await self.in_writer(
            self.annotations.delete,
            self.viewer,
            container,
            annotation,
            self.request.headers.get("If-Match"),
        )
        self.set_status(204)
        self.finish()


class RevisionsHandler(BaseHandler):
    def get(self, container: str, annotation: str) -> None:
        self.write_json(
            self.annotations.revisions(self.viewer, container, annotation),
            media_type="application/json",
        )


class ImportHandler(BaseHandler):
    @property
    def body_limit(self) -> int:
        return self.service_settings.max_import_size

    async def post(self, container: str) -> None:
        creators = self.get_query_argument("creators", "importer")
        if creators not in ("importer", "keep"):
            raise ValidationError("creators is importer (the default) or keep", "creators")
        viewer, annotations = self.viewer, self.annotations

        def prepare() -> list:
            return annotations.prepare_import(
                viewer,
                container,
                self.json_body(),
                creators == "keep",
                self.service_settings.max_import_items,
            )

        def reply(records: list) -> str:
            iris = [annotations.iri(r) for r in records]
            return jsontext.dumps({"imported": len(records), "items": iris})

        # Parsing, validating and writing the reply of a large import take seconds: in
        # threads, so that everyone else's requests go on meanwhile.
        with self.import_quota.admit(viewer.name):
            items = await asyncio.to_thread(prepare)
            records = await self.in_writer(annotations.store.insert, container, items, viewer.name)
        text = await asyncio.to_thread(reply, records)
        self.set_status(201)
        self.set_header("Content-Type", "application/json")
        self.finish(text)


class ContainerExportHandler(BaseHandler):
    def get(self, container: str) -> None:
        self.annotations.container(container)
        query = self.query()
        query.container = container
        iri = self.annotations.container_iri(container)
        self.write_json(self.annotations.export(self.viewer, query, iri))


class SearchHandler(BaseHandler):
    def _collection_iri(self, path: str, query: Query) -> str:
        params = {k: getattr(query, k) for k in SEARCH_PARAMS if getattr(query, k) is not None}
        return f"{self.annotations.base_url}{path}?{urlencode(params)}"

    def get(self) -> None:
        query = self.query()
        iri = self._collection_iri("search", query)
        iris = self.get_query_argument("iris", "0") == "1"
        self.write_json(
            self.annotations.page(self.viewer, query, iri, self.page_number() or 0, iris)
        )


class ExportHandler(SearchHandler):
    def get(self) -> None:
        query = self.query()
        self.write_json(
            self.annotations.export(self.viewer, query, self._collection_iri("export", query))
        )


SEARCHABLE = (*SEARCH_PARAMS, "page", "iris")

ROUTES = [
    Route(
        "", InfoHandler, {"get": "Describe the service and the requester"}, replies={"get": "Info"}
    ),
    Route(
        "openapi.json",
        OpenAPIHandler,
        {"get": "This OpenAPI description"},
        replies={"get": "OpenAPI"},
    ),
    Route(
        "containers/",
        ContainersHandler,
        {
            "get": "List annotation containers",
            "post": "Create a container {name, label}; only its owner and administrators add "
            "to it (the default container is everyone's)",
        },
        replies={"get": "Containers", "post": "Container"},
        body="NewContainer",
    ),
    Route(
        "containers/{container}/",
        ContainerHandler,
        {
            "get": "The container as an AnnotationCollection (Prefer header) "
            "or one AnnotationPage (?page=)",
            "post": "Create an annotation; the server assigns its IRI (201, Location, ETag)",
            "head": "The container's headers (Link, Allow, Accept-Post)",
            "options": "The methods the container allows",
        },
        SEARCHABLE,
        replies={"get": "CollectionOrPage", "post": "Annotation"},
        body="Annotation",
    ),
    Route(
        "containers/{container}/import",
        ImportHandler,
        {
            "post": "Import an AnnotationCollection or AnnotationPage (all or nothing). "
            "The importer becomes the creator; the original id goes to via and a foreign "
            "creator to as:attributedTo. ?creators=keep (administrators) keeps the creators. "
            "One import at a time per user, a limited number an hour (429)."
        },
        ("creators",),
        replies={"post": "ImportResult"},
        body="Collection",
    ),
    Route(
        "containers/{container}/export",
        ContainerExportHandler,
        {"get": "Export the container (optionally filtered) as one AnnotationCollection"},
        SEARCH_PARAMS,
        replies={"get": "Export"},
    ),
    Route(
        "containers/{container}/{annotation}",
        AnnotationHandler,
        {
            "get": "Read an annotation (ETag)",
            "put": "Replace an annotation (If-Match required; 412 on a stale ETag)",
            "delete": "Delete an annotation (its revisions are kept)",
            "head": "The annotation's headers (ETag, Link)",
            "options": "The methods the annotation allows",
        },
        replies={"get": "Annotation", "put": "Annotation"},
        body="Annotation",
    ),
    Route(
        "containers/{container}/{annotation}/revisions",
        RevisionsHandler,
        {
            "get": "The revisions of an annotation you could read when each was current "
            "(all of them for its owner and administrators)"
        },
        replies={"get": "Revisions"},
    ),
    Route(
        "search",
        SearchHandler,
        {"get": "Search annotations; one AnnotationPage"},
        SEARCHABLE,
        replies={"get": "AnnotationPage"},
    ),
    Route(
        "export",
        ExportHandler,
        {"get": "Export a search as one AnnotationCollection"},
        SEARCH_PARAMS,
        replies={"get": "Export"},
    ),
]
