"""Thin tornado handlers of the twins service, and its route table (`ROUTES`).

No handler here asks who calls: every read is anonymous (the shared data are open data),
and every answer may be read by any origin (``Access-Control-Allow-Origin: *``, never with
credentials). Queries and objects' RDF run in the worker processes (`store.Twins`). The
administrators' harvest routes (harvesting.py) are the exception, and say who calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox

from ..base.languages import Translated
from ..base.negotiation import choose
from ..base.open import OpenReads
from ..base.openapi import openapi
from ..base.routes import Route
from . import TwinsService, dataset, history, manifests, oai, object_page, provider
from .contribute.drafts import CHOICES
from .contributing import (
    ContributePage,
    ContributingHandler,
    DeleteDraftHandler,
    DraftHandler,
    DraftsHandler,
    ImagesHandler,
    PublishHandler,
    ReopenHandler,
)
from .errors import BadQuery, NotAcceptable, NotFound, ReadOnly, UnsupportedMediaType
from .harvesting import HarvestingHandler, HarvestNowHandler, SourcesHandler, SourcesPage
from .interpretations import CURRENT, POLICY, POLICY_TEXT
from .pages import render
from .query import ALIASES, GRAPHS, RESULTS, Request
from .related import Pages, Related
from .search import MAX_LIMIT, Query, Search
from .store import OBJECT, Twins

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
HTML = "text/html"
JSON_LD = "application/ld+json"
LINKED_ART = f'{JSON_LD};profile="https://linked.art/ns/v1/linked-art.json"'
#: An object's representations, the default (a browser's, or no Accept) first.
OBJECT_TYPES = (HTML, JSON_LD, "text/turtle", "application/n-triples")
#: The commons' description (dataset.py), Turtle by default.
DATASET_TYPES = ("text/turtle", JSON_LD, "application/n-triples")
#: ``?format=`` of an object page (for links, where no Accept header can be set).
FORMATS = {
    "html": HTML,
    "json-ld": JSON_LD,
    "turtle": "text/turtle",
    "n-triples": "application/n-triples",
}


@dataclass(frozen=True)
class Served:
    """What the handlers serve from (the tornado setting ``twins``)."""

    twins: Twins
    public_url: str
    iiif_url: str
    #: The annotation service's own address (where dated snapshots read revisions).
    annotations_url: str = ""
    #: Its public address (what the objects' IIIF manifests link to).
    annotations_public_url: str = ""
    #: The service's settings (related_shown, page_frame_ancestors, the oai_ ones).
    options: TwinsService = field(default_factory=TwinsService)
    #: The related objects of the load last served, made once per load.
    pages: Pages = field(default_factory=Pages)
    #: The search index of the current snapshot (search.py).
    search: Search = field(default_factory=Search)
    #: The OAI-PMH provider's records of the current snapshot (provider.py).
    harvested: provider.Provider = field(default_factory=provider.Provider)

    def related(self) -> Related:
        """The related objects and image canvases of the load served now."""
        snapshot = self.twins.current
        return self.pages.related(snapshot.records, snapshot.index, self.twins.data_dir)

    def page_url(self, collection: str, local_id: str) -> str:
        """The object's page (``objects/<collection>/<id>``), each part escaped."""
        return object_page(self.public_url, collection, local_id)


class BaseHandler(OpenReads):
    allowed_methods = "GET, POST, OPTIONS"
    allowed_headers = "Accept, Content-Type"
    exposed_headers = "Content-Type, Vary, Location, Retry-After"

    @property
    def served(self) -> Served:
        return self.settings["twins"]

    def write_json(self, document: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(document, ensure_ascii=False))


class InfoHandler(BaseHandler):
    def get(self) -> None:
        served = self.served
        snapshot = served.twins.current
        self.write_json(
            {
                "service": "twins",
                "sparql": f"{served.public_url}sparql",
                "objects": f"{served.public_url}objects/<collection>/<id>",
                "search": f"{served.public_url}search?q=<words>",
                "iiif_collection": f"{served.public_url}{manifests.COLLECTION}",
                "oai_pmh": f"{served.public_url}oai",
                "void": f"{served.public_url}{dataset.PATH}",
                "build": snapshot.fingerprint,
                "default_graph": "empty: name graphs with GRAPH or FROM (README.md)",
                "current_view": {"graph": CURRENT, "policy": POLICY, "text": POLICY_TEXT},
                "interpretations": len(served.twins.commons.docs),
                "collections": {
                    name: {
                        "entry": entry["entry"],
                        "graph": entry["graph"],
                        "title": entry["title"],
                        "objects": entry["objects"],
                        "licence": entry["licence"],
                    }
                    for name, entry in snapshot.index.items()
                },
            }
        )


