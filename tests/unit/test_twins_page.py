"""The twin page's pure parts (hub/services/twins/): the plot of an object among its group
(plot.py), the index of related objects (related.py), the interpretations section and the
page they make (pages.py). Literal records and interpretations, and the real data build
for the index (`make data`; ECHOES_DATA_DIR or the repository's .echoes/heritage)."""

from __future__ import annotations

import os
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from echoes_hub.services.twins.pages import (
    analyses_section,
    interpretations_section,
    measurements,
    render,
)
from echoes_hub.services.twins.plot import Axis, Point, nice_ticks, scatter
from echoes_hub.services.twins.related import Pages, Related
from echoes_hub.services.twins.store import read_records

REPO = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
ENTRY = {
    "entry": "archaeometry.pottery_kilns",
    "title": "Pottery <kilns>",
    "licence": "GPL-3.0-only",
    "citation": "Tubb & al. (1980)",
    "iiif_image": None,
}
OBJECTS = "http://twins.example/services/twins/objects/"


def sample(specimen: str, kiln: int, al: float, fe: float) -> dict:
    def oxide(name: str, value: float) -> dict:
        return {
            "type": "Dimension",
            "value": value,
            "unit": {"type": "MeasurementUnit", "_label": "percent"},
            "classified_as": [{"id": f"urn:echoes:type:oxide/{name}", "_label": name}],
        }

    return {
        "id": f"urn:echoes:object:pottery/{specimen}",
        "type": "HumanMadeObject",
        "_label": f"specimen {specimen}",
        "produced_by": {
            "type": "Production",
            "took_place_at": [{"id": f"urn:echoes:place:kiln/{kiln}", "_label": f"kiln {kiln}"}],
        },
        "dimension": [oxide("Al2O3", al), oxide("Fe2O3", fe)],
    }


POTTERY = {
    "A1": sample("A1", 1, 14.4, 7.0),
    "A2": sample("A2", 1, 13.8, 7.1),
    "A10": sample("A10", 1, 19.1, 5.6),
    "B1": sample("B1", 2, 11.0, 1.3),
}


def parse_svg(html: str) -> ET.Element:
    [svg] = re.findall(r"<svg.*?</svg>", html, flags=re.S)[:1]
    return ET.fromstring(svg)


def test_ticks_are_round_and_cover_the_values():
    assert nice_ticks(13.8, 19.1) == [12, 14, 16, 18, 20]
    assert nice_ticks(0.4, 0.9)[0] <= 0.4 and nice_ticks(0.4, 0.9)[-1] >= 0.9
    assert len(nice_ticks(5, 5)) >= 2  # one value still has an axis


def test_the_plot_is_an_accessible_svg_with_each_point_a_link_and_the_object_apart():
    points = [
        Point(1, 2, "one", "objects/x/1"),
        Point(3, 4, "two <b>", "objects/x/2", this=True),
        Point(5, 1, "three", "objects/x/3"),
    ]
    svg = ET.fromstring(
        scatter(points, Axis("Al2O3", "percent"), Axis("Fe2O3", "%"), "T", "D", "k")
    )
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "k-title k-desc"
    assert svg.find(f"{SVG}title").text == "T" and svg.find(f"{SVG}desc").text == "D"
    circles = svg.findall(f".//{SVG}circle")
    assert len(circles) == 3
    # The object's point last (drawn over the others), its label escaped in its title.
    assert circles[-1].get("class") == "point this"
    assert circles[-1].find(f"{SVG}title").text == "two <b>: 3, 4"
    links = [a.get("href") for a in svg.findall(f"{SVG}a")]
    assert sorted(links) == ["objects/x/1", "objects/x/2", "objects/x/3"]
    axes = [t.text for t in svg.findall(f"{SVG}text") if "axis" in (t.get("class") or "")]
    assert axes == ["Al2O3 (percent)", "Fe2O3 (%)"]
    assert scatter([], Axis("a", ""), Axis("b", ""), "T", "D", "k") == ""


def test_related_objects_are_those_naming_the_same_node_in_natural_order():
    related = Related({"pottery": POTTERY})
    [kiln] = related.groups_of("pottery", "A2")
    assert kiln.relation == "made_at" and kiln.label == "kiln 1"
    assert kiln.members == ("A1", "A2", "A10")  # A10 after A2
    assert kiln.heading == "Also made at kiln 1"
    assert related.groups_of("pottery", "B1") == []  # alone at its kiln: no group shown


