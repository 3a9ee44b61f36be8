"""A IIIF Presentation 3 manifest for each object shown in an image, and a collection of
them all: what a IIIF viewer (Mirador, Universal Viewer) or an aggregator opens.

An object's manifest reuses its photograph's canvas, the same canvas id the data build
gave it (what annotations target), so an annotation made on the photograph in any tool
belongs to the object's manifest too. On it: the photograph through the IIIF service's
Image API, the object's region as a ``tagging`` annotation named after the object, and
the annotation service's page of the canvas's public annotations. Its metadata, rights
and attribution come from the twin's record; ``homepage`` is the object's page,
``seeAlso`` its Linked Art record, ``partOf`` the photograph's manifest. No I/O here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..iiif.presentation import annotations_page
from .crosswalk import RIGHTS
from .linkedart import CANVAS_REGION, image_service, label
from .pages import image_regions
from .related import Canvas
from .store import Snapshot

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
LINKED_ART_PROFILE = "https://linked.art/ns/v1/linked-art.json"
#: IIIF's ``rights`` takes Creative Commons and RightsStatements.org URIs only.
IIIF_RIGHTS = ("http://creativecommons.org/", "http://rightsstatements.org/")
COLLECTION = "iiif/collection.json"


def regions(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Each region of an image the object is: what it shows, its canvas, its xywh."""
    found = []
    for what, address in image_regions(record):
        canvas, _, region = address.partition(CANVAS_REGION)
        if region:
            found.append((what, canvas, region))
    return found


def shown(record: dict[str, Any], entry: dict[str, Any], canvases: dict[str, Canvas]) -> bool:
    """Whether the object has a manifest: a region of a served image whose canvas is known."""
    return bool(entry.get("iiif_image")) and any(c in canvases for _, c, _ in regions(record))


def text(value: str, language: str = "en") -> dict[str, list[str]]:
    return {language: [value]}


def pair(name: str, value: str) -> dict[str, Any]:
    return {"label": text(name), "value": text(value, "none")}


def metadata(record: dict[str, Any]) -> list[dict[str, Any]]:
    found = [
        pair("Identifier", str(i["content"]))
        for i in record.get("identified_by", [])
        if i.get("type") == "Identifier"
    ]
    found += [pair("Type", label(kind)) for kind in record.get("classified_as", [])]
    produced = record.get("produced_by") or {}
    found += [pair("Made by", label(a)) for a in produced.get("carried_out_by", [])]
    if "timespan" in produced:
        found.append(pair("Date", label(produced["timespan"])))
    found += [pair("Current owner", label(o)) for o in record.get("current_owner", [])]
    found.append(pair("Twin", record["id"]))
    return found


def object_manifest(
    record: dict[str, Any],
    entry: dict[str, Any],
    page: str,
    iiif_url: str,
    canvases: dict[str, Canvas],
    annotations_url: str,
) -> dict[str, Any]:
    """The manifest of the object ``record`` (its page's address: ``page``)."""
    name = label(record)
    me = f"{page}/manifest.json"
    service = image_service(iiif_url, entry["iiif_image"])
    items, parts_of = [], []
    for number, (what, canvas_id, region) in enumerate(regions(record), start=1):
        canvas = canvases.get(canvas_id)
        if canvas is None:
            continue
        parts_of.append(
            {
                "id": f"{iiif_url}presentation/{quote(canvas.manifest)}",
                "type": "Manifest",
                "label": text(canvas.label),
            }
        )
        annotation_pages = [
            {
                "id": f"{me}/canvas/{number}/regions",
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{me}/canvas/{number}/regions/1",
                        "type": "Annotation",
                        "motivation": "tagging",
                        "body": {
                            "type": "TextualBody",
                            "value": f"{name}: {what}",
                            "language": "en",
                            "format": "text/plain",
                        },
                        "target": f"{canvas_id}{CANVAS_REGION}{region}",
                    }
                ],
            }
        ]
        if annotations_url:
            annotation_pages.append(
                {"id": annotations_page(annotations_url, canvas_id), "type": "AnnotationPage"}
            )
        items.append(
            {
                "id": canvas_id,
                "type": "Canvas",
                "label": text(canvas.label, "none"),
                "width": canvas.width,
                "height": canvas.height,
                "items": [
                    {
                        "id": f"{me}/canvas/{number}/page",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": f"{me}/canvas/{number}/page/image",
                                "type": "Annotation",
                                "motivation": "painting",
                                "target": canvas_id,
                                "body": {
                                    "id": f"{service}/full/max/0/default.jpg",
                                    "type": "Image",
                                    "format": "image/jpeg",
                                    "width": canvas.width,
                                    "height": canvas.height,
                                    "service": [
                                        {
                                            "id": service,
                                            "type": "ImageService3",
                                            "profile": "level2",
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
                "annotations": annotation_pages,
            }
        )
    manifest: dict[str, Any] = {
        "@context": CONTEXT,
        "id": me,
        "type": "Manifest",
        "label": text(name),
        "summary": text(f"{name}, from {entry['title']}: its region outlined on the image."),
        "metadata": metadata(record),
        "requiredStatement": {"label": text("Attribution"), "value": text(entry["citation"])},
        "homepage": [{"id": page, "type": "Text", "label": text(name), "format": "text/html"}],
        "seeAlso": [
            {
                "id": f"{page}?format=json-ld",
                "type": "Dataset",
                "format": "application/ld+json",
                "profile": LINKED_ART_PROFILE,
            }
        ],
        "partOf": parts_of,
        "items": items,
    }
    rights = RIGHTS.get(entry["licence"], "")
    if rights.startswith(IIIF_RIGHTS):
        manifest["rights"] = rights
    return manifest


def collection(
    snapshot: Snapshot,
    canvases: dict[str, Canvas],
    page_url: Callable[[str, str], str],
    public_url: str,
) -> dict[str, Any]:
    """A collection of the manifest of every object shown in an image."""
    return {
        "@context": CONTEXT,
        "id": f"{public_url}{COLLECTION}",
        "type": "Collection",
        "label": text("ECHOES VRE: the objects shown in images"),
        "items": [
            {
                "id": f"{page_url(name, local_id)}/manifest.json",
                "type": "Manifest",
                "label": text(label(record)),
            }
            for name, entry in snapshot.index.items()
            for local_id, record in snapshot.records.get(name, {}).items()
            if shown(record, entry, canvases)
        ],
    }
