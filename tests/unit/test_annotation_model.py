"""Validation of the W3C Web Annotation Data Model: bad input is refused, naming the field."""

from __future__ import annotations

import pytest

from echoes_hub.services.annotations.errors import ValidationError
from echoes_hub.services.annotations.model import (
    ANNO_CONTEXT,
    parse_annotation,
    parse_collection,
)

CANVAS = "https://iiif.example.org/coins/canvas/1"


def annotation(**changes) -> dict:
    doc = {
        "@context": ANNO_CONTEXT,
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": "Worn obverse", "format": "text/plain"},
        "target": "urn:echoes:catalog:heritage/archaeometry/pottery",
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def region(value: str) -> dict:
    return {"source": CANVAS, "selector": {"type": "FragmentSelector", "value": value}}


@pytest.mark.parametrize(
    "target, sources",
    [
        (
            "urn:echoes:catalog:heritage/archaeometry/pottery",
            ["urn:echoes:catalog:heritage/archaeometry/pottery"],
        ),
        (region("xywh=10,20,30,40"), [CANVAS]),
        (region("xywh=percent:10,20,30.5,40"), [CANVAS]),
        (
            {
                "source": {
                    "id": CANVAS,
                    "type": "Canvas",
                    "partOf": [{"id": "https://iiif.example.org/coins/manifest"}],
                },
                "selector": {"type": "FragmentSelector", "value": "xywh=1,1,5,5"},
            },
            [CANVAS, "https://iiif.example.org/coins/manifest"],
        ),
        (region("t=10,20.5"), [CANVAS]),
        (
            {
                "source": "urn:echoes:catalog:heritage/archaeometry/pottery",
                "selector": {
                    "type": "FragmentSelector",
                    "conformsTo": "http://tools.ietf.org/rfc/rfc7111",
                    "value": "row=5",
                },
            },
            ["urn:echoes:catalog:heritage/archaeometry/pottery"],
        ),
        (
            {
                "source": "https://example.org/text",
                "selector": {"type": "TextQuoteSelector", "exact": "kiln", "prefix": "the "},
            },
            ["https://example.org/text"],
        ),
        (f"{CANVAS}#xywh=1,2,3,4", [CANVAS]),
        ([CANVAS, "urn:echoes:catalog:a"], [CANVAS, "urn:echoes:catalog:a"]),
    ],
)
def test_every_kind_of_target_is_indexed_by_its_source(target, sources):
    assert parse_annotation(annotation(target=target)).targets == sources


def test_server_keys_are_dropped_and_context_set():
    parsed = parse_annotation(
        annotation(
            id="https://evil.example/x",
            creator={"type": "Person", "nickname": "x"},
            generated="2020-01-01T00:00:00Z",
        )
    )
    assert "id" not in parsed.doc and "creator" not in parsed.doc and "generated" not in parsed.doc
    assert parsed.doc["@context"] == ANNO_CONTEXT
    assert parsed.creator.kind == "Person" and parsed.creator.name == "x"


def test_tags_words_and_visibility():
    parsed = parse_annotation(
        annotation(
            motivation=["tagging", "oa:commenting"],
            body=[
                {"type": "TextualBody", "value": "kiln-A", "purpose": "tagging"},
                {
                    "type": "TextualBody",
                    "value": "<p>Red <b>slip</b> ware</p>",
                    "format": "text/html",
                },
            ],
            visibility="group:conservators",
        )
    )
    assert parsed.tags == ["kiln-A"]
    assert parsed.motivations == ["tagging", "commenting"]
    assert "slip" in parsed.text and "<b>" not in parsed.text
    assert (parsed.visibility, parsed.group) == ("group", "conservators")


def test_software_creator_with_confidence():
    parsed = parse_annotation(
        annotation(creator={"type": "Software", "name": "coins", "version": "1.0"}, confidence=0.9)
    )
    assert parsed.creator.kind == "Software" and parsed.confidence == 0.9
    assert "confidence" not in parsed.doc


def test_plain_text_that_looks_like_script_is_kept_as_text():
    parsed = parse_annotation(
        annotation(body={"type": "TextualBody", "value": "<script>alert(1)</script>"})
    )
    assert parsed.text == "<script>alert(1)</script>"


BAD = [
    ([], "$"),
    ("annotation", "$"),
    (annotation(type="Note"), "type"),
    (annotation(type=None), "type"),
    (annotation(target=None), "target"),
    (annotation(target=[]), "target"),
    (annotation(target=42), "target"),
    (annotation(motivation="liking"), "motivation"),
    (annotation(motivation=["commenting", 3]), "motivation"),
    (annotation(target=region("xywh=10,20,30")), "target.selector.value"),
    (annotation(target=region("xywh=10,20,0,40")), "target.selector.value"),
    (annotation(target=region("xywh=a,b,c,d")), "target.selector.value"),
    (annotation(target=region("t=20,10")), "target.selector.value"),
    (annotation(target=region("zoom=3")), "target.selector.value"),
    (
        annotation(target={"source": CANVAS, "selector": {"type": "MagicSelector"}}),
        "target.selector.type",
    ),
    (
        annotation(target={"source": CANVAS, "selector": {"type": "TextQuoteSelector"}}),
        "target.selector.exact",
    ),
    (annotation(target={"source": CANVAS, "selector": "xywh=1,2,3,4"}), "target.selector"),
    (annotation(target="javascript:alert(1)"), "target"),
    (annotation(target="file:///etc/passwd"), "target"),
    (
        annotation(target="https://hub.example/services/annotations/containers/../../hub/api"),
        "target",
    ),
    (annotation(target="https://x.example/a/%2e%2e/b"), "target"),
    (annotation(target="https://x.example/a b"), "target"),
    (annotation(target="https://x.example/\u202eevil"), "target"),
    (annotation(body={"type": "TextualBody"}), "body.value"),
    (annotation(body={"type": "TextualBody", "value": 5}), "body.value"),
    (annotation(body={"type": "TextualBody", "value": "a\u0000b"}), "body.value"),
    (annotation(body={"type": "TextualBody", "value": "\ud800"}), "body.value"),
    (annotation(body={"type": "TextualBody", "value": "x", "purpose": "liking"}), "body.purpose"),
    (annotation(**{"@context": "http://schema.org/"}), "@context"),
    (annotation(visibility="everyone"), "visibility"),
    (annotation(visibility="group:../admins"), "visibility"),
    (annotation(creator={"type": "Organization"}), "creator.type"),
    (annotation(creator={"type": "Software", "name": "x"}), "creator.version"),
    (annotation(confidence=0.5), "confidence"),
    (
        annotation(creator={"type": "Software", "name": "x", "version": "1"}, confidence=1.5),
        "confidence",
    ),
    (annotation(created="yesterday"), "created"),
    (
        annotation(
            body={
                "a": {
                    "b": {
                        "c": {
                            "d": {
                                "e": {
                                    "f": {
                                        "g": {
                                            "h": {
                                                "i": {
                                                    "j": {
                                                        "k": {
                                                            "l": {
                                                                "m": {"n": {"o": {"p": {"q": 1}}}}
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        ),
        "body.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p",
    ),
]


@pytest.mark.parametrize("doc, where", BAD)
def test_invalid_annotations_name_the_field(doc, where):
    with pytest.raises(ValidationError) as caught:
        parse_annotation(doc)
    assert caught.value.field == where, caught.value.message


def test_collections_and_pages_are_read_with_embedded_pages():
    items = [annotation(), annotation()]
    assert parse_collection({"type": "AnnotationPage", "items": items}) == items
    collection = {
        "type": "AnnotationCollection",
        "first": {
            "type": "AnnotationPage",
            "items": items[:1],
            "next": {"type": "AnnotationPage", "items": items[1:]},
        },
    }
    assert parse_collection(collection) == items
    assert parse_collection(items) == items
    with pytest.raises(ValidationError, match="embedded"):
        parse_collection({"type": "AnnotationCollection", "first": "https://x.example/page0"})
    with pytest.raises(ValidationError):
        parse_collection({"type": "Annotation"})
