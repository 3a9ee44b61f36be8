"""SPARQL sources: the source's CONSTRUCT query (`Source.query`) asked of its endpoint
(`Source.url`) by the SPARQL 1.1 Protocol (a URL-encoded POST, asking for N-Triples or
Turtle), its answer bounded like every answer (fetch.py) and parsed by pyoxigraph.

Each subject the answer types ``crm:E22_Human-Made_Object`` (Linked Art's
HumanMadeObject) is a twin: its identifier and address are its IRI, its raw record its
triples and those of the blank nodes under it (N-Triples, sorted). Its triples are read as
Linked Art's: the answer is turned into the JSON shape the Linked Art context gives those
CRM terms (``crm:P1_is_identified_by`` is ``identified_by``, ``crm:P108i_was_produced_by``
``produced_by``, ...) and read by the Linked Art reader (linkedart.described), so both
protocols keep the same of a record. What the query constructs in other vocabularies
(Dublin Core, schema.org) is kept in the raw record, not read: write the query to
construct CRM. A label of a type, maker or place is read when the answer has it
(``rdfs:label``), else its IRI stands for it.

The answer is all the query finds (`Listing.whole`): each harvest asks again, a twin
whose object is no longer in the answer is withdrawn, an unchanged one writes nothing.
An object without an IRI (a blank node) cannot be followed from one answer to the next:
it is reported. An answer that is not N-Triples or Turtle fails the harvest, naming the
endpoint; so does a refusal (a 4xx: the query is wrong), with the endpoint's message.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox

from .fetch import Limits, SourceFailed, post
from .linkedart import described
from .records import CRM, RDF_TYPE, RDFS_LABEL, Harvested, Listing
from .sources import Source

LA = "https://linked.art/ns/terms/"
OBJECT = CRM + "E22_Human-Made_Object"
TYPED = ox.NamedNode(OBJECT)
#: The RDF formats read, by media type, and what is asked for.
FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
}
ACCEPT = "application/n-triples, text/turtle;q=0.9"
#: How much of an endpoint's refusal a report quotes.
MESSAGE_CHARS = 300
#: How deep below an object its description is followed, and over how many nodes at most
#: (an answer whose nodes all link to each other cannot make one object's reading explode).
DEPTH = 6
NODES = 2000
#: The Linked Art JSON keys of the CRM terms read (as the Linked Art context maps them).
KEYS = {
    RDFS_LABEL: "_label",
    CRM + "P1_is_identified_by": "identified_by",
    CRM + "P190_has_symbolic_content": "content",
    CRM + "P2_has_type": "classified_as",
    CRM + "P108i_was_produced_by": "produced_by",
    CRM + "P9_consists_of": "part",
    CRM + "P14_carried_out_by": "carried_out_by",
    CRM + "P4_has_time-span": "timespan",
    CRM + "P82a_begin_of_the_begin": "begin_of_the_begin",
    CRM + "P82b_end_of_the_end": "end_of_the_end",
    CRM + "P7_took_place_at": "took_place_at",
    CRM + "P67i_is_referred_to_by": "referred_to_by",
    CRM + "P45_consists_of": "made_of",
    CRM + "P52_has_current_owner": "current_owner",
    CRM + "P65_shows_visual_item": "shows",
    CRM + "P129_is_about": "about",
    CRM + "P138_represents": "represents",
    CRM + "P138i_has_representation": "representation",
    CRM + "P129i_is_subject_of": "subject_of",
    LA + "digitally_shown_by": "digitally_shown_by",
    LA + "digitally_carried_by": "digitally_carried_by",
    LA + "access_point": "access_point",
}
#: Keys whose value is text (the rest are links to nodes).
TEXTS = {"_label", "content", "begin_of_the_begin", "end_of_the_end"}
#: The CRM classes whose Linked Art names the reader tells apart.
TYPES = {
    CRM + "E33_E41_Linguistic_Appellation": "Name",
    CRM + "E42_Identifier": "Identifier",
    OBJECT: "HumanMadeObject",
}
LINKED_ART = "https://linked.art/ns/v1/linked-art.json"

Node = ox.NamedNode | ox.BlankNode


def list_records(
    source: Source, since: str | None, state: dict[str, Any], limits: Limits
) -> Listing:
    """Every object the source's query constructs (``since`` is not used: an endpoint
    has no changes to ask for, so each harvest takes the whole answer and compares)."""
    triples = ask(source, limits)
    answered = datetime.now(UTC).isoformat(timespec="seconds")
    graph = Graph(triples)
    objects = sorted(
        {t.subject for t in triples if t.predicate.value == RDF_TYPE and t.object == TYPED},
        key=str,
    )
    return Listing(records(graph, objects, answered), answered, whole=True, total=len(objects))


def ask(source: Source, limits: Limits) -> list[ox.Triple]:
    """The triples the endpoint answers the query with, or SourceFailed naming it."""
    response = post(
        source.url,
        limits,
        urlencode({"query": source.query}),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": ACCEPT},
    )
    if not response.ok:
        said = " ".join(response.content.decode("utf-8", "replace").split())
        if len(said) > MESSAGE_CHARS:
            said = said[:MESSAGE_CHARS] + "..."
        how = "refused the query" if response.status_code < 500 else "failed"
        raise SourceFailed(
            f"{source.url}: the endpoint {how} (HTTP {response.status_code}): {said}"
        )
    media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media and media not in FORMATS:
        raise SourceFailed(f"{source.url}: an answer that is not RDF but {media}")
    try:
        kind = FORMATS.get(media, ox.RdfFormat.TURTLE)
        parsed = ox.parse(response.content, format=kind, base_iri=source.url)
        return [q.triple for q in parsed]
    except (SyntaxError, ValueError) as error:
        raise SourceFailed(f"{source.url}: an answer that is not RDF: {error}") from error


class Graph:
    """An answer's triples by subject."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self.about: dict[Node, list[ox.Triple]] = defaultdict(list)
        for triple in triples:
            self.about[triple.subject].append(triple)

    def closure(self, subject: Node) -> list[ox.Triple]:
        """The subject's triples and those of the blank nodes under it."""
        found, todo, seen = [], [subject], {subject}
        while todo:
            for triple in self.about.get(todo.pop(), []):
                found.append(triple)
                if isinstance(triple.object, ox.BlankNode) and triple.object not in seen:
                    seen.add(triple.object)
                    todo.append(triple.object)
        return found

    def as_linked_art(self, subject: Node) -> dict[str, Any]:
        """``subject`` in the JSON shape of Linked Art, as far as the terms in KEYS go and
        at most NODES nodes and DEPTH steps below it; each list in a stable order,
        whatever order the endpoint answered in."""
        budget = NODES

        def shape(node: Node, depth: int, path: frozenset[Node]) -> dict[str, Any]:
            nonlocal budget
            budget -= 1
            shaped: dict[str, Any] = {"id": node.value} if isinstance(node, ox.NamedNode) else {}
            if depth >= DEPTH or node in path or budget <= 0:
                return shaped
            values: dict[str, list[Any]] = defaultdict(list)
            for triple in self.about.get(node, []):
                predicate, value = triple.predicate.value, triple.object
                if isinstance(value, ox.Triple):
                    continue  # a quoted triple (RDF-star): not Linked Art's
                if predicate == RDF_TYPE:
                    if value.value in TYPES:
                        shaped["type"] = TYPES[value.value]
                    continue
                key = KEYS.get(predicate)
                if key is None:
                    continue
                if key in TEXTS:
                    values[key].append(value.value)
                elif isinstance(value, ox.Literal):
                    values[key].append({"_label": value.value})
                else:
                    values[key].append(shape(value, depth + 1, path | {node}))
            for key, found in values.items():
                ordered = sorted(found, key=lambda v: json.dumps(v, sort_keys=True))
                shaped[key] = ordered[0] if key in TEXTS else ordered
            return shaped

        return shape(subject, 0, frozenset())


def records(graph: Graph, objects: list[Node], answered: str) -> Iterator[Harvested]:
    for subject in objects:
        triples = graph.closure(subject)
        raw = "".join(sorted(f"{t} .\n" for t in triples))
        if not isinstance(subject, ox.NamedNode):
            yield Harvested(str(subject), problem="an object without an IRI (a blank node)")
            continue
        record = {"@context": LINKED_ART, **graph.as_linked_art(subject)}
        yield Harvested(subject.value, answered, subject.value, raw, described(record))
