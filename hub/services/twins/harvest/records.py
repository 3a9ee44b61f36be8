"""A harvested record as a twin: what its metadata says (`Described`, read from Dublin Core
or EDM), its Linked Art record, in the shape the data build's have (so its page, search
and the OAI-PMH provider read it as any twin), and its triples in the collection's named
graph, with where it came from in the provenance graph. No I/O here.

The source's words stay the source's: each text is kept as the source gave it (a
statement, a name, a date as written), nothing is guessed from it. A record the source
deleted keeps its twin (interpretations may point at it), marked withdrawn.

A record that is an interpretation of objects rather than an object (Dublin Core
``dc:type`` Annotation with ``dc:relation`` to the objects, as an ECHOES hub's provider
offers its public interpretations) is a `Note`: a statement on the twins of the objects
it relates to, with who said it, when, the original's address, and its provenance.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pyoxigraph as ox
from lxml import etree

from ..crosswalk import DC, DCTERMS, EDM, ORE, RDF
from ..linkedart import IIIF_IMAGE_API
from ..store import OBJECT
from ..text_languages import code_of, language_term

CRM = "http://www.cidoc-crm.org/cidoc-crm/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = RDF + "type"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
ECHOES = "urn:echoes:term:"
PROVENANCE_GRAPH = "urn:echoes:graph:provenance"
AAT = "http://vocab.getty.edu/aat/"
PRIMARY_NAME = {"id": AAT + "300404670", "type": "Type", "_label": "Primary Name"}
SOURCE_NUMBER = {"id": AAT + "300404621", "type": "Type", "_label": "Owner-Assigned Number"}
RECORD = {"id": AAT + "300438434", "type": "Type", "_label": "Entry or Record"}
DESCRIPTION = {"id": AAT + "300435416", "type": "Type", "_label": "Description"}
DIGITAL_IMAGE = {"id": AAT + "300215302", "type": "Type", "_label": "Digital Image"}
#: A local id as it may stand in a path and an IRI as it is.
SAFE = re.compile(r"[A-Za-z0-9._:~-]+")


@dataclass
class Described:
    """What a harvested record's metadata says, element by element, as given."""

    titles: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    rights: list[str] = field(default_factory=list)
    shown_at: list[str] = field(default_factory=list)
    shown_by: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    image_services: list[str] = field(default_factory=list)  # IIIF Image API bases
    relations: list[str] = field(default_factory=list)  # dc:relation: what it is about
    # Linked Art Dimensions (a contributed sheet's "12 cm": dimension()), as given
    dimensions: list[dict[str, Any]] = field(default_factory=list)
    # The ISO 639-1 code of the language its titles and statements are in ("": not said)
    language: str = ""

    @property
    def interpretation(self) -> bool:
        """Whether the record is an interpretation of the objects it relates to."""
        return "Annotation" in self.types and bool(self.relations)


@dataclass(frozen=True)
class Harvested:
    """One record as a protocol listed it: ``said`` what its metadata says, None when the
    source deleted it; ``problem`` why it could not be read (then nothing else counts)."""

    identifier: str
    datestamp: str = ""
    url: str = ""
    raw: str = ""
    said: Described | None = None
    problem: str = ""


@dataclass
class Listing:
    """A protocol's answer: its records (read as they are iterated, so a failure midway
    raises SourceFailed from the iteration), the moment the next harvest asks from, and
    whether the records are all the source has (then a twin not listed is withdrawn)."""

    records: Iterator[Harvested]
    answered: str
    whole: bool = False
    total: int | None = None  # how many records, when the source says
    state: dict[str, Any] = field(default_factory=dict)  # the protocol's own, kept


def _texts(element: Any, *names: str) -> list[str]:
    found = []
    for name in names:
        for node in element.iter(name):
            value = (node.text or "").strip() or node.get(f"{{{RDF}}}resource", "").strip()
            if value and value not in found:
                found.append(value)
    return found