def test_coins_are_related_by_their_canvas_and_skulls_by_the_epoch_their_description_states():
    def coin(n: int) -> dict:
        point = {"id": f"https://h.invalid/canvas/1#xywh={n},0,10,10"}
        shown = {"digitally_shown_by": [{"access_point": [point]}]}
        return {"id": f"urn:echoes:object:coins/{n}", "representation": [shown]}

    def skull(n: int, epoch: str) -> dict:
        text = f"Epoch {epoch} (about 4000 BC) as given by the source."
        return {"id": f"urn:echoes:object:skulls/{n}", "referred_to_by": [{"content": text}]}

    related = Related(
        {
            "coins": {"1": coin(1), "2": coin(2)},
            "skulls": {"1": skull(1, "c4000BC"), "2": skull(2, "c4000BC"), "3": skull(3, "AD150")},
        }
    )
    [photograph] = related.groups_of("coins", "1")
    assert photograph.relation == "image" and photograph.key == "https://h.invalid/canvas/1"
    [epoch] = related.groups_of("skulls", "2")
    assert epoch.label == "c4000BC" and epoch.members == ("1", "2")


def test_the_index_is_made_once_per_load():
    pages = Pages()
    records = {"pottery": POTTERY}
    first = pages.related(records, {}, REPO)
    assert pages.related(records, {}, REPO) is first
    assert pages.related(dict(records), {}, REPO) is not first  # a new load's records


@pytest.fixture(scope="module")
def built() -> tuple[dict, dict, Path]:
    path = Path(os.environ.get("ECHOES_DATA_DIR") or REPO / ".echoes" / "heritage")
    assert (path / "twins" / "index.json").is_file(), f"no data build at {path}: run `make data`"
    index, records = read_records([path])
    return index, records, path


def test_on_the_data_build_every_collection_has_its_groups_and_the_tate_indexes_quickly(built):
    records = built[1]
    started = time.monotonic()
    related = Related(records)
    print(
        f"\nrelated index of {sum(map(len, records.values()))} records: "
        f"{1000 * (time.monotonic() - started):.0f} ms"
    )
    expected = {
        "tate": "by",
        "pottery": "made_at",
        "painters": "member_of",
        "skulls": "epoch",
        "rock-art": "part_of",
        "coins": "image",
    }
    for collection, relation in expected.items():
        grouped = [i for i in records[collection] if related.group(collection, i, relation)]
        assert grouped, f"no {relation} group in {collection}"
    # Each pottery sample's group is every sample of its kiln.
    for local_id, record in records["pottery"].items():
        kiln = record["produced_by"]["took_place_at"][0]["id"]
        same = {
            i
            for i, r in records["pottery"].items()
            if r["produced_by"]["took_place_at"][0]["id"] == kiln
        }
        assert set(related.group("pottery", local_id, "made_at").members) == same
    assert len(related.group("coins", "7", "image").members) == 24


def test_a_pottery_page_has_its_table_and_a_plot_of_its_kiln(built):
    index, records, path = built
    related = Pages().related(records, index, path)
    page = render(
        records["pottery"]["GB1"],
        index["pottery"],
        OBJECTS + "pottery/GB1",
        "http://iiif.example/services/iiif/",
        related=related,
    )
    table = re.search(r'<table class="measurements">.*?</table>', page, flags=re.S).group(0)
    assert table.count("<tr>") == 1 + 9  # the head and the nine oxides
    assert '<th scope="row">Al2O3 (aluminium oxide), percent by weight</th>' in table
    svg = parse_svg(page)
    kiln = related.group("pottery", "GB1", "made_at")
    assert len(svg.findall(f".//{SVG}circle")) == len(kiln.members) == 22
    assert "<figcaption>" in page and "kiln 1 (Gloucester)" in svg.find(f"{SVG}title").text
    links = re.findall(r'<ul class="related-links">(.*?)</ul>', page)[0]
    assert links.count("<li>") == 21 and OBJECTS + "pottery/GA1" in links


