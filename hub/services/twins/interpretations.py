"""Interpretations: the public annotations about objects, as nanopublications.

What people and agents say about an object is an annotation in the annotation service,
which decides who may read it. The twins service follows that service's change feed as an
anonymous reader (`follow`), so it only ever holds public annotations; this module turns
each one into what the graph and the pages show. No I/O here.

**Which annotations are about an object** (`ObjectIndex.objects_of`): one whose target
is the object's IRI (``urn:echoes:object:<collection>/<id>``); a region of the object's
image (a coin: a ``xywh=`` or SVG region whose centre lies in the coin's part of the
photograph's canvas); or rows of its table (``row=`` of the collection's catalog entry,
``urn:echoes:catalog:heritage/<theme>/<entry>``, row N being the N-th record). An
annotation whose target is such an annotation (an assessment, a reply) is a *response*.

**The nanopublication of an annotation** ``urn:echoes:interpretation:<uid>``, four named
graphs (https://nanopub.net/guidelines/working_draft/):

- ``#head``: the nanopublication and its three other graphs.
- ``#assertion``: what it says about the object in CIDOC-CRM: each claim (the relations of
  hub/services/annotations/claims.py: "depicts", "produced_at", "dated"...) and its text
  as a linguistic object that refers to the object (E33, P67i). A response's assertion is
  its author's belief about the proposition set it answers (CRMinf I2 Belief, J4 that,
  J5 holds to be "true" or "false"), or its reply's text.
- ``#provenance``: who made the assertion (a person; or a software agent with its name
  and version, acting for a person), when, from which annotation, how confident; and the
  author's own belief in it: an I5 Inference Making by the author that concluded an I2
  Belief that the assertion holds true. Several people's beliefs about one assertion are
  several beliefs, never one overwritten by another (the argumentation model of CRMinf).
- ``#pubinfo``: when it was published, by whom, what it is about (``dcterms:subject``
  the object), its visibility, and the annotation it comes from.

**Analyses are not interpretations** (`run_of`): a ``linking`` annotation whose body is
a run (``urn:echoes:run:...``, as `echoes link` writes it) says that an analysis used the
object, and claims nothing about it: it has no nanopublication, and the object lists it
among its analyses. In the graph it is a named graph of its own,
``urn:echoes:analysis:<uid>`` (`analysis_quads`): the run ``prov:used`` the objects.

**Status** (`status`): an agent's annotation is *proposed* until the person it acts for
accepts or rejects it (*accepted*, *rejected*); a person's is *asserted*. Any other
person's "rejected" or "contested" makes a proposed or asserted one *contested*; their
"accepted" or "agreed" is an agreement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..annotations.claims import CLAIMS, CRM, Claim, claim_of, is_claim
from ..annotations.errors import ValidationError

NANOPUB = "urn:echoes:interpretation:"
OBJECT = "urn:echoes:object:"
CATALOG = "urn:echoes:catalog:heritage/"
NP = "http://www.nanopub.org/nschema#"
PROV = "http://www.w3.org/ns/prov#"
CRMINF = "http://www.ics.forth.gr/isl/CRMinf/"
DCT = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCHEMA = "http://schema.org/"
#: The few terms of our own (status, confidence, visibility): no common vocabulary has them.
ECHOES = "urn:echoes:term:"
#: A run of a notebook (extensions/echoes/runs/link.py names runs so).
RUN = "urn:echoes:run:"
#: Verdicts of an assessment (a TextualBody with purpose assessing) and what each holds.
VERDICTS = {"accepted": True, "agreed": True, "rejected": False, "contested": False}
#: A verdict only the person an agent acts for gives (their own agent's proposal).
DECIDING = ("accepted", "rejected")
#: Most rows of a table one annotation links to objects (row=1-* would be every record).
MOST_ROWS = 100

_XYWH = re.compile(
    r"^xywh=(?:pixel:)?(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$"
)
_ROWS = re.compile(r"^row=(\d+)(?:-(\d+|\*))?$")
_POINTS = re.compile(r'points="([^"]*)"')

Quad = tuple[Any, ...]  # (subject, predicate, object, graph): terms as `iri` and `literal` make


def iri(value: str) -> tuple[str, str]:
    return ("iri", value)


def literal(value: Any, datatype: str | None = None) -> tuple:
    if datatype:
        return ("literal", str(value), datatype)
    return ("literal", str(value))


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class ObjectIndex:
    """Where annotations find objects: the object IRIs, each image region's coin and each
    catalog entry's rows (from the data build's records and index)."""

    iris: set[str] = field(default_factory=set)
    regions: dict[str, list[tuple[float, float, float, float, str]]] = field(default_factory=dict)
    rows: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, index: dict[str, Any], records: dict[str, dict[str, Any]]) -> ObjectIndex:
        found = cls()
        for collection, by_id in records.items():
            found.iris.update(r["id"] for r in by_id.values())
            entry = index.get(collection, {}).get("entry")
            if entry:
                found.rows[CATALOG + entry.replace(".", "/")] = [r["id"] for r in by_id.values()]
            for record in by_id.values():
                for visual in record.get("representation", []):
                    for digital in visual.get("digitally_shown_by", []):
                        for point in digital.get("access_point", []):
                            canvas, _, fragment = point.get("id", "").partition("#")
                            box = _XYWH.match(fragment)
                            if box:
                                x, y, w, h = map(float, box.groups())
                                found.regions.setdefault(canvas, []).append(
                                    (x, y, w, h, record["id"])
                                )
        return found

    def objects_of(self, doc: dict) -> list[str]:
        """The objects an annotation ``doc`` is about, in the order its targets name them."""
        found: list[str] = []
        for target in as_list(doc.get("target")):
            source = target if isinstance(target, str) else target.get("source")
            if isinstance(source, dict):
                source = source.get("id")
            if not isinstance(source, str):
                continue
            if source in self.iris:
                found.append(source)
                continue
            selectors = [] if isinstance(target, str) else as_list(target.get("selector"))
            for selector in selectors:
                if not isinstance(selector, dict):
                    continue
                found += self._selected(source, selector)
        return list(dict.fromkeys(found))

    def _selected(self, source: str, selector: dict) -> list[str]:
        value = selector.get("value", "")
        if not isinstance(value, str):
            return []
        if source in self.regions:
            centre = _centre(selector.get("type"), value)
            if centre is None:
                return []
            cx, cy = centre
            return [
                obj
                for x, y, w, h, obj in self.regions[source]
                if x <= cx <= x + w and y <= cy <= y + h
            ]
        rows = self.rows.get(source)
        found = _ROWS.match(value)
        if rows is None or found is None:
            return []
        first = int(found.group(1))
        last = found.group(2)
        end = len(rows) if last == "*" else int(last or first)
        return rows[max(first, 1) - 1 : min(end, first + MOST_ROWS - 1, len(rows))]


def _bounds(kind: Any, value: str) -> tuple[float, float, float, float] | None:
    """The bounding box (x, y, w, h) of an image region selector (a FragmentSelector's
    xywh, an SVG polygon)."""
    if kind == "SvgSelector":
        found = _POINTS.search(value)
        if not found:
            return None
        try:
            points = [tuple(map(float, p.split(","))) for p in found.group(1).split()]
        except ValueError:
            return None
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if not xs or not ys:
            return None
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    box = _XYWH.match(value)
    if box is None:
        return None
    x, y, w, h = map(float, box.groups())
    return x, y, w, h


def _centre(kind: Any, value: str) -> tuple[float, float] | None:
    """The centre of an image region selector."""
    box = _bounds(kind, value)
    if box is None:
        return None
    x, y, w, h = box
    return x + w / 2, y + h / 2


def image_regions(doc: dict) -> list[dict[str, Any]]:
    """The image regions an annotation targets: each ``{canvas, bounds: [x, y, w, h]}``
    (a polygon by its bounding box), in the order its targets name them."""
    found = []
    for target in as_list(doc.get("target")):
        if not isinstance(target, dict) or not isinstance(target.get("source"), str):
            continue
        for selector in as_list(target.get("selector")):
            if isinstance(selector, dict) and isinstance(selector.get("value"), str):
                box = _bounds(selector.get("type"), selector["value"])
                if box is not None:
                    found.append({"canvas": target["source"], "bounds": list(box)})
    return found


def responds_to(doc: dict) -> list[str]:
    """The annotation IRIs an annotation targets (what an assessment or reply answers)."""
    found = []
    for target in as_list(doc.get("target")):
        source = target if isinstance(target, str) else target.get("source")
        if isinstance(source, str) and "/services/annotations/containers/" in source:
            found.append(source)
    return found


def bodies(doc: dict) -> list[Any]:
    found = as_list(doc.get("body"))
    if isinstance(doc.get("bodyValue"), str):
        found.append({"type": "TextualBody", "value": doc["bodyValue"]})
    return found


def text_of(doc: dict) -> str:
    """The annotation's words: its textual bodies that are neither verdicts nor claims."""
    return " ".join(
        b["value"].strip()
        for b in bodies(doc)
        if isinstance(b, dict)
        and isinstance(b.get("value"), str)
        and not is_claim(b)
        and "assessing" not in as_list(b.get("purpose"))
    ).strip()