def from_oai_dc(metadata: Any) -> Described:
    """Simple Dublin Core (``oai_dc:dc``)."""

    def dc(name: str) -> list[str]:
        return _texts(metadata, f"{{{DC}}}{name}")

    return Described(
        titles=dc("title"),
        creators=dc("creator"),
        dates=dc("date"),
        types=dc("type"),
        descriptions=dc("description"),
        identifiers=dc("identifier"),
        subjects=dc("subject"),
        places=dc("coverage"),
        media=dc("format"),
        rights=dc("rights"),
        relations=dc("relation"),
    )


def from_edm(metadata: Any) -> Described:
    """The Europeana Data Model: the ``edm:ProvidedCHO`` and its ``ore:Aggregation``."""
    cho = next(metadata.iter(f"{{{EDM}}}ProvidedCHO"), None)
    if cho is None:
        raise ValueError("an EDM record without an edm:ProvidedCHO")
    aggregations = list(metadata.iter(f"{{{ORE}}}Aggregation"))

    def of_cho(*names: str) -> list[str]:
        return _texts(cho, *names)

    def of_aggregation(name: str) -> list[str]:
        return [v for a in aggregations for v in _texts(a, f"{{{EDM}}}{name}")]

    return Described(
        titles=of_cho(f"{{{DC}}}title"),
        creators=of_cho(f"{{{DC}}}creator"),
        dates=of_cho(f"{{{DC}}}date", f"{{{DCTERMS}}}created"),
        types=of_cho(f"{{{DC}}}type"),
        descriptions=of_cho(f"{{{DC}}}description"),
        identifiers=of_cho(f"{{{DC}}}identifier"),
        subjects=of_cho(f"{{{DC}}}subject"),
        places=of_cho(f"{{{DCTERMS}}}spatial", f"{{{DC}}}coverage"),
        media=of_cho(f"{{{DCTERMS}}}medium", f"{{{DC}}}format"),
        rights=of_aggregation("rights"),
        shown_at=of_aggregation("isShownAt"),
        shown_by=of_aggregation("isShownBy"),
        providers=of_aggregation("dataProvider"),
    )


READERS = {"oai_dc": from_oai_dc, "edm": from_edm}


def described(prefix: str, metadata: Any) -> Described:
    """What the metadata element of a record in the format ``prefix`` says."""
    if not isinstance(metadata, etree._Element):
        raise ValueError("no metadata")
    return READERS[prefix](metadata)


def local_id(identifier: str) -> str:
    """The twin's local id for a source's record identifier: the identifier itself when
    it is safe in a path, else its safe characters and a digest of it (stable, unique)."""
    if SAFE.fullmatch(identifier):
        return identifier
    readable = "-".join(SAFE.findall(identifier))[:80]
    return f"{readable}-{hashlib.sha256(identifier.encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class Origin:
    """Where one record came from: its source (collection name and title), its
    identifier and datestamp there, the address that gives it, and when it was taken."""

    collection: str
    source_title: str
    dataset: str
    identifier: str
    datestamp: str
    url: str
    harvested: str
    withdrawn: str = ""  # when the source said it was deleted (empty: it was not)


@dataclass(frozen=True)
class Note:
    """A harvested interpretation: what it says, who said it and when, the objects it is
    about (the source's identifiers of them), and where it came from."""

    identifier: str  # the source's identifier of it (an ECHOES hub's: the annotation's IRI)
    datestamp: str
    url: str
    harvested: str
    about: list[str]
    title: str
    creators: list[str]
    dates: list[str]
    descriptions: list[str]
    withdrawn: str = ""

    @classmethod
    def of(cls, identifier: str, datestamp: str, url: str, now: str, said: Described) -> Note:
        return cls(
            identifier=identifier,
            datestamp=datestamp,
            url=url,
            harvested=now,
            about=said.relations,
            title=said.titles[0] if said.titles else "An interpretation",
            creators=said.creators,
            dates=said.dates,
            descriptions=said.descriptions,
        )

    def same_as(self, other: Note | None) -> bool:
        """Whether ``other`` says the same (when it was harvested aside)."""
        return other is not None and replace(other, harvested=self.harvested) == self


