"""Thin tornado handlers over `service.Annotations` and one route table, on the service
base (hub/services/base/: hub auth, body limits, errors as JSON, OpenAPI).

Every request is authenticated by the hub: a browser through the hub OAuth cookie, a
notebook or agent with ``Authorization: token <hub API token>``. A request authenticated
by the cookie alone must carry JupyterHub's XSRF token (``X-XSRFToken`` header or
``_xsrf`` argument, the value of the service's ``_xsrf`` cookie) unless it is a plain page
view (a top-level navigation GET); without it the cookie is ignored and the answer is a 403.

Other origins (a IIIF viewer such as Mirador on its own site) read what anonymous visitors
may read, the public annotations, or what the hub token their page sends may read:
every answer has ``Access-Control-Allow-Origin: *`` and never
``Access-Control-Allow-Credentials``, so a browser sends no cookie along and shows another
origin nothing a cookie unlocked. A change from another origin needs the token: one that
comes with a cookie alone is refused (403), whatever XSRF token it carries.

A GET answers JSON-LD, or Turtle or N-Triples of the same JSON-LD when ``Accept`` prefers
them (`rdf`); 406 when ``Accept`` takes none of them.

Reads run on the event loop (SQLite in WAL mode and PostgreSQL never make a reader wait
for a writer). Every write runs in one writer thread, so the loop never waits for the
database's write lock; an import is parsed and validated in a thread of its own first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode, urlsplit

from tornado import web

from ..base.auth import ServiceHandler
from ..base.routes import Route
from . import jsontext, rdf, respond
from .errors import Forbidden, NotAcceptable, UnsupportedMediaType, ValidationError
from .model import MEDIA_TYPE
from .openapi import openapi
from .permissions import person
from .service import DEFAULT_CONTAINER, Annotations, ImportQuota
from .store import Query

SEARCH_PARAMS = ("target", "creator", "motivation", "tag", "visibility", "q")
LDP = rdf.LDP
CONTAINER_LINKS = (
    f'<{LDP}BasicContainer>; rel="type", '
    f'<http://www.w3.org/TR/annotation-protocol/>; rel="{LDP}constrainedBy"'
)
PREFER_INCLUDE = re.compile(r'include="([^"]*)"')
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: What scripts of other origins may read of an answer, besides the CORS-safelisted headers.
EXPOSED_HEADERS = "ETag, Link, Location, Content-Location, Allow, Accept-Post, Vary"
#: What they may send (Authorization: their hub token; the rest: the protocol's).
ALLOWED_HEADERS = "Authorization, Content-Type, Accept, If-Match, If-None-Match, Prefer"
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE")


class BaseHandler(ServiceHandler):
    """The service base's handler (hub auth, body limit, errors as JSON), with the
    annotation core, JSON-LD in and out, and CORS."""

    #: Anonymous visitors may read here (GET, HEAD, OPTIONS): what is public.
    public_reads = False

    @property
    def require_user(self) -> bool:
        return not (self.public_reads and self.request.method in SAFE_METHODS)

    def set_default_headers(self) -> None:
        super().set_default_headers()
        # Any origin may read, never with credentials: see the module's docstring.
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Access-Control-Expose-Headers", EXPOSED_HEADERS)

    async def prepare(self) -> None:
        if self.request.method == "OPTIONS" and self.request.headers.get(
            "Access-Control-Request-Method"
        ):
            # A browser's preflight carries no credentials: answered for the route,
            # whoever will send the request and whatever it finds.
            self.set_header("Access-Control-Allow-Methods", ", ".join(self.methods()))
            self.set_header("Access-Control-Allow-Headers", ALLOWED_HEADERS)
            self.set_header("Access-Control-Max-Age", "600")
            self.set_status(204)
            self.finish()
            return
        await super().prepare()
        self.refuse_cookie_from_elsewhere()

    def methods(self) -> list[str]:
        """The methods this handler answers."""
        own = type(self)
        return [
            m
            for m in METHODS
            if getattr(own, m.lower()) is not getattr(web.RequestHandler, m.lower())
        ]

    def refuse_cookie_from_elsewhere(self) -> None:
        """A change from another origin comes with a hub token, never by a cookie alone.

        JupyterHub already ignores a cookie without its XSRF token, and a browser sends
        no cookie to us across origins after our preflight (no Allow-Credentials); this
        refuses whatever is left, such as a cookie and an XSRF token leaked elsewhere."""
        origin = self.request.headers.get("Origin")
        if self.request.method in SAFE_METHODS or not origin or self.current_user is None:
            return
        own = urlsplit(self.annotations.base_url)
        if origin.lower() == f"{own.scheme}://{own.netloc}".lower():
            return
        if not self.hub_auth.get_token(self, in_cookie=False):
            raise Forbidden(
                f"a change from {origin} needs a hub API token (Authorization header), "
                "never a cookie",
                "Origin",
            )

    def allow(self, *headers: tuple[str, str]) -> None:
        """Answer OPTIONS: 200, the methods in Allow (and ``headers``), and them as JSON."""
        methods = self.methods()
        self.set_header("Allow", ", ".join(methods))
        for name, value in headers:
            self.set_header(name, value)
        reply = {"allow": methods, **{name.lower(): value for name, value in headers}}
        self.write_json(reply, media_type="application/json")

    def representation(self) -> str:
        """The media type ``Accept`` asks for (`rdf.choose`); 406 when none is served."""
        chosen = rdf.choose(self.request.headers.get("Accept"))
        if chosen is None:
            raise NotAcceptable(f"served as {', '.join(rdf.OFFERED)}", "Accept")
        return chosen

    async def write_document(
        self, document: dict, media_type: str, etag: str | None = None, vary: str = "Accept"
    ) -> None:
        """Write a JSON-LD ``document`` as ``media_type``, with Content-Location (its id),
        Vary and, if given, ``etag``: that of the JSON-LD, made weak for Turtle and
        N-Triples (the same triples each time, not the same bytes: blank node labels)."""
        self.set_header("Content-Location", document["id"])
        self.set_header("Vary", vary)
        if etag is not None:
            if media_type != MEDIA_TYPE:
                etag = f'W/{etag[:-1]}.{rdf.SYNTAXES[media_type]}"'
            self.set_header("ETag", etag)
            # Tornado answers If-None-Match only for the ETags it computes itself.
            if self.check_etag_header():
                self.set_status(304)
                self.finish()
                return
        text = jsontext.dumps(document)
        if media_type != MEDIA_TYPE:
            # A large page or export takes a while: beside the event loop.
            text = await asyncio.to_thread(rdf.serialize, text, media_type)
        self.set_header("Content-Type", rdf.CONTENT_TYPES.get(media_type, media_type))
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(text)

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
        """Run ``operation(*args)`` in the writer thread (writes queue there, not the loop);
        then wake the change feed's waiting readers."""
        try:
            return await asyncio.wrap_future(self.writer.submit(operation, *args))
        finally:
            self.settings["changed"].fire()

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
    public_reads = True

    def _container_headers(self) -> None:
        self.set_header("Link", CONTAINER_LINKS)
        self.set_header("Allow", ", ".join(self.methods()))
        self.set_header("Accept-Post", MEDIA_TYPE)

    def options(self, container: str) -> None:
        self.annotations.container(container)
        self.set_header("Link", CONTAINER_LINKS)
        self.allow(("Accept-Post", MEDIA_TYPE))

    async def head(self, container: str) -> None:
        await self.get(container)

    async def get(self, container: str) -> None:
        media_type = self.representation()
        self.annotations.container(container)
        query = self.query()
        query.container = container
        iri = self.annotations.container_iri(container)
        self._container_headers()
        number = self.page_number()
        if number is None:
            prefer = _prefer(self.request.headers.get("Prefer", ""))
            document = self.annotations.collection(self.viewer, query, iri, prefer)
        else:
            iris = self.get_query_argument("iris", "0") == "1"
            document = self.annotations.page(self.viewer, query, iri, number, iris)
        await self.write_document(document, media_type, vary="Accept, Prefer")

    async def post(self, container: str) -> None:
        record = await self.in_writer(
            self.annotations.create, self.viewer, container, self.json_body()
        )
        self.set_header("Location", self.annotations.iri(record))
        self.set_header("ETag", self.annotations.etag(record))
        self.write_json(self.annotations.render(record), 201)


