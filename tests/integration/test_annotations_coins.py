"""The coins annotator through the real service: one proposal per coin, by Software.

The photograph is scikit-image's `coins` (Greek coins from Pompeii, Brooklyn Museum):
24 coins in four rows. The annotator acts for the hub user who runs it; that user then
accepts or rejects proposals with `assessing` annotations of their own.
"""

from __future__ import annotations

import pytest
from annotations_support import annotation_hub
from echoes.annotations import AnnotationClient
from echoes.annotators import coins

pytestmark = pytest.mark.slow

COINS_IN_THE_PHOTOGRAPH = 24


@pytest.fixture(scope="module")
def curator() -> AnnotationClient:
    hub = annotation_hub()
    session = hub.user("ann-curator")
    token = session.headers["Authorization"].split()[1]
    return AnnotationClient(url=hub.service, token=token)


def test_one_software_annotation_per_coin(curator):
    iris = coins.annotate(curator)
    assert len(iris) == COINS_IN_THE_PHOTOGRAPH

    proposals = curator.search(coins.COINS_CANVAS, creator=coins.NAME)
    assert sorted(p["id"] for p in proposals) == sorted(iris)
    boxes = set()
    for proposal in proposals:
        creator = proposal["creator"]
        assert creator["type"] == "Software" and creator["name"] == coins.NAME
        assert creator["version"] == coins.VERSION
        assert creator["actedOnBehalfOf"]["nickname"] == "ann-curator"
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

    # The catalog item of the photograph finds them too (the canvas is part of it).
    assert len(curator.search(coins.COINS_ITEM, creator=coins.NAME)) == COINS_IN_THE_PHOTOGRAPH
    frame = curator.on(coins.COINS_CANVAS)
    assert len(frame) == COINS_IN_THE_PHOTOGRAPH
    assert set(frame["creator_type"]) == {"Software"}
    assert set(frame["on_behalf_of"]) == {"ann-curator"}


def test_a_person_accepts_or_rejects_a_proposal(curator):
    first, second = curator.search(coins.COINS_CANVAS, creator=coins.NAME, limit=2)
    accepted = curator.accept(first, "clearly a coin")
    rejected = curator.reject(second["id"])
    for assessment, verdict, on in ((accepted, "accepted", first), (rejected, "rejected", second)):
        assert assessment["creator"]["type"] == "Person"
        assert assessment["creator"]["nickname"] == "ann-curator"
        assert assessment["motivation"] == "assessing"
        assert assessment["target"] == on["id"]
        assert assessment["body"][0]["value"] == verdict
    verdicts = curator.search(first["id"], motivation="assessing")
    assert [v["id"] for v in verdicts] == [accepted["id"]]
    assert verdicts[0]["body"][0] == {
        "type": "TextualBody",
        "value": "accepted",
        "purpose": "assessing",
    }


def test_other_users_do_not_see_private_proposals(curator):
    hub = annotation_hub()
    token = hub.user("ann-visitor").headers["Authorization"].split()[1]
    visitor = AnnotationClient(url=hub.service, token=token)
    assert visitor.search(coins.COINS_CANVAS) == []