@dataclass
class Taken:
    """What a source gave so far, by local id: its twins' records, their origins, the
    raw records, and its interpretations of its objects."""

    records: dict[str, dict[str, Any]]
    origins: dict[str, Origin]
    raw: dict[str, str]
    notes: dict[str, Note]


#: How a twin's statement that is a harvested interpretation is classified.
INTERPRETATION = {
    "id": ECHOES + "harvested-interpretation",
    "type": "Type",
    "_label": "Interpretation, harvested",
}


def note_statement(note: Note, source_title: str) -> dict[str, Any]:
    """The statement a harvested interpretation is on its objects' twins."""
    who = ", ".join(note.creators) or "someone"
    when = f" ({note.dates[0]})" if note.dates else ""
    said = " ".join([note.title, *note.descriptions])
    gone = f" Withdrawn by its source on {note.withdrawn}." if note.withdrawn else ""
    statement: dict[str, Any] = {
        "id": note_id(note),
        "type": "LinguisticObject",
        "content": f"{who}{when}, in {source_title}: {said}{gone}",
        "classified_as": [INTERPRETATION],
        "identified_by": [{"type": "Identifier", "content": note.identifier}],
        "subject_of": [
            {"type": "DigitalObject", "access_point": [{"id": note.url, "type": "DigitalObject"}]}
        ],
    }
    creation: dict[str, Any] = {"type": "Creation"}
    if note.creators:
        creation["carried_out_by"] = [{"type": "Actor", "_label": c} for c in note.creators]
    if note.dates:
        creation["timespan"] = {"type": "TimeSpan", "_label": note.dates[0]}
    statement["created_by"] = creation
    return statement


def note_id(note: Note) -> str:
    return f"urn:echoes:interpretation:harvested/{local_id(note.identifier)}"


