"""Importing collections other tools wrote: who becomes the creator, and what is kept.

The rule (permissions.py): the importer becomes the creator (their own Software agent of
the same name when the original was Software); the original IRI goes to ``via`` and a
creator from elsewhere to ``as:attributedTo``. Administrators may keep the creators.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from echoes_hub.services.annotations import jsontext
from echoes_hub.services.annotations.errors import Forbidden
from echoes_hub.services.annotations.permissions import Viewer
from echoes_hub.services.annotations.service import DEFAULT_CONTAINER, Annotations
from echoes_hub.services.annotations.store import Query, Store

BASE = "http://hub.example/services/annotations/"
FOREIGN = json.loads((Path(__file__).parents[1] / "fixtures/annotations/foreign.json").read_text())
ALICE = Viewer("ann-alice")
BOB = Viewer("ann-bob")
ADMIN = Viewer("ann-admin", admin=True)


@pytest.fixture
def service(tmp_path) -> Annotations:
    store = Store(f"sqlite:///{tmp_path / 'a.sqlite'}")
    store.create_schema()
    store.ensure_container(DEFAULT_CONTAINER, "echoes")
    yield Annotations(store, BASE, page_size=3)
    store.close()


def imported(service: Annotations, viewer: Viewer, collection, keep: bool = False) -> list[dict]:
    records = service.import_collection(viewer, DEFAULT_CONTAINER, collection, keep)
    return [service.render(r) for r in records]


def test_mirador_and_annotorious_collections_import_for_a_plain_user(service):
    mirador = imported(service, BOB, FOREIGN["mirador"])
    annotorious = imported(service, BOB, FOREIGN["annotorious"])
    bob = {"id": "urn:echoes:user:ann-bob", "type": "Person", "nickname": "ann-bob"}

    # Mirador: a uuid id becomes a urn:uuid: IRI in via; no creator, nothing attributed.
    assert mirador[0]["creator"] == bob and "as:attributedTo" not in mirador[0]
    assert mirador[0]["via"] == "urn:uuid:b3b0a4c2-1f6e-4f59-9a4a-2f5c8e2d9f01"
    assert mirador[0]["target"]["selector"][1]["type"] == "SvgSelector"
    # A person of another store stays as provenance; Bob is the creator here.
    assert mirador[1]["creator"] == bob
    assert mirador[1]["via"] == "https://mirador.example.org/annotations/7d1e6f0a"
    assert mirador[1]["as:attributedTo"]["id"] == "https://orcid.org/0000-0002-1825-0097"

    keller, museum, software = annotorious
    assert keller["via"] == "urn:uuid:4f0c2a8e-6a53-4f2b-8d0e-9c1d2b3a4e5f"
    assert keller["as:attributedTo"] == {
        "id": "https://annotorious.example.org/users/mkeller",
        "name": "M. Keller",
    }
    assert keller["created"] == "2024-03-05T10:12:00.000Z" and keller["creator"] == bob
    assert museum["as:attributedTo"]["type"] == "Organization" and museum["creator"] == bob
    # Software stays software (with its confidence), run for Bob, not for another store.
    assert software["creator"] == {
        "id": "urn:echoes:agent:ann-bob:segment-anything",
        "type": "Software",
        "name": "segment-anything",
        "actedOnBehalfOf": bob,
    }
    assert software["confidence"] == 0.87
    assert software["as:attributedTo"]["homepage"] == "https://segment-anything.example.org/"
    assert service.store.search(BOB, Query(creator="ann-bob"))[0] == 5
    assert service.store.search(ALICE, Query())[0] == 0  # imported as private


def test_nobody_imports_as_another_hub_user_or_their_agent(service):
    as_alice = {
        "type": "Annotation",
        "target": "urn:echoes:catalog:heritage/archaeometry/pottery",
        "body": {"type": "TextualBody", "value": "signed as Alice"},
        "creator": {"id": "urn:echoes:user:ann-alice", "type": "Person", "nickname": "ann-alice"},
    }
    alices_agent = {
        **as_alice,
        "creator": {
            "id": "urn:echoes:agent:ann-alice:coins",
            "type": "Software",
            "name": "coins",
            "version": "1",
            "actedOnBehalfOf": {"id": "urn:echoes:user:ann-alice", "type": "Person"},
        },
        "confidence": 0.5,
    }
    person, agent = imported(service, BOB, [as_alice, alices_agent])
    assert person["creator"]["id"] == "urn:echoes:user:ann-bob"
    assert agent["creator"]["id"] == "urn:echoes:agent:ann-bob:coins"
    assert agent["creator"]["actedOnBehalfOf"]["nickname"] == "ann-bob"
    assert agent["as:attributedTo"]["id"] == "urn:echoes:agent:ann-alice:coins"
    assert service.store.search(ADMIN, Query(creator="ann-alice"))[0] == 0
    with pytest.raises(Forbidden) as refused:
        imported(service, BOB, [as_alice], keep=True)
    assert refused.value.field == "creators"
    assert service.store.search(ADMIN, Query())[0] == 2


def test_administrators_keep_creators_when_migrating(service):
    exported = []
    for viewer in (ALICE, BOB):
        doc = {"type": "Annotation", "target": "urn:x:1", "bodyValue": f"by {viewer.name}"}
        service.create(viewer, DEFAULT_CONTAINER, doc)
    exported = service.export(ADMIN, Query(), f"{BASE}export")
    kept = imported(service, ADMIN, exported, keep=True)
    assert [a["creator"]["nickname"] for a in kept] == ["ann-alice", "ann-bob"]
    # Ownership follows the kept creator: Alice may edit hers, Bob his.
    assert service.store.search(ALICE, Query(creator="ann-alice"))[0] == 2
    foreign = imported(service, ADMIN, FOREIGN["mirador"], keep=True)
    assert foreign[1]["creator"]["name"] == "Josiah Carberry"
    assert "as:attributedTo" not in foreign[1]


def test_export_import_export_keeps_provenance_and_adds_each_hop_to_via(service, tmp_path):
    first = imported(service, BOB, FOREIGN["annotorious"])
    exported = service.export(BOB, Query(container=DEFAULT_CONTAINER), f"{BASE}x")
    other = Store(f"sqlite:///{tmp_path / 'b.sqlite'}")
    other.create_schema()
    other.ensure_container(DEFAULT_CONTAINER, "echoes")
    copy = Annotations(other, "http://other.example/annotations/")
    second = [copy.render(r) for r in copy.import_collection(BOB, DEFAULT_CONTAINER, exported)]
    for before, after in zip(first, second, strict=True):
        assert after["via"] == [before["via"], before["id"]]
        for key in ("creator", "as:attributedTo", "body", "target", "created"):
            assert after[key] == before[key], key
    other.close()


def test_pages_are_written_from_the_stored_text(service):
    record = service.create(ALICE, DEFAULT_CONTAINER, {"type": "Annotation", "target": "urn:x:1"})
    assert json.loads(service.render_raw(record).text) == service.render(record)
    page = service.page(ALICE, Query(), f"{BASE}search", 0, iris=False)
    assert json.loads(jsontext.dumps(page))["items"] == [service.render(record)]
    with pytest.raises(TypeError):
        json.dumps(page)  # a Raw never slips through as a string
    # Text that looks like the splice marker stays text.
    tricky = {"a": "\\u00000\\u0000", "items": [jsontext.Raw('{"b":1}')]}
    assert json.loads(jsontext.dumps(tricky)) == {"a": "\\u00000\\u0000", "items": [{"b": 1}]}