def test_a_coins_page_shows_its_region_on_the_whole_image_with_the_iiif_links(built):
    index, records, path = built
    related = Pages().related(records, index, path)
    iiif = "http://iiif.example/services/iiif/"
    page = render(records["coins"]["7"], index["coins"], OBJECTS + "coins/7", iiif, related=related)
    whole = ET.fromstring(re.search(r'<svg[^>]*class="whole".*?</svg>', page).group(0))
    assert whole.get("viewBox") == "0 0 384 303"
    rect = whole.find(f"{SVG}rect")
    region = records["coins"]["7"]["representation"][0]["digitally_shown_by"][0]
    assert region["access_point"][0]["id"].endswith(
        f"#xywh={rect.get('x')},{rect.get('y')},{rect.get('width')},{rect.get('height')}"
    )
    assert f'href="{iiif}presentation/images/coins/manifest.json"' in page
    assert f"{iiif}image/3/images%2Fcoins%2Fcoins.png/info.json" in page


def test_the_regions_of_public_interpretations_are_dashed_on_the_whole_image(built):
    index, records, path = built
    related = Pages().related(records, index, path)
    canvas = records["coins"]["7"]["representation"][0]["digitally_shown_by"][0]
    canvas_id = canvas["access_point"][0]["id"].partition("#")[0]
    said = [
        {
            "annotation": "http://a.example/containers/default/1",
            "text": "Athena's <owl>",
            "status": "proposed",
            "regions": [
                {"canvas": canvas_id, "bounds": [30.0, 110.0, 20.0, 15.0]},
                {"canvas": "http://elsewhere/canvas", "bounds": [1, 1, 1, 1]},
            ],
        }
    ]
    page = render(
        records["coins"]["7"],
        index["coins"],
        OBJECTS + "coins/7",
        "http://iiif.example/services/iiif/",
        related=related,
        interpretations=said,
    )
    whole = ET.fromstring(re.search(r'<svg[^>]*class="whole".*?</svg>', page).group(0))
    [mark] = [r for r in whole.iter(f"{SVG}rect") if "interpretation-region" in r.get("class")]
    assert (mark.get("x"), mark.get("y"), mark.get("width"), mark.get("height")) == (
        "30",
        "110",
        "20",
        "15",
    )
    assert mark.find(f"{SVG}title").text == "Athena's <owl>"  # escaped in the markup
    assert "1 region(s) of public interpretations dashed" in whole.find(f"{SVG}desc").text


def test_cite_this_gives_the_iri_citation_licence_and_the_json_ld_link():
    page = render(POTTERY["A1"], ENTRY, OBJECTS + "pottery/A1", "http://iiif/")
    cite = page[page.index("<h2>Cite this</h2>") :]
    assert "<code>urn:echoes:object:pottery/A1</code>" in cite
    assert "Tubb &amp; al. (1980)" in cite and "Pottery &lt;kilns&gt;" in cite
    assert 'href="https://spdx.org/licenses/GPL-3.0-only.html"' in cite
    [ready] = re.findall(r'<pre class="citation">(.*?)</pre>', cite)
    assert "urn:echoes:object:pottery/A1" in ready and OBJECTS + "pottery/A1" in ready
    assert f'href="{OBJECTS}pottery/A1?format=json-ld"' in cite


ADA = {"id": "urn:echoes:user:ada", "type": "Person", "nickname": "ada"}
BOB = {"id": "urn:echoes:user:bob", "type": "Person", "nickname": "bob"}
ANNOTATOR = {"type": "Software", "name": "coin-annotator", "version": "1.2", "actedOnBehalfOf": ADA}
ATHENA = {
    "property": "depicts",
    "crm": "http://www.cidoc-crm.org/cidoc-crm/P62_depicts",
    "value": {"id": "http://vocab.getty.edu/page/ulan/athena", "label": "Athena"},
}


def interpretation(uid: str, **fields) -> dict:
    return {
        "id": f"urn:echoes:interpretation:{uid}",
        "annotation": f"http://annotations.example/annotations/{uid}",
        "creator": ADA,
        "created": "2026-12-02T08:00:00.000Z",
        "modified": "2026-12-02T08:00:00.000Z",
        "motivation": ["identifying"],
        "text": "Athena, helmeted, facing right",
        "confidence": None,
        "visibility": "public",
        "status": "proposed",
        "status_by": [],
        "claims": [ATHENA],
        "agree": [],
        "contest": [],
        "replies": [],
        **fields,
    }