def without_notes(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """``record`` without the harvested interpretations on it (as its source gave it)."""
    if record is None:
        return None
    kept = [
        s
        for s in record.get("referred_to_by", [])
        if INTERPRETATION not in s.get("classified_as", [])
    ]
    stripped = {k: v for k, v in record.items() if k != "referred_to_by"}
    return {**stripped, "referred_to_by": kept} if kept else stripped


def with_notes(record: dict[str, Any], notes: list[Note], source_title: str) -> dict[str, Any]:
    """``record`` (as its source gave it) with the harvested interpretations about it."""
    if not notes:
        return record
    statements = [note_statement(n, source_title) for n in notes]
    return {**record, "referred_to_by": [*record.get("referred_to_by", []), *statements]}


def twin_record(origin: Origin, said: Described) -> dict[str, Any]:
    """The twin's Linked Art record."""
    local = local_id(origin.identifier)
    title = said.titles[0] if said.titles else origin.identifier
    # The texts' language, when the source says it (a contributed sheet does).
    spoken = {"language": [language_term(said.language)]} if said.language else {}
    names = [
        {"type": "Name", "content": t, "classified_as": [PRIMARY_NAME] if i == 0 else [], **spoken}
        for i, t in enumerate(said.titles or [title])
    ]
    identifiers = [
        {"type": "Identifier", "content": i, "classified_as": [SOURCE_NUMBER] if n == 0 else []}
        for n, i in enumerate([origin.identifier, *said.identifiers])
    ]
    record: dict[str, Any] = {
        "@context": "https://linked.art/ns/v1/linked-art.json",
        "id": f"{OBJECT}{origin.collection}/{local}",
        "type": "HumanMadeObject",
        "_label": title,
        "identified_by": names + identifiers,
        "classified_as": [{"type": "Type", "_label": t} for t in said.types],
        "subject_of": [
            {
                "id": f"urn:echoes:record:{origin.collection}/{local}",
                "type": "LinguisticObject",
                "_label": f"{title}, in {origin.source_title}",
                "classified_as": [RECORD],
                "digitally_carried_by": [
                    {
                        "id": origin.dataset,
                        "type": "DigitalObject",
                        "_label": origin.source_title,
                        "access_point": [{"id": origin.url, "type": "DigitalObject"}],
                    }
                ],
            }
        ],
    }
    statements = [
        {"type": "LinguisticObject", "content": d, "classified_as": [DESCRIPTION], **spoken}
        for d in said.descriptions
    ]
    statements += [
        {"type": "LinguisticObject", "content": m, "_label": f"Medium: {m}", **spoken}
        for m in said.media
    ]
    statements += [
        {"type": "LinguisticObject", "content": f"Subject: {s}", **spoken} for s in said.subjects
    ]
    if statements:
        record["referred_to_by"] = statements
    production: dict[str, Any] = {}
    if said.creators:
        production["carried_out_by"] = [{"type": "Actor", "_label": c} for c in said.creators]
    if said.dates:
        production["timespan"] = {"type": "TimeSpan", "_label": said.dates[0]}
    if said.places:
        production["took_place_at"] = [{"type": "Place", "_label": p} for p in said.places]
    if production:
        record["produced_by"] = {"type": "Production", **production}
    if said.dimensions:
        record["dimension"] = said.dimensions
    if said.providers:
        record["current_owner"] = [{"type": "Group", "_label": p} for p in said.providers]
    images = [*said.shown_by, *said.shown_at]
    if images:
        record["representation"] = [
            {
                "type": "VisualItem",
                "_label": f"{title}, as its source shows it",
                "digitally_shown_by": [
                    {
                        "type": "DigitalObject",
                        "access_point": [{"id": url, "type": "DigitalObject"}],
                    }
                    for url in images
                ],
            }
        ]
    for number, service in enumerate(said.image_services, start=1):
        record.setdefault("representation", []).append(iiif_image(title, number, service))
    return record


def dimension(
    value: float, unit: str, unit_aat: str, axis: str = "", axis_aat: str = ""
) -> dict[str, Any]:
    """A Linked Art Dimension: ``value`` in ``unit`` (its Getty AAT number), of the
    ``axis`` (height, width..., its AAT number) when one is said."""
    found: dict[str, Any] = {
        "type": "Dimension",
        "value": value,
        "unit": {"id": AAT + unit_aat, "type": "MeasurementUnit", "_label": unit},
    }
    if axis:
        found["classified_as"] = [{"id": AAT + axis_aat, "type": "Type", "_label": axis}]
    return found


def iiif_image(title: str, number: int, service: str) -> dict[str, Any]:
    """An image of the object through its IIIF Image API ``service``, as Linked Art's
    digital integration has it: the image (a DigitalObject) with its access point, the
    whole at its largest size, and available via the service (a DigitalService that
    conforms to the Image API)."""
    return {
        "type": "VisualItem",
        "_label": f"{title}, image {number} of its source",
        "digitally_shown_by": [
            {
                "type": "DigitalObject",
                "_label": f"{title}, image {number} (IIIF Image API)",
                "classified_as": [DIGITAL_IMAGE],
                "format": "image/jpeg",
                "access_point": [
                    {"id": f"{service}/full/max/0/default.jpg", "type": "DigitalObject"}
                ],
                "digitally_available_via": [
                    {
                        "type": "DigitalService",
                        "access_point": [{"id": service, "type": "DigitalObject"}],
                        "conforms_to": [{"id": IIIF_IMAGE_API, "type": "InformationObject"}],
                    }
                ],
            }
        ],
    }


def withdrawn(record: dict[str, Any], when: str) -> dict[str, Any]:
    """``record`` marked withdrawn by its source at ``when``: kept, since interpretations
    may point at it."""
    note = {
        "type": "LinguisticObject",
        "content": f"Withdrawn by its source on {when}: kept here, since interpretations "
        "may point at it.",
    }
    return {**record, "referred_to_by": [*record.get("referred_to_by", []), note]}


def _node(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def twin_quads(origin: Origin, record: dict[str, Any], graph: str) -> list[ox.Quad]:
    """The twin's triples in its collection's ``graph`` (CIDOC-CRM, as the data build's)
    and its source record's provenance in the provenance graph."""
    me = _node(record["id"])
    source = _node(record["subject_of"][0]["id"])
    in_graph = _node(graph)
    names = [n for n in record.get("identified_by", []) if n.get("type") == "Name"]
    spoken = code_of(names[0]) if names else ""
    title = ox.Literal(record["_label"], language=spoken or None)
    quads = [
        ox.Quad(me, _node(RDF_TYPE), _node(CRM + "E22_Human-Made_Object"), in_graph),
        ox.Quad(me, _node(RDFS_LABEL), title, in_graph),
        ox.Quad(me, _node(CRM + "P129i_is_subject_of"), source, in_graph),
        ox.Quad(source, _node(RDFS_LABEL), ox.Literal(record["subject_of"][0]["_label"]), in_graph),
    ]
    for number, statement in enumerate(record.get("referred_to_by", []), start=1):
        node = _node(f"{record['id']}#statement-{number}")
        quads += [
            ox.Quad(me, _node(CRM + "P67i_is_referred_to_by"), node, in_graph),
            ox.Quad(
                node,
                _node(CRM + "P190_has_symbolic_content"),
                ox.Literal(statement["content"], language=code_of(statement) or None),
                in_graph,
            ),
        ]
    produced = record.get("produced_by")
    if produced:
        production = _node(f"{record['id']}#production")
        quads.append(ox.Quad(me, _node(CRM + "P108i_was_produced_by"), production, in_graph))
        for number, actor in enumerate(produced.get("carried_out_by", []), start=1):
            node = _node(f"{record['id']}#maker-{number}")
            quads += [
                ox.Quad(production, _node(CRM + "P14_carried_out_by"), node, in_graph),
                ox.Quad(node, _node(RDFS_LABEL), ox.Literal(actor["_label"]), in_graph),
            ]
        if "timespan" in produced:
            node = _node(f"{record['id']}#date")
            quads += [
                ox.Quad(production, _node(CRM + "P4_has_time-span"), node, in_graph),
                ox.Quad(
                    node, _node(RDFS_LABEL), ox.Literal(produced["timespan"]["_label"]), in_graph
                ),
            ]
    quads += provenance_quads(
        source,
        origin.identifier,
        origin.url,
        origin.dataset,
        origin.datestamp,
        origin.harvested,
        origin.withdrawn,
    )
    return quads


def provenance_quads(
    node: ox.NamedNode,
    identifier: str,
    url: str,
    dataset: str,
    datestamp: str,
    harvested: str,
    withdrawn_at: str,
) -> list[ox.Quad]:
    """Where a harvested record came from, in the provenance graph: the source's
    identifier and address of it, its dataset, when the source changed it, when it was
    harvested, and when the source withdrew it (if it did)."""
    provenance = _node(PROVENANCE_GRAPH)
    stamp = ox.NamedNode(XSD + "dateTime")
    quads = [
        ox.Quad(node, _node(DCTERMS + "source"), _node(url), provenance),
        ox.Quad(node, _node(DCTERMS + "identifier"), ox.Literal(identifier), provenance),
        ox.Quad(node, _node(DCTERMS + "isPartOf"), _node(dataset), provenance),
        ox.Quad(node, _node(DCTERMS + "modified"), ox.Literal(datestamp), provenance),
        ox.Quad(
            node,
            _node(PROV + "generatedAtTime"),
            ox.Literal(harvested, datatype=stamp),
            provenance,
        ),
    ]
    if withdrawn_at:
        quads.append(
            ox.Quad(node, _node(ECHOES + "withdrawnBySource"), ox.Literal(withdrawn_at), provenance)
        )
    return quads


def note_quads(note: Note, twins: list[str], dataset: str) -> list[ox.Quad]:
    """Where a harvested interpretation came from, in the provenance graph, and the twins
    of the objects it is on."""
    me = _node(note_id(note))
    provenance = _node(PROVENANCE_GRAPH)
    quads = [ox.Quad(me, _node(RDF_TYPE), _node(ECHOES + "HarvestedInterpretation"), provenance)]
    quads += provenance_quads(
        me, note.identifier, note.url, dataset, note.datestamp, note.harvested, note.withdrawn
    )
    quads += [ox.Quad(me, _node(DCTERMS + "subject"), _node(t), provenance) for t in twins]
    return quads