class SparqlHandler(BaseHandler):
    """The SPARQL 1.1 protocol's query operation; updates are refused (read-only)."""

    async def get(self) -> None:
        if self.get_query_arguments("update"):
            raise ReadOnly("the graph is read-only: SPARQL Update is not offered", "update")
        await self.run(self.get_query_arguments("query"), self.request.query_arguments)

    async def post(self) -> None:
        kind = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind == SPARQL_UPDATE or (kind == FORM and self.get_body_arguments("update")):
            raise ReadOnly("the graph is read-only: SPARQL Update is not offered", "update")
        if kind == FORM:
            await self.run(self.get_body_arguments("query"), self.request.body_arguments)
        elif kind == SPARQL_QUERY:
            query = self.request.body.decode("utf-8", errors="replace")
            await self.run([query], self.request.query_arguments)
        else:
            raise UnsupportedMediaType(
                f"POST a query as {FORM} (query=...) or as {SPARQL_QUERY}", "Content-Type"
            )

    async def run(self, queries: list[str], arguments: dict[str, list[bytes]]) -> None:
        if len(queries) != 1 or not queries[0].strip():
            raise BadQuery("give one SPARQL query (query=...)", "query")

        def graphs(name: str) -> tuple[str, ...]:
            return tuple(v.decode("utf-8", errors="replace") for v in arguments.get(name, []))

        defaults = graphs("default-graph-uri")
        views = graphs("view")
        if views:
            if views != ("current",):
                raise BadQuery("view is current (the current view as the default graph)", "view")
            if defaults:
                raise BadQuery("give view or default-graph-uri, not both", "view")
            defaults = (*self.served.twins.sources_graphs(), CURRENT)
        request = Request(
            queries[0], self.request.headers.get("Accept"), defaults, graphs("named-graph-uri")
        )
        reply = await self.served.twins.query(request)
        self.set_header("Content-Type", reply.media_type)
        self.set_header("Vary", "Accept")
        self.write(reply.body)


class ObjectHandler(BaseHandler, Translated):
    """One object: HTML (in the reader's language), Linked Art JSON-LD or its triples, by
    Accept or ?format=."""

    allowed_methods = "GET, OPTIONS"

    @property
    def frame_ancestors(self) -> str:
        # JupyterLab's "Open digital twin" panel frames the page: anonymous open data,
        # no cookie, no form, nothing a framing page could make a reader do (README).
        return self.served.options.page_frame_ancestors

    async def get(self, collection: str, id: str) -> None:
        local_id = id
        twins = self.served.twins
        record, entry = twins.record(collection, local_id)  # 404 before negotiating
        given = self.get_query_argument("format", None)
        if given is not None:
            if given not in FORMATS:
                raise NotAcceptable(f"format is one of {', '.join(FORMATS)}", "format")
            chosen = FORMATS[given]
        else:
            accept = self.request.headers.get("Accept")
            chosen = choose(accept, OBJECT_TYPES, {JSON_LD: ALIASES[JSON_LD]})
            if chosen is None:
                raise NotAcceptable(f"an object is served as {', '.join(OBJECT_TYPES)}", "Accept")
            self.set_header("Vary", "Accept")
        if chosen == HTML:
            page = self.served.page_url(collection, local_id)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Content-Language", self.language)
            self.add_header("Vary", "Accept-Language, Cookie")
            related = self.served.related()
            html = render(
                record,
                entry,
                page,
                self.served.iiif_url,
                related=related,
                related_shown=self.served.options.related_shown,
                interpretations=twins.interpretations(collection, local_id),
                analyses=twins.analyses(collection, local_id),
                language=self.language,
            )
            self.write(html)
        elif chosen == JSON_LD:
            self.set_header("Content-Type", LINKED_ART)
            self.write(json.dumps(record, ensure_ascii=False))
        else:
            reply = await twins.object_rdf(collection, local_id, chosen)
            self.set_header("Content-Type", reply.media_type)
            self.write(reply.body)


