"""Annotations on the old canvas IRIs (urn:echoes:canvas:<theme>/<entry>) move to the IIIF
canvas of their image, as the data folder's canvases.json lists it, in one transaction,
each as a new revision; a second run moves nothing. On SQLite and PostgreSQL. The real hub
starting over a store written the old way: tests/integration/test_canvas_migration.py."""

from __future__ import annotations

import json

import pytest

from echoes_data import canvases
from echoes_hub.services.annotations import migrate
from echoes_hub.services.annotations.permissions import Viewer
from echoes_hub.services.annotations.service import DEFAULT_CONTAINER, Annotations
from echoes_hub.services.annotations.store import Query, Store, metadata

OLD = "urn:echoes:canvas:images/coins"
OLD_ITEM = "urn:echoes:catalog:heritage/images/coins"
MANIFEST = "https://heritage.echoes.invalid/images/coins/manifest.json"
CANVAS = {
    "id": "https://heritage.echoes.invalid/images/coins/canvas/1",
    "type": "Canvas",
    "partOf": [{"id": MANIFEST, "type": "Manifest"}],
}
MOVES = {"images.coins": CANVAS}
ALICE = Viewer("mig-alice")
SELECTOR = {"type": "FragmentSelector", "value": "xywh=10,20,30,40"}


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request, tmp_path) -> Annotations:
    url = (
        request.getfixturevalue("postgresql_url")
        if request.param == "postgresql"
        else f"sqlite:///{tmp_path / 'a.sqlite'}"
    )
    store = Store(url)
    metadata.drop_all(store.engine)
    store.create_schema()
    store.ensure_container(DEFAULT_CONTAINER, "echoes")
    yield Annotations(store, "http://hub.example/services/annotations/")
    store.close()


def note(text: str, target) -> dict:
    return {
        "type": "Annotation",
        "motivation": "describing",
        "body": {"type": "TextualBody", "value": text},
        "target": target,
    }


#: Targets as the views, the widgets and people wrote them before, by what each becomes.
OLD_TARGETS = {
    "region of the old canvas object": (
        {
            "type": "SpecificResource",
            "source": {"id": OLD, "type": "Canvas", "partOf": [{"id": OLD_ITEM}]},
            "selector": SELECTOR,
        },
        {"type": "SpecificResource", "source": CANVAS, "selector": SELECTOR},
    ),
    "region of the old IRI": (
        {"type": "SpecificResource", "source": OLD, "selector": SELECTOR},
        {"type": "SpecificResource", "source": CANVAS, "selector": SELECTOR},
    ),
    "the whole image": (OLD, CANVAS["id"]),
    "a fragment IRI": (f"{OLD}#xywh=1,2,3,4", f"{CANVAS['id']}#xywh=1,2,3,4"),
    "the canvas object": ({"id": OLD, "type": "Canvas"}, CANVAS),
    "two targets": ([OLD, OLD_ITEM], [CANVAS["id"], OLD_ITEM]),
}


def on(service: Annotations, target: str) -> list[str]:
    return [r.doc["body"]["value"] for r in service.store.search(ALICE, Query(target=target))[1]]


def test_every_kind_of_old_target_moves_to_the_canvas_and_keeps_its_selector(service):
    made = {
        text: service.create(ALICE, DEFAULT_CONTAINER, note(text, old))
        for text, (old, _) in OLD_TARGETS.items()
    }
    elsewhere = service.create(ALICE, DEFAULT_CONTAINER, note("a pot", "urn:echoes:catalog:x"))
    assert migrate.move_to_canvases(service.store, MOVES) == len(OLD_TARGETS)

    for text, (_, new) in OLD_TARGETS.items():
        record = service.store.get(DEFAULT_CONTAINER, made[text].uid)
        assert record.doc["target"] == new, text
        assert record.revision == 2  # a new ETag: who holds the old one reads again
    assert on(service, OLD) == []
    assert sorted(on(service, CANVAS["id"])) == sorted(OLD_TARGETS)
    # Those given as objects are partOf the manifest, and found by it.
    objects = [text for text, (_, new) in OLD_TARGETS.items() if MANIFEST in json.dumps(new)]
    assert sorted(on(service, MANIFEST)) == sorted(objects) and len(objects) == 3
    assert on(service, OLD_ITEM) == ["two targets"]  # the other target stays
    assert service.store.get(DEFAULT_CONTAINER, elsewhere.uid).revision == 1

    # The history keeps what was said on which IRI, and says who moved it.
    first, moved = service.store.revisions(made["the whole image"].pk)
    assert (first["action"], first["doc"]["target"]) == ("create", OLD)
    assert (moved["action"], moved["by"], moved["doc"]["target"]) == (
        "migrate",
        migrate.BY,
        CANVAS["id"],
    )
    assert moved["doc"]["created"] == first["doc"]["created"]
    assert moved["doc"]["creator"] == first["doc"]["creator"]

    assert migrate.move_to_canvases(service.store, MOVES) == 0  # nothing left to move
    assert service.store.get(DEFAULT_CONTAINER, made["the whole image"].uid).revision == 2


def test_deleted_annotations_stay_history_and_unknown_images_stay_put(service):
    gone = service.create(ALICE, DEFAULT_CONTAINER, note("gone", OLD))
    service.delete(ALICE, DEFAULT_CONTAINER, gone.uid, None)
    other = service.create(ALICE, DEFAULT_CONTAINER, note("sherd", "urn:echoes:canvas:images/x"))
    assert migrate.move_to_canvases(service.store, MOVES) == 0
    assert [r["action"] for r in service.store.revisions(gone.pk)] == ["create", "delete"]
    assert service.store.get(DEFAULT_CONTAINER, other.uid).revision == 1


def test_a_failing_migration_changes_nothing(service):
    first = service.create(ALICE, DEFAULT_CONTAINER, note("one", OLD))
    service.create(ALICE, DEFAULT_CONTAINER, note("two", OLD))
    broken = {"images.coins": {"type": "Canvas"}}  # no id: the second move fails too
    with pytest.raises(KeyError):
        migrate.move_to_canvases(service.store, broken)
    assert service.store.get(DEFAULT_CONTAINER, first.uid).doc["target"] == OLD
    assert sorted(on(service, OLD)) == ["one", "two"]


def test_the_service_reads_the_canvases_the_data_build_lists(tmp_path, caplog):
    log = migrate.logging.getLogger("test")
    assert migrate.read_canvases(tmp_path / canvases.INDEX, log) == {}  # not built yet
    (tmp_path / canvases.INDEX).write_text(json.dumps(MOVES))
    assert migrate.read_canvases(tmp_path / canvases.INDEX, log) == MOVES