def verdict_of(doc: dict) -> str | None:
    """An assessment's verdict (accepted, agreed, rejected, contested), or None."""
    for body in bodies(doc):
        if isinstance(body, dict) and "assessing" in as_list(body.get("purpose")):
            value = str(body.get("value", "")).strip().lower()
            if value in VERDICTS:
                return value
    if "assessing" in as_list(doc.get("motivation")):
        for body in bodies(doc):
            value = str(body.get("value", "") if isinstance(body, dict) else "").strip().lower()
            if value in VERDICTS:
                return value
    return None


def run_of(doc: dict) -> dict | None:
    """The run a ``linking`` annotation links its target to (its body), or None: the
    annotation is then no analysis."""
    if "linking" not in as_list(doc.get("motivation")):
        return None
    for body in bodies(doc):
        if isinstance(body, dict) and str(body.get("id", "")).startswith(RUN):
            return body
    return None


def claims(doc: dict) -> list[Claim]:
    """The annotation's claims; one the annotation service would refuse is left out."""
    found = []
    for body in bodies(doc):
        if is_claim(body):
            try:
                found.append(claim_of(body, "body"))
            except ValidationError:
                continue
    return found


def person_of(creator: Any) -> str:
    """The IRI of the person behind a creator (a Software agent's actedOnBehalfOf)."""
    if not isinstance(creator, dict):
        return ""
    if creator.get("type") == "Software":
        return person_of(creator.get("actedOnBehalfOf"))
    return str(creator.get("id", ""))