class InterpretationsHandler(BaseHandler):
    """What the public annotations about one object say (JSON): now, or ``?at=`` a time
    (the citable snapshot, history.py), with a digest of what it lists; and the analyses
    (runs) linked to it by then."""

    allowed_methods = "GET, OPTIONS"

    async def get(self, collection: str, id: str) -> None:
        twins = self.served.twins
        found = twins.interpretations(collection, id)  # NotFound first
        given = self.get_query_argument("at", None)
        at = history.moment(given) if given is not None else None
        analyses = [
            a
            for a in twins.analyses(collection, id)
            if at is None or ((made := history.stamp_of(a, "created")) is not None and made <= at)
        ]
        if at is not None:
            if not self.served.annotations_url:
                raise NotFound("this service follows no annotation service", "at")
            obj = f"{OBJECT}{collection}/{id}"
            found = await history.interpretations_at(
                twins.commons, self.served.annotations_url, obj, at
            )
        self.write_json(
            {
                "object": f"{OBJECT}{collection}/{id}",
                "at": at.isoformat().replace("+00:00", "Z") if at else None,
                "policy": {"id": POLICY, "text": POLICY_TEXT},
                "interpretations": found,
                "digest": history.digest(found),
                "analyses": analyses,
            }
        )


class ResolveHandler(BaseHandler):
    """An object's IRI to its page: ``objects?iri=urn:echoes:object:coins/7`` (303)."""

    allowed_methods = "GET, OPTIONS"

    def get(self) -> None:
        iri = self.get_query_argument("iri", "")
        collection, slash, local_id = iri.removeprefix(OBJECT).partition("/")
        if not iri.startswith(OBJECT) or not slash:
            raise BadQuery(f"iri is {OBJECT}<collection>/<id>", "iri")
        self.served.twins.record(collection, local_id)
        self.redirect(self.served.page_url(collection, local_id), status=303)


class SearchHandler(BaseHandler):
    """Objects whose names, identifiers or statements hold every word (search.py)."""

    allowed_methods = "GET, OPTIONS"

    def get(self) -> None:
        twins = self.served.twins
        twins.check_loaded()
        snapshot = twins.current
        query = Query.parse(
            self.get_query_argument("q", None),
            self.get_query_argument("collection", None),
            self.get_query_argument("limit", None),
            snapshot.index,
        )
        self.write_json(self.served.search.answer(snapshot, query, self.served.page_url))


class ManifestHandler(BaseHandler):
    """The IIIF Presentation 3 manifest of an object shown in an image (manifests.py)."""

    allowed_methods = "GET, OPTIONS"

    def get(self, collection: str, id: str) -> None:
        served = self.served
        twins = served.twins
        record, entry = twins.record(collection, id)
        canvases = served.related().canvases
        if not manifests.shown(record, entry, canvases):
            raise NotFound(f"{record['id']} is shown in no image: it has no manifest", "id")
        manifest = manifests.object_manifest(
            record,
            entry,
            served.page_url(collection, id),
            served.iiif_url,
            canvases,
            served.annotations_public_url,
        )
        self.set_header("Content-Type", f'{JSON_LD};profile="{manifests.CONTEXT}"')
        self.write(json.dumps(manifest, ensure_ascii=False))


class CollectionHandler(BaseHandler):
    """A IIIF collection of every object's manifest (manifests.py)."""

    allowed_methods = "GET, OPTIONS"

    def get(self) -> None:
        served = self.served
        twins = served.twins
        twins.check_loaded()
        canvases = served.related().canvases
        document = manifests.collection(twins.current, canvases, served.page_url, served.public_url)
        self.set_header("Content-Type", f'{JSON_LD};profile="{manifests.CONTEXT}"')
        self.write(json.dumps(document, ensure_ascii=False))


class OaiHandler(BaseHandler):
    """The OAI-PMH 2.0 provider (oai.py): GET, or POST as a form. Its errors are the
    protocol's (HTTP 200, ``<error code=...>``), which harvesters read."""

    def get(self) -> None:
        self.answer(self.request.query_arguments)

    def post(self) -> None:
        kind = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != FORM:
            raise UnsupportedMediaType(f"POST an OAI-PMH request as {FORM}", "Content-Type")
        self.answer(self.request.body_arguments)

    def answer(self, raw: dict[str, list[bytes]]) -> None:
        served = self.served
        twins = served.twins
        twins.check_loaded()
        options = served.options
        repository = served.harvested.repository(
            twins.current,
            twins.commons,
            base_url=f"{served.public_url}oai",
            name=options.oai_repository_name,
            admin_email=options.oai_admin_email,
            page_size=options.oai_page_size,
            page_url=served.page_url,
            iiif_url=served.iiif_url,
        )
        self.set_header("Content-Type", "text/xml; charset=utf-8")
        self.write(oai.answer(repository, oai.as_arguments(raw), datetime.now(UTC)))