class AnnotationHandler(BaseHandler):
    public_reads = True

    def _resource_headers(self, record=None) -> None:
        """LDP's Link and Allow; with ``record``, its JSON-LD ETag and Vary (a GET leaves
        those to write_document, which makes the ETag of the syntax it writes)."""
        self.set_header("Link", f'<{LDP}Resource>; rel="type"')
        self.set_header("Allow", ", ".join(self.methods()))
        if record is not None:
            self.set_header("ETag", self.annotations.etag(record))
            self.set_header("Vary", "Accept")

    def options(self, container: str, annotation: str) -> None:
        self._resource_headers(self.annotations.read(self.viewer, container, annotation))
        self.allow()

    async def head(self, container: str, annotation: str) -> None:
        await self.get(container, annotation)

    async def get(self, container: str, annotation: str) -> None:
        media_type = self.representation()
        record = self.annotations.read(self.viewer, container, annotation)
        self._resource_headers()
        await self.write_document(
            self.annotations.render(record), media_type, self.annotations.etag(record)
        )

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
    # Anonymous visitors read the revisions of a public annotation that were public
    # (what the twins service's dated snapshots read).
    public_reads = True

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
    public_reads = True

    async def get(self, container: str) -> None:
        media_type = self.representation()
        self.annotations.container(container)
        query = self.query()
        query.container = container
        iri = self.annotations.container_iri(container)
        await self.write_document(self.annotations.export(self.viewer, query, iri), media_type)


