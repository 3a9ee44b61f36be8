"""The coins annotator through the real service: one proposal per coin, by Software.

The photograph is scikit-image's `coins` (Greek coins from Pompeii, Brooklyn Museum):
24 coins in four rows. The annotator acts for the hub user who runs it; that user then
accepts or rejects proposals with `assessing` annotations of their own.

On the run's shared hub: the proposals are private, so each search for them asks for the
private annotations on the photograph, which are the searcher's own (other modules' public
annotations of the same photograph are not this module's to count).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from echoes.annotations import AnnotationClient, region, to_frame
from echoes.annotators import coins
from tests.hubclient import Kernel
from tests.integration.annotations_support import new_person, service_url, wait_for_service
from tests.integration.conftest import add_user

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

COINS_IN_THE_PHOTOGRAPH = 24
#: The search criterion of the proposals the annotator makes (private: the searcher's own).
OWN = {"visibility": "private"}


def client_of(hub, admin, prefix: str) -> AnnotationClient:
    _, session = new_person(hub, admin, prefix)
    client = AnnotationClient(url=service_url(hub), token=session.headers["Authorization"][6:])
    client.name = session.name
    return client


@pytest.fixture(scope="module")
def canvas(data) -> str:
    """The photograph's IIIF canvas, as its manifest in the hub's data names it."""
    return coins.canvas(data)["id"]


@pytest.fixture(scope="module")
def curator(hub, admin) -> AnnotationClient:
    wait_for_service(hub)
    return client_of(hub, admin, "ann-curator")


def test_one_software_annotation_per_coin(curator, data, canvas):
    iris = coins.annotate(curator, data_dir=data)
    assert len(iris) == COINS_IN_THE_PHOTOGRAPH

    proposals = curator.search(canvas, creator=coins.NAME, **OWN)
    assert sorted(p["id"] for p in proposals) == sorted(iris)
    boxes = set()
    for proposal in proposals:
        creator = proposal["creator"]
        assert creator["type"] == "Software" and creator["name"] == coins.NAME
        assert creator["version"] == coins.VERSION
        assert creator["actedOnBehalfOf"]["nickname"] == curator.name
        assert 0.5 < proposal["confidence"] <= 1
        assert proposal["motivation"] == "identifying"
        value = proposal["target"]["selector"]["value"]
        assert value.startswith("xywh=")
        boxes.add(value)
        texts = [b["value"] for b in proposal["body"]]
        area = int(next(t for t in texts if t.startswith("area")).split()[1])
        w, h = (int(n) for n in value[5:].split(",")[2:])
        assert 0.5 * w * h < area <= w * h  # a round coin fills most of its box
    assert len(boxes) == COINS_IN_THE_PHOTOGRAPH  # one region per coin, none twice

    # Its IIIF manifest finds them too (the canvas is part of it).
    manifest = coins.canvas(data)["partOf"][0]["id"]
    assert len(curator.search(manifest, creator=coins.NAME, **OWN)) == COINS_IN_THE_PHOTOGRAPH
    frame = curator.on(canvas, **OWN)
    assert len(frame) == COINS_IN_THE_PHOTOGRAPH

    # The export lines up with the published manifest: it targets the manifest's canvas.
    published = json.loads((data / "images" / "coins" / "manifest.json").read_text())
    exported = to_frame(curator.export(target=canvas, **OWN))
    assert len(exported) == COINS_IN_THE_PHOTOGRAPH
    assert set(exported["source"]) == {published["items"][0]["id"]}
    assert set(frame["creator_type"]) == {"Software"}
    assert set(frame["on_behalf_of"]) == {curator.name}


def test_a_person_accepts_or_rejects_a_proposal(curator, canvas):
    first, second = curator.search(canvas, creator=coins.NAME, limit=2, **OWN)
    accepted = curator.accept(first, "clearly a coin")
    rejected = curator.reject(second["id"])
    for assessment, verdict, on in ((accepted, "accepted", first), (rejected, "rejected", second)):
        assert assessment["creator"]["type"] == "Person"
        assert assessment["creator"]["nickname"] == curator.name
        assert assessment["motivation"] == "assessing"
        assert assessment["target"] == on["id"]
        bodies = (
            assessment["body"] if isinstance(assessment["body"], list) else [assessment["body"]]
        )
        assert bodies[0] == {"type": "TextualBody", "value": verdict, "purpose": "assessing"}
    verdicts = curator.search(first["id"], motivation="assessing")
    assert [v["id"] for v in verdicts] == [accepted["id"]]
    assert verdicts[0]["body"][0] == {
        "type": "TextualBody",
        "value": "accepted",
        "purpose": "assessing",
    }


def test_other_users_do_not_see_private_proposals(hub, admin, curator, canvas):
    visitor = client_of(hub, admin, "ann-visitor")
    seen = visitor.search(canvas)
    assert curator.name not in json.dumps(seen), "the visitor sees the curator's proposals"
    assert visitor.search(canvas, **OWN) == []


@pytest.mark.parametrize(
    ("drawn_before", "runs"), [(False, 1), (True, 2)], ids=["fresh", "drawn-by-hand-run-twice"]
)
def test_the_notebook_runs_in_a_real_kernel_on_a_user_server(
    hub, admin, curator, data, canvas, drawn_before, runs
):
    """annotate-coins.ipynb, cell by cell, in the user's own server: the client finds the
    service from the server's environment and authenticates with the server's token. The
    README has people draw on the photograph first: a hand-made annotation (no confidence,
    a Person's) is already there then, and the notebook still runs; and again, over the
    proposals and decisions of its first run."""
    person = add_user(hub, admin, "ann-notebook")
    mine = AnnotationClient(url=service_url(hub), token=person.new_token())
    if drawn_before:
        # As the JupyterLab view saves a rectangle drawn with the mouse.
        target = region(coins.canvas(data), 10, 12, 40, 38)
        mine.annotate(target, "a worn coin", "describing", visibility="private")
    assert person.start_server().status_code in (201, 202)
    kernel = Kernel(person.server_url(), person.new_token())
    try:
        notebook = json.loads((REPO / "notebooks" / "annotate-coins.ipynb").read_text())
        for _ in range(runs):
            output = ""
            for cell in notebook["cells"]:
                if cell["cell_type"] == "code":
                    output = kernel.execute("".join(cell["source"]), timeout=180)
            assert output.strip().endswith("ok")
    finally:
        kernel.close()
    proposals = mine.search(canvas, creator=coins.NAME, **OWN)
    assert len(proposals) == COINS_IN_THE_PHOTOGRAPH * runs
    assert {p["creator"]["actedOnBehalfOf"]["nickname"] for p in proposals} == {person.name}
    assert len(mine.search(creator=person.name, motivation="assessing")) == 2 * runs
    hand_made = mine.search(canvas, creator=person.name, motivation="describing")
    assert len(hand_made) == int(drawn_before)
