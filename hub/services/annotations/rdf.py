"""The service's JSON-LD as other RDF syntaxes (Turtle, N-Triples), and which one a
request's ``Accept`` asks for.

The triples are those of the JSON-LD itself, read by rdflib's JSON-LD parser with the
contexts inlined: the W3C annotation context the service ships (``anno.jsonld``) and the
LDP terms its containers use, so nothing is ever fetched from the network (an unknown
context is a fault, not a download).
"""

from __future__ import annotations

import json
from typing import Any

from ..base import negotiation
from .model import ANNO_CONTEXT, CONTEXT, MEDIA_TYPE

LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
LDP = "http://www.w3.org/ns/ldp#"
#: The terms of the LDP context (http://www.w3.org/ns/ldp.jsonld) the service writes.
LDP_TERMS = {"ldp": LDP, "BasicContainer": "ldp:BasicContainer"}
CONTEXTS = {ANNO_CONTEXT: CONTEXT, LDP_CONTEXT: LDP_TERMS}

TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
#: What the JSON-LD documents are also served as, with rdflib's name of the syntax.
SYNTAXES = {TURTLE: "turtle", N_TRIPLES: "nt"}
#: The Content-Type of each (Turtle's charset is not UTF-8 by default; N-Triples' is).
CONTENT_TYPES = {TURTLE: f"{TURTLE}; charset=utf-8", N_TRIPLES: N_TRIPLES}
#: Every representation, the default first (it wins when the client rates several alike).
OFFERED = (MEDIA_TYPE, TURTLE, N_TRIPLES)
#: Accepted as asking for JSON-LD (JSON-LD is JSON).
_JSON_LD_ALIASES = ("application/ld+json", "application/json")


def choose(accept: str | None) -> str | None:
    """The media type to answer a request with ``Accept: accept``: JSON-LD when it says
    nothing, else the offered type it rates highest; None when it takes none of them."""
    return negotiation.choose(accept, OFFERED, {MEDIA_TYPE: _JSON_LD_ALIASES})


def _inline(value: Any, active: frozenset[str] = frozenset()) -> Any:
    """``value`` with every ``@context`` reference replaced by the context it names; one
    that names only contexts already in force (``active``) is left out, so that the
    parser does not process the context again for each annotation of a page."""
    if isinstance(value, list):
        return [_inline(item, active) for item in value]
    if not isinstance(value, dict):
        return value
    given = value.get("@context")
    named = given if isinstance(given, list) else [] if given is None else [given]
    inner = active | {c for c in named if isinstance(c, str)}
    found = {key: _inline(item, inner) for key, item in value.items() if key != "@context"}
    if not set(named) <= active:
        found["@context"] = [CONTEXTS[c] if isinstance(c, str) else c for c in named]
    return found


def serialize(json_ld: str, media_type: str) -> str:
    """The JSON-LD text ``json_ld`` as ``media_type`` (Turtle or N-Triples).

    Raises KeyError for a context the service does not ship (never fetched)."""
    from rdflib import Graph  # here: only RDF replies pay for importing it

    document = _inline(json.loads(json_ld))
    graph = Graph().parse(data=json.dumps(document), format="json-ld")
    return graph.serialize(format=SYNTAXES[media_type])