class DatasetHandler(BaseHandler):
    """The DCAT catalogue and VoID description of the commons (dataset.py), by Accept."""

    allowed_methods = "GET, OPTIONS"

    def get(self) -> None:
        twins = self.served.twins
        twins.check_loaded()
        chosen = choose(self.request.headers.get("Accept"), DATASET_TYPES, ALIASES)
        if chosen is None:
            raise NotAcceptable(
                f"the description is served as {', '.join(DATASET_TYPES)}", "Accept"
            )
        triples = dataset.description(
            twins.current, len(twins.commons.public_interpretations()), self.served.public_url
        )
        self.set_header("Content-Type", f"{chosen}; charset=utf-8")
        self.set_header("Vary", "Accept")
        self.write(ox.serialize(triples, format=GRAPHS[chosen], prefixes=dataset.PREFIXES))


class NoSuchPath(BaseHandler):
    """Any other path: a JSON 404, readable from any origin."""

    def prepare(self) -> None:
        raise NotFound(f"no such path {self.request.path!r}", "path")


class OpenAPIHandler(BaseHandler):
    allowed_methods = "GET, OPTIONS"

    def get(self) -> None:
        self.write_json(document(self.served.public_url))


ROUTES = [
    Route(
        "", InfoHandler, {"get": "The collections and the build loaded"}, replies={"get": "Index"}
    ),
    Route("openapi.json", OpenAPIHandler, {"get": "This description"}, replies={"get": "OpenAPI"}),
    Route(
        "sparql",
        SparqlHandler,
        {
            "get": "A SPARQL 1.1 query (?query=); results by Accept",
            "post": "A SPARQL 1.1 query, as a form (query=) or application/sparql-query",
            "options": "CORS preflight",
        },
        query=("query", "default-graph-uri", "named-graph-uri", "view"),
        replies={"get": "Results", "post": "Results"},
        body="Query",
        success={"post": "200"},
    ),
    Route(
        "objects",
        ResolveHandler,
        {"get": "Redirect (303) from an object's IRI (?iri=) to its page"},
        query=("iri",),
    ),
    Route(
        "objects/{collection}/{id}",
        ObjectHandler,
        {"get": "The object as HTML, Linked Art JSON-LD, Turtle or N-Triples (Accept, ?format=)"},
        query=("format",),
        replies={"get": "Object"},
    ),
    Route(
        "objects/{collection}/{id}/interpretations",
        InterpretationsHandler,
        {
            "get": "What the public annotations about the object say: claims, who, status; "
            "the analyses (runs) linked to it; ?at=: as they were then (a citable snapshot)"
        },
        query=("at",),
        replies={"get": "Interpretations"},
    ),
    Route(
        "objects/{collection}/{id}/manifest.json",
        ManifestHandler,
        {"get": "The IIIF Presentation 3 manifest of an object shown in an image"},
        replies={"get": "Manifest"},
    ),
    Route(
        manifests.COLLECTION,
        CollectionHandler,
        {"get": "A IIIF Presentation 3 collection of every object's manifest"},
        replies={"get": "Manifest"},
    ),
    Route(
        "oai",
        OaiHandler,
        {
            "get": "OAI-PMH 2.0: the twins (oai_dc, edm) and the public interpretations (oai_dc)",
            "post": "OAI-PMH 2.0, the request as a form",
            "options": "CORS preflight",
        },
        query=("verb", "metadataPrefix", "identifier", "set", "from", "until", "resumptionToken"),
        replies={"get": "OAI-PMH", "post": "OAI-PMH"},
        body="OaiRequest",
        success={"post": "200"},
    ),
    Route(
        dataset.PATH,
        DatasetHandler,
        {"get": "The commons described for catalogues: DCAT and VoID (Turtle, JSON-LD)"},
        replies={"get": "Dataset"},
    ),
    Route(
        "search",
        SearchHandler,
        {"get": "Objects whose names, identifiers or statements hold every word of q"},
        query=("q", "collection", "limit"),
        replies={"get": "SearchResults"},
    ),
    Route("harvest", SourcesPage, {"get": "Administrators: the harvested sources page"}),
    Route(
        "harvest/sources",
        SourcesHandler,
        {"get": "Administrators: each source, its last harvests, one going on"},
        replies={"get": "Sources"},
    ),
    Route(
        "harvest/sources/{name}/harvest",
        HarvestNowHandler,
        {"post": "Administrators: harvest the source now (after those waiting)"},
        replies={"post": "Asked"},
        success={"post": "202"},
    ),
    Route(
        "contribute",
        ContributePage,
        {
            "get": "Contributors: the contribution wizard's page; as JSON, your drafts and "
            "what the wizard offers (fields, licences, sheets, moderation, your groups)"
        },
        replies={"get": "Wizard"},
    ),
    Route(
        "contribute/drafts",
        DraftsHandler,
        {
            "get": "Contributors: your drafts",
            "post": "Contributors: upload a sheet (multipart, field sheet): a new draft",
        },
        replies={"get": "Drafts", "post": "Draft"},
        body="Upload",
    ),
    Route(
        "contribute/drafts/{draft_id}",
        DraftHandler,
        {
            "get": "Contributors: a draft's preview, mapping, choices and problems",
            "post": "Contributors: change a draft's mapping, name, title, licence, citation",
        },
        replies={"get": "Draft", "post": "Draft"},
        body="DraftChoices",
        success={"post": "200"},
    ),
    Route(
        "contribute/drafts/{draft_id}/images",
        ImagesHandler,
        {"post": "Contributors: a draft's photographs, a zip (multipart, field images)"},
        replies={"post": "Draft"},
        body="Photographs",
        success={"post": "200"},
    ),
    Route(
        "contribute/drafts/{draft_id}/publish",
        PublishHandler,
        {
            "post": "Contributors: publish a draft as a collection of twins, all or nothing "
            "(201); when contributions are moderated, submit it for review (202, the Draft)"
        },
        replies={"post": "Published"},
    ),
    Route(
        "contribute/drafts/{draft_id}/reopen",
        ReopenHandler,
        {"post": "Contributors: withdraw a submitted draft; administrators: send it back (reason)"},
        replies={"post": "Draft"},
        body="Reopen",
        success={"post": "200"},
    ),
    Route(
        "contribute/drafts/{draft_id}/delete",
        DeleteDraftHandler,
        {"post": "Contributors: forget a draft"},
        success={"post": "204"},
    ),
]


