"""Annotations and requests that the annotation tests share: in process
(tests/unit/test_annotations_handlers.py) and through a real hub (tests/integration/)."""

from __future__ import annotations

import json

CANVAS = "https://iiif.example.org/pompeii/coins/canvas/1"
POTTERY = "urn:echoes:catalog:heritage/archaeometry/pottery"


def note(text: str = "A crack across the rim", **changes) -> dict:
    doc = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": text, "format": "text/plain"},
        "target": {
            "source": CANVAS,
            "selector": {
                "type": "FragmentSelector",
                "conformsTo": "http://www.w3.org/TR/media-frags/",
                "value": "xywh=10,20,30,40",
            },
        },
    }
    doc.update(changes)
    return doc


#: Bad input a store must refuse (name, body, status, the field the reply names).
HOSTILE = [
    ("bad JSON", b'{"type": "Annotation",', 400, "$"),
    ("not UTF-8", b'{"type": "Annotation", "body": "\xff\xfe"}', 400, "$"),
    ("NaN", b'{"type": "Annotation", "target": "urn:x:y", "confidence": NaN}', 400, "$"),
    ("array", [note()], 400, "$"),
    ("wrong type", note(type="Note"), 400, "type"),
    ("no target", {k: v for k, v in note().items() if k != "target"}, 400, "target"),
    ("target number", note(target=7), 400, "target"),
    ("unknown motivation", note(motivation="liking"), 400, "motivation"),
    ("motivation object", note(motivation={"a": 1}), 400, "motivation"),
    (
        "malformed xywh",
        note(
            target={"source": CANVAS, "selector": {"type": "FragmentSelector", "value": "xywh=1,2"}}
        ),
        400,
        "target.selector.value",
    ),
    (
        "negative size",
        note(
            target={
                "source": CANVAS,
                "selector": {"type": "FragmentSelector", "value": "xywh=1,2,-3,4"},
            }
        ),
        400,
        "target.selector.value",
    ),
    (
        "unknown selector",
        note(target={"source": CANVAS, "selector": {"type": "XPathSelector", "value": "//p"}}),
        400,
        "target.selector.type",
    ),
    ("body value number", note(body={"type": "TextualBody", "value": 1}), 400, "body.value"),
    ("JSON-LD @graph", note(**{"@graph": [{"creator": "urn:echoes:user:x"}]}), 400, "@graph"),
    ("JSON-LD @reverse", note(**{"@reverse": {"creator": "urn:x:y"}}), 400, "@reverse"),
    ("JSON-LD @id", note(**{"@id": "urn:x:y"}), 400, "@id"),
    ("compact IRI creator", note(**{"dcterms:creator": "urn:x:y"}), 400, "dcterms:creator"),
    (
        "full IRI creator",
        note(**{"http://purl.org/dc/terms/creator": "urn:x:y"}),
        400,
        "http://purl.org/dc/terms/creator",
    ),
    (
        "attributedTo outside imports",
        note(**{"as:attributedTo": "urn:x:y"}),
        400,
        "as:attributedTo",
    ),
    (
        "script in SVG selector",
        note(
            target={
                "source": CANVAS,
                "selector": {"type": "SvgSelector", "value": "<svg><script>x()</script></svg>"},
            }
        ),
        400,
        "target.selector.value",
    ),
    ("javascript IRI", note(target="javascript:alert(document.cookie)"), 400, "target"),
    ("file IRI", note(target="file:///etc/passwd"), 400, "target"),
    (
        "dot-dot IRI",
        note(target="http://127.0.0.1/services/annotations/containers/../../hub/api/users"),
        400,
        "target",
    ),
    ("encoded dot-dot IRI", note(target="http://127.0.0.1/a/%2E%2E/%2e%2e/hub"), 400, "target"),
    ("NUL character", note(body={"type": "TextualBody", "value": "a\u0000b"}), 400, "body.value"),
    (
        "lone surrogate",
        b'{"type":"Annotation","target":"urn:x:y","body":{"type":"TextualBody","value":"\\ud800"}}',
        400,
        "body.value",
    ),
    (
        "right-to-left override in IRI",
        note(target="https://example.org/\u202egpj.exe"),
        400,
        "target",
    ),
    ("bad visibility", note(visibility="world"), 400, "visibility"),
    ("group path trick", note(visibility="group:../admin"), 400, "visibility"),
    ("confidence from a person", note(confidence=0.9), 400, "confidence"),
    (
        "deep nesting",
        note(body={"type": "TextualBody", "value": "x", "a": json.loads("[" * 40 + "]" * 40)}),
        400,
        None,
    ),
    ("form content type", b"type=Annotation", 415, "Content-Type"),
    ("huge body", note(body={"type": "TextualBody", "value": "x" * 300_000}), 413, "$"),
]
