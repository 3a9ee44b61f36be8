"""One SPARQL request against a pyoxigraph store: run, choose the syntax, serialise.

No web framework and no processes here: the worker processes (`workers`) run `answer`
on their read-only store, the unit tests and the benchmark on a store of their own.

The dataset a query sees (the rule, docs in README.md): the **default graph is the
store's own, which holds nothing** (the data build writes every triple into a named
graph, and no contributor's claim will ever be written there); pyoxigraph's
``use_default_graph_as_union`` stays off, so the sources' graphs and, later, the claims'
graphs never mix unasked. A query names what it reads: ``GRAPH ?g { ... }`` (every named
graph), ``FROM <urn:echoes:graph:tate>`` (one collection as the default graph), or the
protocol's ``default-graph-uri`` / ``named-graph-uri`` (which, as SPARQL 1.1 Protocol
says, replace the query's own FROM and FROM NAMED).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..base.negotiation import choose
from .errors import BadQuery, NotAcceptable, ReadOnly

#: SELECT and ASK results, the default first.
RESULTS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
}
#: CONSTRUCT and DESCRIBE results, the default first.
GRAPHS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
ALIASES = {
    "application/sparql-results+json": ("application/sparql-results+json", "application/json"),
    "application/sparql-results+xml": ("application/sparql-results+xml", "application/xml"),
    "application/ld+json": ("application/ld+json", "application/json"),
}
#: The prefixes Turtle replies are written with.
PREFIXES = {
    "crm": "http://www.cidoc-crm.org/cidoc-crm/",
    "la": "https://linked.art/ns/terms/",
    "aat": "http://vocab.getty.edu/aat/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
#: A query that did not parse but begins as an update does (after its prologue).
UPDATE = re.compile(
    r"^\s*(?:(?:#[^\n]*\n|PREFIX\s+[^<]*<[^>]*>|BASE\s*<[^>]*>)\s*)*"
    r"(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Request:
    """A SPARQL query as the protocol gives it, and the request's Accept header."""

    query: str
    accept: str | None = None
    #: The protocol's default-graph-uri and named-graph-uri (none: the query's own).
    default_graphs: tuple[str, ...] = field(default=())
    named_graphs: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Reply:
    media_type: str  # the Content-Type, charset included
    body: bytes


def content_type(media_type: str) -> str:
    # Text syntaxes are UTF-8 here, which CSV's and Turtle's defaults do not say.
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def graphs(iris: tuple[str, ...], parameter: str) -> list[ox.NamedNode]:
    """The protocol's graph parameter ``parameter`` as nodes; `BadQuery` for a bad IRI."""
    try:
        return [ox.NamedNode(iri) for iri in iris]
    except ValueError as error:
        raise BadQuery(f"{parameter} is not an IRI: {error}", parameter) from None


def answer(store: ox.Store, request: Request) -> Reply:
    """The reply to ``request`` from ``store``: `BadQuery` for a query that does not
    parse, `ReadOnly` for an update, `NotAcceptable` when Accept takes no syntax of the
    result's kind."""
    options = {}
    if request.default_graphs:
        options["default_graph"] = graphs(request.default_graphs, "default-graph-uri")
    if request.named_graphs:
        options["named_graphs"] = graphs(request.named_graphs, "named-graph-uri")
    try:
        results = store.query(request.query, **options)
    except SyntaxError as error:
        if UPDATE.match(request.query):
            raise ReadOnly(
                "the graph is read-only: SPARQL Update is not offered", "query"
            ) from None
        raise BadQuery(f"the query is not SPARQL 1.1: {error}", "query") from None
    formats = GRAPHS if isinstance(results, ox.QueryTriples) else RESULTS
    chosen = choose(request.accept, list(formats), ALIASES)
    if chosen is None:
        # Dropped here, in the thread that made it (pyoxigraph's results are bound to it),
        # not wherever the traceback that would keep it is freed.
        del results
        raise NotAcceptable(f"this result is served as {', '.join(formats)}", "Accept")
    if formats is GRAPHS:
        body = ox.serialize(results, format=formats[chosen], prefixes=PREFIXES)
    else:
        body = results.serialize(format=formats[chosen])
    return Reply(content_type(chosen), body)