# --- status ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    creator: dict
    verdict: str
    at: str


def status(doc: dict, verdicts: list[Verdict]) -> tuple[str, list[Verdict], list[dict], list[dict]]:
    """The status of an interpretation given the verdicts of its responses (in the order
    made): the status, the verdicts that decided it, who agrees and who contests."""
    creator = doc.get("creator") or {}
    software = isinstance(creator, dict) and creator.get("type") == "Software"
    owner = person_of(creator)
    state = "proposed" if software else "asserted"
    deciding = [
        v for v in verdicts if software and v.verdict in DECIDING and person_of(v.creator) == owner
    ]
    others = [v for v in verdicts if person_of(v.creator) != owner]
    agree = _unique(v.creator for v in others if VERDICTS[v.verdict])
    contest = _unique(v.creator for v in others if not VERDICTS[v.verdict])
    if deciding:
        state = deciding[-1].verdict
        by = [deciding[-1]]
    elif contest:
        state = "contested"
        by = [v for v in others if not VERDICTS[v.verdict]]
    else:
        by = []
    return state, by, agree, contest


def _unique(creators) -> list[dict]:
    found: dict[str, dict] = {}
    for creator in creators:
        found.setdefault(str(creator.get("id", "")), creator)
    return list(found.values())


def adopted(state: str, agree: list[dict], contest: list[dict]) -> bool:
    """Whether the current view adopts an interpretation (`POLICY`, version 1): accepted
    by the person its agent acts for, or asserted by a person and agreed by another one;
    and contested by nobody."""
    if contest:
        return False
    return state == "accepted" or (state == "asserted" and bool(agree))


#: The policy that derives the current view, described in the graph (`policy_quads`).
POLICY = "urn:echoes:policy:current-view/1"
POLICY_TEXT = (
    "Version 1. The current view of an object is what its source records say (each "
    "collection's graph, as the owning institution published it) plus the assertions of "
    "the public interpretations it adopts: those accepted by the person whose agent "
    "proposed them, or asserted by a person and agreed by another, and contested by nobody."
)
CURRENT = "urn:echoes:graph:current"
VIEWS = "urn:echoes:graph:views"


# --- RDF ---------------------------------------------------------------------------------


def nanopub_iri(annotation_iri: str) -> str:
    return NANOPUB + annotation_iri.rstrip("/").rsplit("/", 1)[-1]


def graphs_of(nanopub: str) -> list[str]:
    return [f"{nanopub}#{part}" for part in ("head", "assertion", "provenance", "pubinfo")]