class SearchHandler(BaseHandler):
    public_reads = True

    def _collection_iri(self, path: str, query: Query) -> str:
        params = {k: getattr(query, k) for k in SEARCH_PARAMS if getattr(query, k) is not None}
        return f"{self.annotations.base_url}{path}?{urlencode(params)}"

    async def get(self) -> None:
        media_type = self.representation()
        query = self.query()
        iri = self._collection_iri("search", query)
        iris = self.get_query_argument("iris", "0") == "1"
        page = self.annotations.page(self.viewer, query, iri, self.page_number() or 0, iris)
        await self.write_document(page, media_type)


class ExportHandler(SearchHandler):
    async def get(self) -> None:
        media_type = self.representation()
        query = self.query()
        iri = self._collection_iri("export", query)
        await self.write_document(self.annotations.export(self.viewer, query, iri), media_type)


class Signal:
    """Wakes every reader of the change feed that waits for a change (a long poll)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)


#: Longest wait of a long poll of the change feed, in seconds.
LONGEST_WAIT = 30
#: Most changes one page of the feed reads.
LONGEST_PAGE = 1000


class ChangesHandler(BaseHandler):
    """The change feed (``changes?since=N&limit=&wait=``): what changed after change N,
    as the requester may read it; with ``wait``, a long poll that answers as soon as
    something changes (or after ``wait`` seconds with nothing)."""

    public_reads = True

    def number(self, name: str, default: int, largest: int) -> int:
        value = self.get_query_argument(name, str(default))
        if not value.isdigit() or int(value) > largest:
            raise ValidationError(f"{name} must be an integer from 0 to {largest}", name)
        return int(value)

    async def get(self) -> None:
        since = self.number("since", 0, 2**62)
        limit = max(1, self.number("limit", LONGEST_PAGE, LONGEST_PAGE))
        wait = self.number("wait", 0, LONGEST_WAIT)
        feed = self.annotations.changes(self.viewer, since, limit)
        if not feed["changes"] and wait:
            await self.settings["changed"].wait(wait)
            feed = self.annotations.changes(self.viewer, since, limit)
        self.write_json(feed, media_type="application/json")


class RespondHandler(BaseHandler):
    """The form behind a page's "Agree", "Contest" and "Reply" links (respond.py): GET
    shows it, for the annotation ``to`` the reader may read; POST (with the XSRF token)
    records the answer in the default container and says where it is."""

    def answered(self, to: str) -> dict:
        """The annotation ``to`` as the reader may read it (404 otherwise: no hint that
        one they may not read exists)."""
        container, uid = respond.answered(to, self.annotations.base_url)
        return self.annotations.render(self.annotations.read(self.viewer, container, uid))

    def offered(self, doc: dict) -> dict[str, str]:
        """The verdicts the reader may give ``doc`` (respond.choices)."""
        return respond.choices(doc, person(self.viewer.name)["id"])

    def visibilities(self) -> dict[str, str]:
        """Who the reader may show their answer to: value -> the form's label."""
        found = {"public": "Everyone: it counts in the commons", "private": "Only me"}
        return found | {f"group:{g}": f"The group {g}" for g in sorted(self.viewer.groups)}

    def form(self, doc: dict, verdict: str, **shown: Any) -> None:
        offered = self.offered(doc)
        back = self.get_argument("back", "")
        self.render(
            "respond.html",
            answered=doc,
            words=respond.words(doc),
            offered=offered,
            verdict=respond.chosen(verdict, offered),
            visibilities=list(self.visibilities().items()),
            back=back if respond.same_site(back, self.annotations.base_url) else "",
            xsrf=self.xsrf_token.decode(),
            **{"text": "", "visibility": "public", "error": "", "made": "", **shown},
        )

    async def get(self) -> None:
        doc = self.answered(self.get_query_argument("to", ""))
        self.form(doc, self.get_query_argument("verdict", ""))

    async def post(self) -> None:
        to = self.get_body_argument("to", "")
        doc = self.answered(to)
        verdict = self.get_body_argument("verdict", "")
        text = self.get_body_argument("text", "")
        visibility = self.get_body_argument("visibility", "public")
        try:
            if visibility not in self.visibilities():
                raise ValidationError(
                    "visibility is public, private or one of your groups", "visibility"
                )
            made = respond.answer(to, verdict, text, visibility, self.offered(doc))
            record = await self.in_writer(
                self.annotations.create, self.viewer, DEFAULT_CONTAINER, made
            )
        except ValidationError as error:
            self.set_status(error.status)
            self.form(doc, verdict, text=text, visibility=visibility, error=error.message)
            return
        self.set_status(201)
        self.set_header("Location", self.annotations.iri(record))
        self.form(doc, verdict, made=self.annotations.iri(record), visibility=visibility)


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
            "options": "The methods the container allows (Allow, Accept-Post)",
        },
        SEARCHABLE,
        replies={"get": "CollectionOrPage", "post": "Annotation"},
        body="Annotation",
        headers={
            "get": ("Allow", "Accept-Post", "Content-Location", "ETag", "Link", "Vary"),
            "head": ("Allow", "Accept-Post", "Content-Location", "ETag", "Link", "Vary"),
            "options": ("Allow", "Accept-Post", "Link"),
            "post": ("Location", "ETag"),
        },
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
        headers={"get": ("Content-Location", "Vary")},
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
        headers={
            "get": ("Allow", "Content-Location", "ETag", "Link", "Vary"),
            "head": ("Allow", "Content-Location", "ETag", "Link", "Vary"),
            "options": ("Allow", "ETag", "Link"),
            "put": ("Allow", "ETag", "Link"),
        },
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
        headers={"get": ("Content-Location", "Vary")},
    ),
    Route(
        "changes",
        ChangesHandler,
        {
            "get": "The change feed: annotations changed after change `since`, as you may "
            "read them (others `gone`); `wait` seconds of long poll"
        },
        ("since", "limit", "wait"),
        replies={"get": "Changes"},
    ),
    Route(
        "respond",
        RespondHandler,
        {
            "get": "The form (HTML) to agree with, contest or reply to the annotation `to`, "
            "for a person in a browser; `verdict` preselects agreed or contested, `back` a "
            "page of this hub to return to",
            "post": "Record the form's answer (form fields to, verdict, text, visibility, "
            "_xsrf) in the default container (201, Location; the form again on a 400)",
        },
        ("to", "verdict", "back"),
    ),
    Route(
        "export",
        ExportHandler,
        {"get": "Export a search as one AnnotationCollection"},
        SEARCH_PARAMS,
        replies={"get": "Export"},
        headers={"get": ("Content-Location", "Vary")},
    ),
]