def test_interpretations_are_grouped_by_claim_with_who_when_confidence_status_and_replies():
    items = [
        interpretation(
            "1",
            creator=ANNOTATOR,
            confidence=0.82,
            status="accepted",
            status_by=[{"creator": BOB, "verdict": "accepted", "at": "2026-12-02T09:00:00Z"}],
            agree=[BOB],
            adopted=True,
            replies=[{"creator": BOB, "text": "Yes: the owl", "created": "2026-12-02T09:01Z"}],
        ),
        interpretation("2", text="The helmet is Corinthian", contest=[BOB, ADA]),
        interpretation("3", claims=[], text="Worn; <re-read> in a better light"),
        interpretation(
            "4",
            claims=[{"property": "depicts", "value": {"label": "an owl"}}, ATHENA],
            status="contested",
        ),
    ]
    html = interpretations_section(items)
    sections = re.findall(r'<section class="claim[^"]*"><h3>(.*?)</h3>(.*?)</section>', html)
    headings = [h for h, _ in sections]
    assert headings == [
        '<a href="http://www.cidoc-crm.org/cidoc-crm/P62_depicts">depicts</a>: '
        '<a href="http://vocab.getty.edu/page/ulan/athena">Athena</a> (3)',
        "depicts: an owl (1)",
        "Notes (1)",
    ]
    athena = sections[0][1]
    assert athena.count("<article") == 3  # 1, 2 and 4 (4 claims both)
    first = athena[: athena.index("</article>")]
    assert "by coin-annotator 1.2 (software), for ada" in first
    assert "on 2026-12-02T08:00:00.000Z" in first and "confidence 82%" in first
    assert "<strong>accepted</strong> (accepted by bob on 2026-12-02T09:00:00Z)" in first
    assert '<span class="agree">1 agree</span>' in first
    assert '<span class="contest">0 contest</span>' in first
    assert "<li>bob, 2026-12-02T09:01Z: Yes: the owl</li>" in first
    assert '<span class="adopted">In the current view.</span>' in first
    second = athena.split("</article>")[1]
    assert "In the current view" not in second
    assert "confidence not given" in second and '<span class="contest">2 contest</span>' in second
    assert "Worn; &lt;re-read&gt; in a better light" in sections[2][1]
    assert "status-contested" in sections[1][1]
    assert interpretations_section([]) == ""


def test_the_page_shows_interpretations_only_when_given_and_escapes_them():
    page = render(POTTERY["A1"], ENTRY, OBJECTS + "pottery/A1", "http://iiif/")
    assert "<h2>Interpretations</h2>" not in page
    hostile = interpretation("x", text="<script>alert(1)</script>", claims=[])
    page = render(
        POTTERY["A1"], ENTRY, OBJECTS + "pottery/A1", "http://iiif/", interpretations=[hostile]
    )
    assert "<h2>Interpretations</h2>" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_analyses_that_used_an_object_say_which_notebook_who_when_and_the_run():
    page = render(POTTERY["A1"], ENTRY, OBJECTS + "pottery/A1", "http://iiif/", analyses=[])
    assert "<h2>Analyses that used this object</h2>" in page
    assert "No public analysis names this object yet." in page
    hostile = {
        "run": 'urn:echoes:run:sha256:ab"><script>',
        "label": "<b>kilns</b>.ipynb",
        "ran": "2026-12-02T08:00:00+00:00",
        "annotation": "http://annotations.example/x",
        "creator": {"type": "Person", "nickname": "<i>ada</i>"},
        "created": "2026-12-02T09:00:00Z",
    }
    shown = analyses_section([hostile])
    assert "<script>" not in shown and "<b>" not in shown and "<i>" not in shown
    assert "&lt;b&gt;kilns&lt;/b&gt;.ipynb</strong>, run by &lt;i&gt;ada&lt;/i&gt; on " in shown
    assert "2026-12-02T08:00:00+00:00" in shown  # when it ran, not when it was linked
    assert "urn:echoes:run:sha256:ab&quot;&gt;&lt;script&gt;" in shown
    # Not given (a page made without the commons): no section.
    page = render(POTTERY["A1"], ENTRY, OBJECTS + "pottery/A1", "http://iiif/")
    assert "Analyses that used" not in page


def test_measurements_include_those_assigned_with_who_and_when():
    painter = {
        "id": "urn:echoes:object:painters/x",
        "attributed_by": [
            {
                "carried_out_by": [{"_label": "Roger de Piles"}],
                "timespan": {"_label": "1708"},
                "assigned": [
                    {
                        "value": 15,
                        "unit": {"_label": "points"},
                        "classified_as": [{"id": "urn:s/colour", "_label": "colour score"}],
                    }
                ],
            }
        ],
    }
    [score] = measurements(painter)
    assert (score.what, score.value, score.unit, score.by, score.when) == (
        "colour score",
        15,
        "points",
        "Roger de Piles",
        "1708",
    )