def agent_quads(creator: Any, graph: str) -> list[Quad]:
    if not isinstance(creator, dict) or not isinstance(creator.get("id"), str):
        return []
    who = iri(creator["id"])
    g = iri(graph)
    if creator.get("type") == "Software":
        found = [
            (who, iri(RDF + "type"), iri(PROV + "SoftwareAgent"), g),
            (who, iri(RDFS + "label"), literal(creator.get("name", "")), g),
        ]
        if creator.get("version"):
            found.append((who, iri(SCHEMA + "softwareVersion"), literal(creator["version"]), g))
        person = creator.get("actedOnBehalfOf")
        if isinstance(person, dict) and isinstance(person.get("id"), str):
            found.append((who, iri(PROV + "actedOnBehalfOf"), iri(person["id"]), g))
            found += agent_quads(person, graph)
        return found
    name = creator.get("nickname") or creator.get("name") or creator["id"]
    return [
        (who, iri(RDF + "type"), iri(PROV + "Person"), g),
        (who, iri(RDF + "type"), iri(CRM + "E21_Person"), g),
        (who, iri(RDFS + "label"), literal(name), g),
    ]


def claim_quads(subject: tuple, claim: Claim, nanopub: str, graph: tuple) -> list[Quad]:
    """The triples of one claim about ``subject``; intermediate nodes (the production,
    its time-span) are the nanopublication's own, shared by its claims."""
    path = claim.relation.path
    found: list[Quad] = []
    node = subject
    for step in path[:-1]:
        inner = iri(f"{nanopub}#production")
        found.append((node, iri(CRM + step), inner, graph))
        found.append((inner, iri(RDF + "type"), iri(CRM + "E12_Production"), graph))
        node = inner
    if claim.relation.value == "years":
        span = iri(f"{nanopub}#time-span")
        first, last = claim.years
        found += [
            (node, iri(CRM + path[-1]), span, graph),
            (span, iri(RDF + "type"), iri(CRM + "E52_Time-Span"), graph),
            (
                span,
                iri(CRM + "P82a_begin_of_the_begin"),
                literal(_year(first), XSD + "gYear"),
                graph,
            ),
            (span, iri(CRM + "P82b_end_of_the_end"), literal(_year(last), XSD + "gYear"), graph),
            (span, iri(RDFS + "label"), literal(claim.label), graph),
        ]
    else:
        value = iri(claim.value)
        found.append((node, iri(CRM + path[-1]), value, graph))
        if claim.label != claim.value:
            found.append((value, iri(RDFS + "label"), literal(claim.label), graph))
    return found


def _year(year: int) -> str:
    return f"-{abs(year):04d}" if year < 0 else f"{year:04d}"


def note_quads(subject: tuple, text: str, nanopub: str, graph: tuple) -> list[Quad]:
    note = iri(f"{nanopub}#note")
    return [
        (subject, iri(CRM + "P67i_is_referred_to_by"), note, graph),
        (note, iri(RDF + "type"), iri(CRM + "E33_Linguistic_Object"), graph),
        (note, iri(CRM + "P190_has_symbolic_content"), literal(text), graph),
    ]


def belief_quads(
    node: str, that: str, holds: bool, who: Any, graph: tuple, kind: str
) -> list[Quad]:
    """``who`` concluded (by an ``kind`` activity: I5 Inference Making for an author, I7
    Belief Adoption for another person) a belief that ``that`` holds ``holds``."""
    activity, belief = iri(f"{node}-activity"), iri(f"{node}")
    found = [
        (activity, iri(RDF + "type"), iri(CRMINF + kind), graph),
        (activity, iri(CRMINF + "J2_concluded_that"), belief, graph),
        (belief, iri(RDF + "type"), iri(CRMINF + "I2_Belief"), graph),
        (belief, iri(CRMINF + "J4_that"), iri(that), graph),
        (belief, iri(CRMINF + "J5_holds_to_be"), literal("true" if holds else "false"), graph),
        (iri(that), iri(RDF + "type"), iri(CRMINF + "I4_Proposition_Set"), graph),
    ]
    if isinstance(who, dict) and isinstance(who.get("id"), str):
        found.append((activity, iri(CRM + "P14_carried_out_by"), iri(who["id"]), graph))
    return found


