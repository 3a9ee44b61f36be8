"""The twins and the public interpretations in the formats aggregators harvest: simple
Dublin Core (``oai_dc``) and the Europeana Data Model (``edm``, RDF/XML), for the OAI-PMH
provider (`oai`).

A Linked Art record says more than either format can; the crosswalk keeps what each
format has a place for, as Europeana's own mapping guidelines do: names, identifiers,
types (with their Getty AAT ids in EDM), production (who, when, where), statements,
measurements as text, the current owner (EDM's data provider), rights and the source.
An object's EDM record points at its page (``edm:isShownAt``) and, for an object of an
image, at its region in the IIIF service with the image service described as EDM's IIIF
profile asks (``svcs:Service``). An interpretation is an annotation, which EDM has no
class for: it is offered as Dublin Core only. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import Element, SubElement, register_namespace

from .linkedart import CANVAS_REGION, image_service, label
from .pages import creator_text, image_regions, measurements, number

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
EDM = "http://www.europeana.eu/schemas/edm/"
ORE = "http://www.openarchives.org/ore/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SVCS = "http://rdfs.org/sioc/services#"
DOAP = "http://usefulinc.com/ns/doap#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

PREFIXES = {
    "oai_dc": OAI_DC,
    "dc": DC,
    "dcterms": DCTERMS,
    "edm": EDM,
    "ore": ORE,
    "rdf": RDF,
    "svcs": SVCS,
    "doap": DOAP,
    "xsi": XSI,
}
for _prefix, _namespace in PREFIXES.items():
    register_namespace(_prefix, _namespace)

#: The metadata formats offered: prefix -> (schema, namespace), as ListMetadataFormats says.
FORMATS = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC),
    "edm": ("http://www.europeana.eu/schemas/edm/EDM.xsd", EDM),
}
#: The formats of an interpretation (an annotation: no EDM class fits it).
INTERPRETATION_FORMATS = ("oai_dc",)

#: The collections' licences (SPDX, as the data build records them) as the rights URIs
#: aggregators take. GPL-3.0 is no rights statement Europeana accepts: it is given as
#: the licence's own address, and an aggregator may refuse such records.
RIGHTS = {
    "CC0-1.0": "http://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "http://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "http://creativecommons.org/licenses/by-sa/4.0/",
    "LicenseRef-No-Known-Copyright-Restrictions": "http://rightsstatements.org/vocab/NKC/1.0/",
    "GPL-3.0-only": "https://www.gnu.org/licenses/gpl-3.0.html",
}
AAT = "http://vocab.getty.edu/aat/"


def rights_uri(spdx: str) -> str:
    """A licence as a rights URI: its entry in `RIGHTS`, else its SPDX page."""
    return RIGHTS.get(spdx) or f"https://spdx.org/licenses/{quote(spdx)}.html"


@dataclass(frozen=True)
class Twin:
    """What the crosswalk reads for one object: its record, its collection's index entry,
    its page and the IIIF service's public URL."""

    record: dict[str, Any]
    entry: dict[str, Any]
    page: str
    iiif_url: str


def dc_root(parent: Element | None = None) -> Element:
    """An ``oai_dc:dc`` element (under ``parent``, if given), with its schema location."""
    attributes = {f"{{{XSI}}}schemaLocation": f"{OAI_DC} {FORMATS['oai_dc'][0]}"}
    if parent is None:
        return Element(f"{{{OAI_DC}}}dc", attributes)
    return SubElement(parent, f"{{{OAI_DC}}}dc", attributes)


def _add(parent: Element, namespace: str, name: str, text: str = "", **attributes: str) -> None:
    if text or attributes:
        element = SubElement(parent, f"{{{namespace}}}{name}", attributes)
        if text:
            element.text = text


def _resource(parent: Element, namespace: str, name: str, iri: str) -> None:
    SubElement(parent, f"{{{namespace}}}{name}", {f"{{{RDF}}}resource": iri})


def _names(record: dict[str, Any], kind: str) -> list[str]:
    return [str(n["content"]) for n in record.get("identified_by", []) if n.get("type") == kind]


def _produced(record: dict[str, Any]) -> tuple[list[dict], list[dict], list[dict]]:
    produced = record.get("produced_by") or {}
    when = [produced["timespan"]] if "timespan" in produced else []
    return produced.get("carried_out_by", []), when, produced.get("took_place_at", [])


def _measured(record: dict[str, Any]) -> list[str]:
    return [
        f"{m.what}: {number(m.value)}{f' {m.unit}' if m.unit else ''}"
        + (f" (by {m.by}{f', {m.when}' if m.when else ''})" if m.by else "")
        for m in measurements(record)
    ]


def twin_dc(twin: Twin) -> Element:
    """An object as simple Dublin Core (``oai_dc:dc``)."""
    record, entry = twin.record, twin.entry
    root = dc_root()
    names = _names(record, "Name") or [label(record)]
    for name in names:
        _add(root, DC, "title", name)
    makers, dates, places = _produced(record)
    for maker in makers:
        _add(root, DC, "creator", label(maker))
    for date in dates:
        _add(root, DC, "date", label(date))
    for place in [*places, *record.get("part_of", [])]:
        _add(root, DC, "coverage", label(place))
    for kind in record.get("classified_as", []):
        _add(root, DC, "type", label(kind))
    _add(root, DC, "type", "PhysicalObject")
    for statement in record.get("referred_to_by", []):
        _add(root, DC, "description", label(statement))
    for measured in _measured(record):
        _add(root, DC, "description", measured)
    for group in record.get("member_of", []):
        _add(root, DC, "description", f"Member of {label(group)}")
    for owner in record.get("current_owner", []):
        _add(root, DC, "description", f"Current owner: {label(owner)}")
    for identifier in [record["id"], twin.page, *_names(record, "Identifier")]:
        _add(root, DC, "identifier", identifier)
    _add(root, DC, "source", entry["citation"])
    _add(root, DC, "relation", entry["dataset"])
    _add(root, DC, "rights", rights_uri(entry["licence"]))
    return root


