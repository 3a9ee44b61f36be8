"""The notebook client builds valid W3C annotations and tables, and is importable by name."""

from __future__ import annotations

from echoes_hub.services.annotations.model import parse_annotation

CANVAS = "https://iiif.example.org/x/canvas/1"


def test_from_echoes_import_annotations_gives_the_client_module():
    from echoes import annotations

    assert annotations.AnnotationClient.__module__ == "echoes.annotations"


def test_every_target_helper_makes_a_valid_annotation():
    from echoes import annotations as ann

    pottery = ann.catalog_item("heritage/archaeometry/pottery")
    assert pottery == "urn:echoes:catalog:heritage/archaeometry/pottery"
    targets = [
        pottery,
        ann.region("https://iiif.example.org/canvas/1", 10, 20.5, 30, 40),
        ann.table_row(pottery, 5),
        ann.table_row(pottery, 5, 9),
        ann.time_range("https://example.org/audio.ogg", 3, 7.5),
        ann.text_quote("https://example.org/report", "kiln", prefix="the "),
    ]
    for target in targets:
        document = ann.AnnotationClient.document(target, "a note", tags=["kiln-A"])
        parsed = parse_annotation(document)
        assert parsed.tags == ["kiln-A"] and parsed.text.startswith("a note")


def test_to_frame_spells_out_creator_target_and_tags():
    from echoes import annotations as ann

    item = {
        "id": "http://hub/services/annotations/containers/default/1",
        "motivation": "identifying",
        "creator": {
            "type": "Software",
            "name": "coins",
            "actedOnBehalfOf": {"type": "Person", "nickname": "ada"},
        },
        "body": [
            {"type": "TextualBody", "value": "coin 1"},
            {"type": "TextualBody", "value": "coin", "purpose": "tagging"},
        ],
        "target": ann.region({"id": CANVAS, "type": "Canvas"}, 1, 2, 3, 4),
        "confidence": 0.9,
    }
    row = ann.to_frame([item]).iloc[0]
    assert (row["creator"], row["creator_type"], row["on_behalf_of"]) == (
        "coins",
        "Software",
        "ada",
    )
    assert row["source"] == CANVAS and row["selector"] == "xywh=1,2,3,4"
    assert row["text"] == "coin 1" and row["tags"] == ["coin"] and row["confidence"] == 0.9


def test_to_frame_reads_creators_as_other_stores_write_them():
    from echoes import annotations as ann

    items = [
        {"id": "a", "creator": "https://orcid.org/0000-0002-1825-0097"},
        {"id": "b", "creator": [{"type": "Organization", "name": "Museo"}]},
    ]
    frame = ann.to_frame(items)
    assert list(frame["creator"]) == ["https://orcid.org/0000-0002-1825-0097", "Museo"]


def test_to_frame_reads_an_exported_collection_whose_person_annotations_lack_confidence():
    from echoes import annotations as ann

    proposal = {"id": "p", "creator": {"type": "Software", "name": "coins"}, "confidence": 0.9}
    drawn = {"id": "d", "creator": {"type": "Person", "nickname": "ada"}}
    page = {"type": "AnnotationPage", "items": [drawn, proposal]}
    collection = {"type": "AnnotationCollection", "total": 2, "first": page}
    for given in (collection, page):
        frame = ann.to_frame(given)
        assert list(frame["id"]) == ["d", "p"]
        assert frame["confidence"].isna().tolist() == [True, False]
    assert ann.to_frame({"type": "AnnotationCollection", "total": 0}).empty