def nanopub_quads(
    annotation: str, doc: dict, objects: list[str], answers: str | None = None
) -> list[Quad]:
    """The four graphs of the nanopublication of the public annotation ``annotation``
    (``doc``) about ``objects``; ``answers``: for a response, the nanopublication of the
    interpretation it answers."""
    nanopub = nanopub_iri(annotation)
    head, assertion, provenance, pubinfo = (iri(g) for g in graphs_of(nanopub))
    np_ = iri(nanopub)
    creator = doc.get("creator") or {}
    made = str(doc.get("created") or doc.get("modified") or "")
    found: list[Quad] = [
        (np_, iri(RDF + "type"), iri(NP + "Nanopublication"), head),
        (np_, iri(NP + "hasAssertion"), assertion, head),
        (np_, iri(NP + "hasProvenance"), provenance, head),
        (np_, iri(NP + "hasPublicationInfo"), pubinfo, head),
    ]
    text = text_of(doc)
    if answers is None:
        for obj in objects:
            for claim in claims(doc):
                found += claim_quads(iri(obj), claim, nanopub, assertion)
            if text:
                found += note_quads(iri(obj), text, nanopub, assertion)
        # The author's own belief in what they assert.
        found += belief_quads(
            f"{nanopub}#belief", assertion[1], True, creator, provenance, "I5_Inference_Making"
        )
    else:
        verdict = verdict_of(doc)
        answered = f"{answers}#assertion"
        if verdict is not None:
            found += belief_quads(
                f"{nanopub}#belief",
                answered,
                VERDICTS[verdict],
                creator,
                assertion,
                "I7_Belief_Adoption",
            )
        if text:
            found += note_quads(iri(answered), text, nanopub, assertion)
    if isinstance(creator, dict) and isinstance(creator.get("id"), str):
        found.append((assertion, iri(PROV + "wasAttributedTo"), iri(creator["id"]), provenance))
        found += agent_quads(creator, provenance[1])
        found.append((np_, iri(DCT + "creator"), iri(creator["id"]), pubinfo))
    found.append((assertion, iri(PROV + "wasDerivedFrom"), iri(annotation), provenance))
    if made:
        found.append(
            (assertion, iri(PROV + "generatedAtTime"), literal(made, XSD + "dateTime"), provenance)
        )
        found.append((np_, iri(DCT + "created"), literal(made, XSD + "dateTime"), pubinfo))
    confidence = doc.get("confidence")
    if isinstance(confidence, int | float) and not isinstance(confidence, bool):
        found.append(
            (assertion, iri(ECHOES + "confidence"), literal(confidence, XSD + "double"), provenance)
        )
    found += [(np_, iri(DCT + "subject"), iri(obj), pubinfo) for obj in objects]
    found += [
        (np_, iri(PROV + "wasDerivedFrom"), iri(annotation), pubinfo),
        (np_, iri(ECHOES + "visibility"), literal("public"), pubinfo),
    ]
    if answers is not None:
        found.append((np_, iri(ECHOES + "answers"), iri(answers), pubinfo))
    return found


#: The named graph of each link of a run to objects: ``urn:echoes:analysis:<uid>``.
ANALYSIS = "urn:echoes:analysis:"


def analysis_quads(annotation: str, doc: dict, objects: list[str]) -> list[Quad]:
    """A public link of a run to ``objects`` (`run_of`), in a named graph of its own (so
    that two links of one run share no quad): the run used each object (PROV), its name,
    when it ended, who ran it, and the annotation it comes from."""
    run = run_of(doc) or {}
    graph = iri(ANALYSIS + annotation.rstrip("/").rsplit("/", 1)[-1])
    activity = iri(str(run.get("id", "")))
    found: list[Quad] = [
        (activity, iri(RDF + "type"), iri(PROV + "Activity"), graph),
        (graph, iri(PROV + "wasDerivedFrom"), iri(annotation), graph),
    ]
    found += [(activity, iri(PROV + "used"), iri(obj), graph) for obj in objects]
    if isinstance(run.get("label"), str):
        found.append((activity, iri(RDFS + "label"), literal(run["label"]), graph))
    if isinstance(run.get("created"), str):
        ended = literal(run["created"], XSD + "dateTime")
        found.append((activity, iri(PROV + "endedAtTime"), ended, graph))
    creator = doc.get("creator") or {}
    if isinstance(creator, dict) and isinstance(creator.get("id"), str):
        found.append((activity, iri(PROV + "wasAssociatedWith"), iri(creator["id"]), graph))
    return found


def adopted_quads(assertion_quads: list[Quad]) -> list[Quad]:
    """An adopted interpretation's assertion, as the current view holds it."""
    return [(s, p, o, iri(CURRENT)) for s, p, o, _ in assertion_quads]


def policy_quads() -> list[Quad]:
    g = iri(VIEWS)
    return [
        (iri(POLICY), iri(RDF + "type"), iri(PROV + "Plan"), g),
        (iri(POLICY), iri(SCHEMA + "version"), literal("1"), g),
        (iri(POLICY), iri(RDFS + "comment"), literal(POLICY_TEXT), g),
        (iri(CURRENT), iri(PROV + "wasGeneratedBy"), iri(f"{POLICY}#derivation"), g),
        (iri(f"{POLICY}#derivation"), iri(PROV + "used"), iri(POLICY), g),
    ]


def relation_words(name: str) -> str:
    return CLAIMS[name].words if name in CLAIMS else name