def document(base_url: str) -> dict[str, Any]:
    """The service's OpenAPI description (from `ROUTES`)."""
    doc = openapi(
        ROUTES,
        base_url,
        title="ECHOES twins service",
        description="The digital twins of the shared data: a read-only SPARQL 1.1 endpoint "
        "over their named graphs, and each object's page, read anonymously from any origin.",
        schemas={
            "Index": {"type": "object"},
            "Sources": {"type": "object", "required": ["sources"]},
            "Asked": {"type": "object", "required": ["source", "asked"]},
            "Drafts": {"type": "object", "required": ["drafts"]},
            "Wizard": {
                "type": "object",
                "required": ["drafts", "fields", "licences", "suffixes", "moderated", "groups"],
            },
            "Draft": {
                "type": "object",
                "required": ["id", "file", "rows", "header", "preview", "fields", "problems"],
                "properties": {
                    "problems": {
                        "type": "array",
                        "description": "every problem: row, column, message, fix, warning",
                    },
                    "ready": {"type": "boolean", "description": "no problem, all chosen"},
                    "yours": {"type": "boolean", "description": "the caller may change it"},
                },
            },
            "Upload": {
                "type": "object",
                "required": ["sheet"],
                "properties": {"sheet": {"type": "string", "format": "binary"}},
            },
            "Photographs": {
                "type": "object",
                "required": ["images"],
                "properties": {"images": {"type": "string", "format": "binary"}},
            },
            "DraftChoices": {
                "type": "object",
                "properties": {
                    "fields": {"type": "object", "description": "a column (or null) per field"},
                    **{k: {"type": "string"} for k in CHOICES},
                    "group": {"type": "string", "description": "the hub group sharing it"},
                    "language": {"type": "string", "description": "ISO 639-1 of its texts"},
                },
            },
            "Reopen": {
                "type": "object",
                "properties": {"reason": {"type": "string", "description": "administrators"}},
            },
            "Published": {"type": "object", "required": ["name", "version", "first"]},
            "OpenAPI": {"type": "object"},
            "Results": {"type": "object", "description": "SPARQL results (JSON) or RDF"},
            "Query": {"type": "object", "properties": {"query": {"type": "string"}}},
            "Object": {"type": "object", "required": ["id", "type"]},
            "OAI-PMH": {"type": "string", "description": "An OAI-PMH 2.0 response (XML)"},
            "Dataset": {"type": "string", "description": "DCAT and VoID, in RDF"},
            "Manifest": {
                "type": "object",
                "required": ["@context", "id", "type", "label", "items"],
                "description": "IIIF Presentation 3",
            },
            "OaiRequest": {
                "type": "object",
                "required": ["verb"],
                "properties": {"verb": {"type": "string", "enum": list(oai.VERBS)}},
            },
            "Interpretations": {
                "type": "object",
                "required": ["object", "policy", "interpretations", "analyses"],
                "properties": {
                    "interpretations": {"type": "array"},
                    "analyses": {
                        "type": "array",
                        "description": "runs linked to the object (echoes link), oldest first",
                        "items": {
                            "type": "object",
                            "required": ["run", "label", "annotation", "creator", "created"],
                        },
                    },
                },
            },
            "SearchResults": {
                "type": "object",
                "required": ["query", "collection", "total", "results"],
                "properties": {
                    "query": {"type": "string"},
                    "collection": {"type": "string", "nullable": True},
                    "total": {"type": "integer", "description": "matches, before limit"},
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "collection", "local_id", "label", "type", "page"],
                            "properties": {
                                name: {"type": "string"}
                                for name in ("id", "collection", "local_id", "label", "type")
                            }
                            | {"page": {"type": "string", "format": "uri"}},
                        },
                    },
                },
            },
        },
        errors={
            "400": "a bad query or parameter (named in field)",
            "403": "the harvest routes: the caller is not one of the hub's administrators; the "
            "contribute routes: not an administrator nor in TwinsService.contributors_group",
            "404": "no such object, or no draft the caller sees",
            "409": "a draft submitted for review is changed, or one not submitted reopened",
            "405": "an update: the graph is read-only",
            "406": "Accept (or format) takes none of the representations served",
            "415": "a POST body that is neither a form nor a SPARQL query",
            "503": "the query ran past TwinsService.query_timeout, or the first load is under way",
        },
        query={
            "query": {"description": "The SPARQL 1.1 query"},
            "default-graph-uri": {"description": "A graph of the default graph (repeatable)"},
            "named-graph-uri": {"description": "A graph GRAPH may read (repeatable)"},
            "view": {
                "description": "current: the default graph is the current view (the "
                "collections' graphs and the adopted interpretations)",
                "schema": {"type": "string", "enum": ["current"]},
            },
            "iri": {"description": "An object's IRI, urn:echoes:object:<collection>/<id>"},
            "at": {"description": "An ISO 8601 time: the interpretations as they were then"},
            "format": {
                "description": "The representation, for links: " + ", ".join(FORMATS),
                "schema": {"type": "string", "enum": list(FORMATS)},
            },
            "verb": {
                "description": "The OAI-PMH verb",
                "schema": {"type": "string", "enum": list(oai.VERBS)},
            },
            "metadataPrefix": {"description": "OAI-PMH: oai_dc or edm"},
            "identifier": {"description": "OAI-PMH: a record's identifier (a twin's IRI)"},
            "set": {"description": "OAI-PMH: twins, twins:<collection> or interpretations"},
            "from": {"description": "OAI-PMH: records changed at or after (UTC)"},
            "until": {"description": "OAI-PMH: records changed at or before (UTC)"},
            "resumptionToken": {"description": "OAI-PMH: continue a list"},
            "q": {"description": "Words an object's names, identifiers or statements hold"},
            "collection": {"description": "Only this collection's objects (`GET /` lists them)"},
            "limit": {
                "description": f"At most this many results (default 20, at most {MAX_LIMIT})",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        },
        media_types={
            "Results": "application/sparql-results+json",
            "Object": JSON_LD,
            "OAI-PMH": "text/xml",
            "Dataset": "text/turtle",
            "Manifest": JSON_LD,
        },
        body_media_types=(FORM, SPARQL_QUERY),
        body_media_types_of={
            "OaiRequest": (FORM,),
            "Upload": ("multipart/form-data",),
            "Photographs": ("multipart/form-data",),
            "DraftChoices": ("application/json", FORM),
        },
        alternatives={
            "Results": (*list(RESULTS)[1:], *GRAPHS),
            "Object": tuple(t for t in OBJECT_TYPES if t != JSON_LD),
            "Dataset": DATASET_TYPES[1:],
        },
    )
    doc["security"] = []  # anonymous, but for the administrators' harvest routes
    for route in ROUTES:
        if issubclass(route.handler, (HarvestingHandler, ContributingHandler)):
            for operation in doc["paths"]["/" + route.path].values():
                operation["security"] = [{"hubToken": []}]
    return doc
