"""An object's page: its Linked Art record as plain HTML, every value escaped.

What the record says, in the order a reader looks for it: title, identifiers, types,
production (who, when, where), dimensions and measurements, owner, rights, the source
(data set, licence, citation) and the images (a region of an image in the IIIF service).
Links to the same object as JSON-LD and Turtle (``?format=``) and its IRI.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

CANVAS_REGION = "#xywh="


def label(node: dict[str, Any]) -> str:
    return str(node.get("_label") or node.get("content") or node.get("id") or node.get("type"))


def term(node: dict[str, Any]) -> str:
    """A linked term: its label, linked to its id when the id is a web address."""
    text = escape(label(node))
    iri = node.get("id", "")
    return f'<a href="{escape(iri)}">{text}</a>' if iri.startswith("http") else text


def kinds(node: dict[str, Any]) -> str:
    found = [term(t) for t in node.get("classified_as", [])]
    return f" ({', '.join(found)})" if found else ""


def items(rows: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{row}</li>" for row in rows) + "</ul>" if rows else ""


def section(title: str, body: str) -> str:
    return f"<h2>{escape(title)}</h2>\n{body}\n" if body else ""


def production(record: dict[str, Any]) -> list[str]:
    produced = record.get("produced_by")
    if not produced:
        return []
    rows = [f"by {term(agent)}" for agent in produced.get("carried_out_by", [])]
    if "timespan" in produced:
        rows.append(f"in {escape(label(produced['timespan']))}")
    rows += [f"at {term(place)}" for place in produced.get("took_place_at", [])]
    return rows


def dimensions(record: dict[str, Any]) -> list[str]:
    rows = [escape(label(d)) for d in record.get("dimension", [])]
    for assignment in record.get("attributed_by", []):
        who = ", ".join(label(a) for a in assignment.get("carried_out_by", []))
        for d in assignment.get("assigned", []):
            rows.append(f"{escape(label(d))} (assigned by {escape(who)})")
    return rows


def rights(record: dict[str, Any]) -> list[str]:
    """The rights of the object and of its images (the data set's licence is the source's)."""
    nodes = [
        record,
        *(d for v in record.get("representation", []) for d in v.get("digitally_shown_by", [])),
    ]
    return [
        f"{term(kind)} ({escape(label(node))})"
        for node in nodes
        for right in node.get("subject_to", [])
        for kind in right.get("classified_as", [])
    ]


def image_regions(record: dict[str, Any]) -> list[str]:
    """Each image of the object, as the IIIF addresses of its region in the image."""
    found = []
    for visual in record.get("representation", []):
        for digital in visual.get("digitally_shown_by", []):
            for point in digital.get("access_point", []):
                found.append((label(visual), point["id"]))
    return found


def render(record: dict[str, Any], entry: dict[str, Any], page_url: str, iiif_url: str) -> str:
    """The page of ``record`` (its collection's index ``entry``); ``page_url``: this
    page's address (without query), ``iiif_url``: the IIIF service's public URL."""
    title = escape(label(record))
    identifiers = [
        f"{escape(i['content'])}{kinds(i)}"
        for i in record.get("identified_by", [])
        if i.get("type") == "Identifier"
    ]
    names = [
        f"{escape(n['content'])}{kinds(n)}"
        for n in record.get("identified_by", [])
        if n.get("type") == "Name"
    ]
    statements = [f"{escape(label(s))}{kinds(s)}" for s in record.get("referred_to_by", [])]
    places = [term(p) for p in record.get("part_of", [])]
    owners = [term(o) for o in record.get("current_owner", [])]
    groups = [term(g) for g in record.get("member_of", [])]
    images = []
    image = entry.get("iiif_image")
    for what, address in image_regions(record):
        region = address.partition(CANVAS_REGION)[2]
        if image and region:
            base = f"{iiif_url}image/3/{quote(image, safe='')}"
            src = f"{base}/{region}/max/0/default.jpg"
            images.append(
                f'<a href="{escape(base)}/info.json"><img src="{escape(src)}" '
                f'alt="{escape(what)}"></a> {escape(what)}'
            )
        else:
            images.append(f'<a href="{escape(address)}">{escape(what)}</a>')
    source = [
        f"{escape(entry['title'])} ({escape(entry['entry'])})",
        f"Licence: {escape(entry['licence'])}",
        f"Cite as: {escape(entry['citation'])}",
    ]
    source += [escape(label(s)) for s in record.get("subject_of", [])]
    iri = escape(record["id"])
    body = "".join(
        [
            f"<h1>{title}</h1>\n",
            f"<p>IRI: <code>{iri}</code>; type {escape(record['type'])}{kinds(record)}</p>\n",
            section("Names", items(names)),
            section("Identifiers", items(identifiers)),
            section("Production", items(production(record))),
            section("Dimensions and measurements", items(dimensions(record))),
            section("Statements", items(statements)),
            section("Part of", items(places)),
            section("Member of", items(groups)),
            section("Current owner", items(owners)),
            section("Rights", items(rights(record))),
            section("Images", items(images)),
            section("Source, rights and citation", items(source)),
            section(
                "This object as data",
                items(
                    [
                        f'<a href="{escape(page_url)}?format=json-ld">Linked Art JSON-LD</a>',
                        f'<a href="{escape(page_url)}?format=turtle">Turtle</a>',
                    ]
                ),
            ),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body>\n{body}</body>\n</html>\n"
    )
