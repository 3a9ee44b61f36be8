"""The logic of the notebook widgets (echoes.widgets) that does not need a browser or a
service: images to PNG, screen to image pixels, the annotation a form makes, where each
annotation is shown, and which table rows annotations point at. The coins photograph is
scikit-image's `coins` (Brooklyn Museum, no known copyright restrictions)."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import intake
import numpy as np
import pytest
from PIL import Image
from skimage import data

import echoes
from echoes.annotations import AnnotationClient, entry_canvas, polygon, region, table_row
from echoes.annotators import coins
from echoes.widgets import images, model
from echoes_data import recipe
from echoes_hub.services.annotations.model import MOTIVATIONS as STORED_MOTIVATIONS

REPO = Path(__file__).resolve().parents[2]
#: Golden cases of the view rules; extensions/labextension/test/view.test.ts reads them too.
VIEW_CASES = REPO / "tests" / "fixtures" / "view"
SCENES = sorted(p.stem for p in VIEW_CASES.glob("*.json") if p.stem != "tags")

ME = "wid-alice"
#: A canvas for the rules below (the coins' own is read from the data: test_canvases.py).
CANVAS = {"id": "https://iiif.example.org/coins/canvas/1", "type": "Canvas"}


def decoded(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png))


# --- images ---------------------------------------------------------------------------


def test_the_coins_photograph_becomes_a_lossless_png():
    photo = data.coins()
    png, width, height = images.png_bytes(photo)
    assert (width, height) == (384, 303)
    assert np.array_equal(np.asarray(decoded(png)), photo)


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.array([[False, True]]), [[0, 255]]),
        (np.array([[0.0, 0.5, 1.0]]), [[0, 128, 255]]),
        (np.array([[0, 100, 200]], dtype=np.int64), [[0, 100, 200]]),
        (np.array([[0, 1000, 4000]], dtype=np.uint16), [[0, 64, 255]]),
    ],
)
def test_arrays_of_other_types_are_scaled_to_grey_levels(array, expected):
    png, _, _ = images.png_bytes(array)
    assert np.asarray(decoded(png)).tolist() == expected


def test_colour_arrays_and_pil_images_keep_their_colours():
    rgb = np.zeros((2, 3, 3), dtype=np.uint8)
    rgb[0, 0] = (200, 10, 30)
    png, width, height = images.png_bytes(rgb)
    assert (width, height) == (3, 2)
    assert np.asarray(decoded(png))[0, 0].tolist() == [200, 10, 30]
    png, _, _ = images.png_bytes(Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE))
    assert decoded(png).convert("RGB").getpixel((0, 0)) == (200, 10, 30)


def test_a_large_image_is_sent_smaller_and_keeps_its_own_size():
    png, width, height = images.png_bytes(np.zeros((100, 3000), dtype=np.uint8))
    assert (width, height) == (3000, 100)  # regions are in the image's own pixels
    assert decoded(png).size == (images.MAX_SIDE, 68)


@pytest.mark.parametrize(
    ("array", "problem"),
    [
        (np.zeros((2, 2, 5)), "shape"),
        (np.zeros((0, 4)), "empty"),
        (np.array([[0.0, np.nan]]), "NaN"),
    ],
)
def test_arrays_that_are_not_images_are_refused_by_name(array, problem):
    with pytest.raises(ValueError, match=problem):
        images.png_bytes(array)


def test_a_file_path_is_shown_and_needs_a_canvas(tmp_path):
    path = tmp_path / "coins.png"
    Image.fromarray(data.coins()).save(path)
    picture = images.picture(str(path))
    assert (picture.width, picture.height, picture.canvas) == (384, 303, None)
    given = images.picture(path, canvas="https://example.org/iiif/coins/canvas/1")
    assert given.canvas == {"id": "https://example.org/iiif/coins/canvas/1", "type": "Canvas"}


@pytest.fixture(scope="module")
def data_dir() -> Path:
    """The shared data folder (built by `make data`; the recipe skips a fresh one)."""
    return recipe.build(Path(os.environ.get("ECHOES_DATA_DIR") or REPO / ".echoes" / "heritage"))


def test_a_catalog_entry_or_its_reader_shows_its_image_on_its_canvas(data_dir, monkeypatch):
    by_name = images.from_catalog("images.coins", data_dir)
    assert (by_name.width, by_name.height) == (384, 303)
    assert (
        by_name.canvas == coins.canvas(data_dir)
        and by_name.title == "Greek coins from Pompeii (photograph)"
    )
    assert np.array_equal(np.asarray(decoded(by_name.png)), data.coins())
    reader = intake.from_yaml_file(str(data_dir / "catalog.yaml"))["images"].read()["coins"]
    assert images.from_reader(reader, data_dir) == by_name
    monkeypatch.setenv("ECHOES_DATA_DIR", str(data_dir))
    assert images.picture(echoes.search("coins")[0]) == by_name  # a hit of the search


def test_catalog_entries_that_are_not_images_are_named(data_dir):
    with pytest.raises(LookupError, match=r"'archaeometry\.pottery_kilns' is not an image"):
        images.from_catalog("archaeometry.pottery_kilns", data_dir)
    with pytest.raises(LookupError, match=r"no file or catalog entry 'images\.coin'"):
        images.from_catalog("images.coin", data_dir)


def test_catalog_images_target_the_canvas_their_manifest_names(data_dir):
    manifest = json.loads((data_dir / "images" / "coins" / "manifest.json").read_text())
    canvas = {
        "id": manifest["items"][0]["id"],
        "type": "Canvas",
        "partOf": [{"id": manifest["id"], "type": "Manifest"}],
    }
    assert entry_canvas("images.coins", data_dir) == canvas
    assert coins.canvas(data_dir) == canvas  # the coins annotator's proposals
    assert images.from_catalog("images.coins", data_dir).canvas == canvas  # the widget's
    with pytest.raises(LookupError, match=r"'archaeometry\.pottery_kilns' is not an image"):
        entry_canvas("archaeometry.pottery_kilns", data_dir)


# --- coordinates ------------------------------------------------------------------------


def test_a_rectangle_drawn_in_image_pixels_is_rounded_and_clipped_to_the_image():
    # OpenSeadragon measures in image pixels, between pixels: the target is in whole ones.
    drawn = {"kind": "rect", "x": 40.6, "y": 50.4, "w": 101, "h": 75.75}
    assert model.region_target(CANVAS, drawn, 384, 303) == region(CANVAS, 41, 50, 101, 76)
    off = {"kind": "rect", "x": -10, "y": 290, "w": 30, "h": 40}
    assert model.region_target(CANVAS, off, 384, 303) == region(CANVAS, 0, 290, 20, 13)


def test_a_polygon_drawn_becomes_an_svg_selector_as_annotorious_writes_it():
    drawn = {"kind": "polygon", "points": [[10.4, 10], [60, 12.6], [30, 350]]}
    target = model.region_target(CANVAS, drawn, 384, 303)
    assert target == polygon(CANVAS, [(10, 10), (60, 13), (30, 303)])
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><polygon points="10,10 60,13 30,303"/></svg>'
    assert target["selector"] == {"type": "SvgSelector", "value": svg}
    [shape] = model.shapes([{"id": "p", "target": target}], ME, 384, 303)
    assert shape["points"] == [[10, 10], [60, 13], [30, 303]]
    assert shape["box"] == [10, 10, 50, 293]


def test_a_polygon_needs_three_corners():
    with pytest.raises(ValueError, match="at least 3 points"):
        polygon(CANVAS, [(1, 1), (2, 2)])


@pytest.mark.parametrize(
    "drawn",
    [
        {"kind": "rect", "x": 5, "y": 5, "w": 0, "h": 10},
        {"kind": "rect", "x": 500, "y": 5, "w": 10, "h": 10},
        {"kind": "rect", "x": "a", "y": 5, "w": 10, "h": 10},
        {"kind": "rect", "x": float("nan"), "y": 5, "w": 10, "h": 10},
        {"kind": "polygon", "points": [[1, 1], [2, 2]]},
        {"kind": "polygon", "points": [[1, 1], [1, 1], [1, 1]]},
        {"kind": "polygon", "points": "1,1 2,2 3,3"},
        {"kind": "circle"},
        "xywh=1,2,3,4",
    ],
)
def test_no_region_is_a_form_error(drawn):
    with pytest.raises(model.FormError):
        model.region_target(CANVAS, drawn, 384, 303)


def test_xywh_values_in_pixels_and_percent():
    assert model.parse_xywh("xywh=1,2,3,4", 384, 303) == (1, 2, 3, 4)
    assert model.parse_xywh("xywh=pixel:1.5,2,3,4", 384, 303) == (1.5, 2, 3, 4)
    assert model.parse_xywh("xywh=percent:50,0,25,100", 400, 300) == (200, 0, 100, 300)
    assert model.parse_xywh("t=1,2", 384, 303) is None


# --- the annotation a form makes -----------------------------------------------------------


def test_the_form_becomes_the_arguments_of_annotate():
    form = {
        "text": "  A worn owl  ",
        "tags": "owl, Athens, owl, ",
        "motivation": "describing",
        "visibility": "public",
    }
    args = model.annotation_args(form, ["private", "public"])
    assert args == {
        "body": "A worn owl",
        "motivation": "describing",
        "tags": ["owl", "Athens"],
        "visibility": "public",
    }
    document = AnnotationClient.document(region(CANVAS, 20, 40, 60, 80), **args)
    assert document["target"]["selector"]["value"] == "xywh=20,40,60,80"
    text = {"type": "TextualBody", "value": "A worn owl", "format": "text/plain"}
    assert document["body"][0] == text
    assert document["body"][1:] == [
        {"type": "TextualBody", "value": "owl", "purpose": "tagging"},
        {"type": "TextualBody", "value": "Athens", "purpose": "tagging"},
    ]


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"text": " ", "tags": ""}, "text"),
        ({"text": "x", "motivation": "painting"}, "motivation"),
        ({"text": "x", "visibility": "group:curators"}, "visibility"),
        ({"text": "x" * (model.MAX_TEXT + 1)}, "longer"),
    ],
)
def test_a_bad_form_names_what_to_fix(form, field):
    with pytest.raises(model.FormError, match=field):
        model.annotation_args(form, ["private", "public"])


def test_editing_keeps_identity_and_etag_and_changes_what_the_form_says():
    stored = {
        **AnnotationClient.document(region(CANVAS, 1, 2, 3, 4), "old", tags=["a"]),
        "id": "https://hub/services/annotations/containers/default/abc",
        "etag": 'W/"1"',
        "creator": {"type": "Person", "nickname": ME},
    }
    args = model.annotation_args({"text": "new", "visibility": "public"}, ["private", "public"])
    kept_target = model.edited(stored, args, None)
    assert kept_target["id"] == stored["id"] and kept_target["etag"] == 'W/"1"'
    assert kept_target["target"] == stored["target"]
    assert kept_target["body"]["value"] == "new" and kept_target["visibility"] == "public"
    moved = model.edited(stored, args, region(CANVAS, 5, 6, 7, 8))
    assert moved["target"]["selector"]["value"] == "xywh=5,6,7,8"


# --- where annotations are shown ------------------------------------------------------------


def annotation(n, nickname=None, visibility="private", software=False, **extra) -> dict:
    creator = (
        {"type": "Software", "name": coins.NAME, "actedOnBehalfOf": {"nickname": nickname}}
        if software
        else {"type": "Person", "nickname": nickname}
    )
    return {
        **AnnotationClient.document(region(CANVAS, n, n, 10, 10), f"note {n}", tags=["t"]),
        "id": f"urn:test:{n}",
        "creator": creator,
        "visibility": visibility,
        **extra,
    }


def test_annotations_are_grouped_yours_groups_public_others_software():
    found = [
        annotation(1, "wid-bob", "public"),
        annotation(2, ME, "private"),
        annotation(3, ME, "public", software=True, confidence=0.9),
        annotation(4, "wid-carol", "group:curators"),
        annotation(5, "wid-dan", "private"),  # only an administrator sees this
    ]
    shapes = model.shapes(found, ME, 384, 303)
    assert [(s["id"], s["group"]) for s in shapes] == [
        ("urn:test:2", "yours"),
        ("urn:test:4", "groups"),
        ("urn:test:1", "public"),
        ("urn:test:5", "others"),
        ("urn:test:3", "software"),
    ]
    assert [s["editable"] for s in shapes] == [True, False, False, False, False]
    mine = shapes[0]
    assert mine["box"] == [2, 2, 10, 10]
    assert (mine["text"], mine["tags"], mine["creator"]) == ("note 2", ["t"], ME)
    assert shapes[-1]["confidence"] == 0.9 and shapes[-1]["creator"] == coins.NAME


def test_verdicts_show_on_proposals_and_assessments_are_not_drawn():
    proposal = annotation(3, ME, software=True)
    client = AnnotationClient.document
    me = {"type": "Person", "nickname": ME}
    early = {
        **client(proposal["id"], [{"type": "TextualBody", "value": "rejected"}], "assessing"),
        "creator": me,
        "modified": "2026-01-01T00:00:00Z",
    }
    late = {
        **client(proposal["id"], [{"type": "TextualBody", "value": "accepted"}], "assessing"),
        "creator": me,
        "modified": "2026-01-02T00:00:00Z",
    }
    judged = model.verdicts([late, early], ME)
    assert judged == {proposal["id"]: "accepted"}
    shapes = model.shapes([proposal, late], ME, 384, 303, judged)
    assert len(shapes) == 1 and shapes[0]["verdict"] == "accepted"


def test_replies_show_under_what_they_answer_oldest_first_and_are_not_drawn():
    note = {"id": "n", "target": region(CANVAS, 1, 2, 3, 4), "motivation": "commenting"}

    def reply(iri: str, text: str, created: str, target: str = "n") -> dict:
        return {
            "id": iri,
            "motivation": "replying",
            "target": target,
            "created": created,
            "body": {"type": "TextualBody", "value": text},
            "creator": {"type": "Person", "nickname": "bob"},
        }

    later = reply("r2", "Agreed", "2026-12-01T10:00:00Z")
    first = reply("r1", "An owl?", "2026-12-01T09:00:00Z")
    elsewhere = reply("r3", "Not this one", "2026-12-01T08:00:00Z", target="other")
    [shape] = model.shapes([note, later], ME, 384, 303, replies=[later, first, elsewhere])
    assert shape["id"] == "n"
    assert shape["replies"] == [
        {"id": "r1", "text": "An owl?", "creator": "bob"},
        {"id": "r2", "text": "Agreed", "creator": "bob"},
    ]


def test_an_annotation_on_the_whole_image_has_no_box():
    whole = {**annotation(9, ME), "target": CANVAS["id"]}
    assert model.shapes([whole], ME, 384, 303)[0]["box"] is None


# --- the golden cases both front ends check --------------------------------------------------


@pytest.mark.parametrize("name", SCENES)
def test_annotations_are_shown_as_the_golden_view_cases_say(name):
    case = json.loads((VIEW_CASES / f"{name}.json").read_text())
    viewer, size = case["viewer"], (case["image"]["width"], case["image"]["height"])
    judged = model.verdicts(case.get("assessments", []), viewer)
    shown = {
        s["id"]: {k: s[k] for k in ("group", "text", "tags", "verdict")} | {"region": s["box"]}
        for s in model.shapes(case["annotations"], viewer, *size, judged)
    }
    assert shown == case["expected"]


def test_tags_are_split_as_the_golden_cases_say():
    for case in json.loads((VIEW_CASES / "tags.json").read_text())["cases"]:
        assert model.parse_tags(case["typed"]) == case["tags"], case["typed"]


def test_the_motivations_offered_are_w3cs_and_the_store_takes_them():
    offered = {*model.MOTIVATIONS, model.ASSESSING}
    # The store also takes IIIF Presentation 3's two, which a person does not write.
    assert offered == STORED_MOTIVATIONS - {"painting", "supplementing"}
    assert model.MOTIVATIONS[0] == "commenting"  # the form's default


# --- table rows -----------------------------------------------------------------------------


POTTERY = "urn:echoes:catalog:heritage/archaeometry/pottery"


def test_ticked_rows_become_runs_of_consecutive_rows():
    assert model.row_targets(POTTERY, [7, 3, 2, 4, 3]) == [
        table_row(POTTERY, 2, 4),
        table_row(POTTERY, 7),
    ]
    with pytest.raises(model.FormError, match="tick"):
        model.row_targets(POTTERY, [])
    with pytest.raises(model.FormError, match="start at 1"):
        model.row_targets(POTTERY, [0])


def test_row_annotations_are_found_per_row():
    on_runs = {
        **AnnotationClient.document(model.row_targets(POTTERY, [2, 3, 4, 7]), "kiln A"),
        "id": "urn:test:a",
        "creator": {"type": "Person", "nickname": ME},
    }
    open_ended = {
        **AnnotationClient.document(
            {
                "type": "SpecificResource",
                "source": POTTERY,
                "selector": {"type": "FragmentSelector", "value": "row=44-*;1"},
            },
            "late",
        ),
        "id": "urn:test:b",
        "creator": {"type": "Person", "nickname": "wid-bob"},
        "visibility": "public",
    }
    elsewhere = {
        **AnnotationClient.document(table_row("urn:echoes:catalog:other", 2), "other table"),
        "id": "urn:test:c",
    }
    notes = model.row_notes([on_runs, open_ended, elsewhere], POTTERY, 45, ME)
    assert sorted(notes) == [1, 2, 3, 4, 7, 44, 45]
    assert notes[3] == [
        {"id": "urn:test:a", "text": "kiln A", "tags": [], "creator": ME, "group": "yours"}
    ]
    assert notes[45][0]["group"] == "public" and notes[1][0]["text"] == "late"


def test_the_annotator_ships_its_libraries_and_their_licences():
    """The notebook Annotator's browser side is one bundle in the package (built by the
    extension's build): a notebook with no network shows it; the licences go with it."""
    from echoes.widgets import Annotator

    static = Path(model.__file__).parent / "static"
    assert str(Annotator._esm) == (static / "annotator.js").read_text()
    bundle = (static / "annotator.js").read_text()
    assert "a9s-" in bundle and "OpenSeadragon" in bundle  # Annotorious's and OSD's code
    assert not re.search(r"""(?:\bimport\s*\(?|\bfrom)\s*["']https?://""", bundle)
    licences = (static / "LICENSES.txt").read_text()
    for name in ("openseadragon", "@annotorious/openseadragon", "pixi.js"):
        assert f"{name} " in licences