def _image(twin: Twin) -> tuple[str, str] | None:
    """The object's first image region in the IIIF service: the image URL and its image
    service (None: the object has no region of a served image)."""
    image = twin.entry.get("iiif_image")
    for _, address in image_regions(twin.record):
        _, _, region = address.partition(CANVAS_REGION)
        if image and region:
            service = image_service(twin.iiif_url, image)
            return f"{service}/{region}/max/0/default.jpg", service
    return None


def twin_edm(twin: Twin) -> Element:
    """An object as EDM: its ``edm:ProvidedCHO``, the ``ore:Aggregation`` that gives its
    page, image and rights, and the image's ``edm:WebResource`` with its IIIF service."""
    record, entry = twin.record, twin.entry
    iri = record["id"]
    root = Element(f"{{{RDF}}}RDF")
    cho = SubElement(root, f"{{{EDM}}}ProvidedCHO", {f"{{{RDF}}}about": iri})
    for name in _names(record, "Name") or [label(record)]:
        _add(cho, DC, "title", name)
    for identifier in _names(record, "Identifier"):
        _add(cho, DC, "identifier", identifier)
    makers, dates, places = _produced(record)
    for maker in makers:
        _add(cho, DC, "creator", label(maker))
    for date in dates:
        _add(cho, DCTERMS, "created", label(date))
    for place in [*places, *record.get("part_of", [])]:
        _add(cho, DCTERMS, "spatial", label(place))
    for kind in record.get("classified_as", []):
        if str(kind.get("id", "")).startswith(AAT):
            _resource(cho, DC, "type", kind["id"])
        else:
            _add(cho, DC, "type", label(kind))
    for statement in record.get("referred_to_by", []):
        kinds = [label(k) for k in statement.get("classified_as", [])]
        name = "medium" if "Material Statement" in kinds else "description"
        _add(cho, DCTERMS if name == "medium" else DC, name, label(statement))
    for measured in _measured(record):
        _add(cho, DCTERMS, "extent", measured)
    _add(cho, DC, "source", entry["citation"])
    image = _image(twin)
    # EDM's type says what the digital representation is: a photograph, or a record.
    _add(cho, EDM, "type", "IMAGE" if image else "TEXT")

    aggregation = SubElement(
        root, f"{{{ORE}}}Aggregation", {f"{{{RDF}}}about": f"{iri}#aggregation"}
    )
    _resource(aggregation, EDM, "aggregatedCHO", iri)
    owners = [label(o) for o in record.get("current_owner", [])] or [entry["title"]]
    _add(aggregation, EDM, "dataProvider", owners[0])
    _add(aggregation, EDM, "provider", "ECHOES VRE")
    _resource(aggregation, EDM, "isShownAt", twin.page)
    if image:
        _resource(aggregation, EDM, "isShownBy", image[0])
    _resource(aggregation, EDM, "rights", rights_uri(entry["licence"]))
    if image:
        url, service = image
        resource = SubElement(root, f"{{{EDM}}}WebResource", {f"{{{RDF}}}about": url})
        _resource(resource, SVCS, "has_service", service)
        _resource(resource, EDM, "rights", rights_uri(entry["licence"]))
        described = SubElement(root, f"{{{SVCS}}}Service", {f"{{{RDF}}}about": service})
        _resource(described, DCTERMS, "conformsTo", "http://iiif.io/api/image")
        _resource(described, DOAP, "implements", "http://iiif.io/api/image/3/level2.json")
    return root


def interpretation_dc(item: dict[str, Any], objects: list[str]) -> Element:
    """A public interpretation (as the commons describes it) as simple Dublin Core: its
    words, who made it, when, what it is about, its status and confidence."""
    root = dc_root()
    claims = [
        f"{c['words']} {c['value'].get('label') or c['value'].get('id') or c['value'].get('value')}"
        for c in item.get("claims", [])
    ]
    _add(root, DC, "title", str(item.get("text") or "; ".join(claims) or "An interpretation"))
    _add(root, DC, "creator", creator_text(item.get("creator") or ""))
    _add(root, DC, "date", str(item.get("created") or ""))
    _add(root, DC, "type", "Annotation")
    for motivation in item.get("motivation", []):
        _add(root, DC, "subject", str(motivation))
    for claim in claims:
        _add(root, DC, "description", f"Claims that the object {claim}")
    confidence = item.get("confidence")
    status = f"Status: {item.get('status')}"
    if confidence is not None:
        status += f"; confidence {confidence}"
    _add(root, DC, "description", status)
    _add(root, DC, "identifier", item["annotation"])
    _add(root, DC, "identifier", item["id"])
    for obj in objects:
        _add(root, DC, "relation", obj)
    return root
