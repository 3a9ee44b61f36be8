"""The annotation core without HTTP: storage, revisions, ETags, search and the visibility rules."""

from __future__ import annotations

import pytest

from echoes_hub.services.annotations.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationError,
)
from echoes_hub.services.annotations.permissions import Viewer
from echoes_hub.services.annotations.service import DEFAULT_CONTAINER, Annotations
from echoes_hub.services.annotations.store import Query, Store, metadata

BASE = "http://hub.example/services/annotations/"
CANVAS = "https://iiif.example.org/coins/canvas/1"
ALICE = Viewer("ann-alice", groups=frozenset({"conservators"}))
BOB = Viewer("ann-bob")
CAROL = Viewer("ann-carol", groups=frozenset({"conservators"}))
ADMIN = Viewer("ann-admin", admin=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request, tmp_path) -> Annotations:
    """The same tests on both stores (PostgreSQL's database is emptied first)."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgresql_url")
    else:
        url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    store = Store(url)
    metadata.drop_all(store.engine)
    store.create_schema()
    store.ensure_container(DEFAULT_CONTAINER, "echoes")
    yield Annotations(store, BASE, page_size=3)
    store.close()


def note(text: str = "Worn obverse", **changes) -> dict:
    doc = {
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": text},
        "target": {
            "source": CANVAS,
            "selector": {"type": "FragmentSelector", "value": "xywh=1,2,3,4"},
        },
    }
    doc.update(changes)
    return doc


def test_create_read_replace_delete_keep_every_revision(service):
    record = service.create(ALICE, DEFAULT_CONTAINER, note())
    shown = service.render(record)
    assert shown["id"] == f"{BASE}containers/default/{record.uid}"
    assert shown["creator"] == {
        "id": "urn:echoes:user:ann-alice",
        "type": "Person",
        "nickname": "ann-alice",
    }
    assert shown["created"] and shown["modified"] and shown["visibility"] == "private"
    etag = service.etag(record)

    with pytest.raises(PreconditionRequired):
        service.replace(ALICE, DEFAULT_CONTAINER, record.uid, note("Cracked"), None)
    changed = service.replace(ALICE, DEFAULT_CONTAINER, record.uid, note("Cracked"), etag)
    assert changed.revision == 2 and service.etag(changed) != etag
    with pytest.raises(PreconditionFailed):
        service.replace(ALICE, DEFAULT_CONTAINER, record.uid, note("Stale"), etag)
    assert service.read(ALICE, DEFAULT_CONTAINER, record.uid).doc["body"]["value"] == "Cracked"

    service.delete(ALICE, DEFAULT_CONTAINER, record.uid, service.etag(changed))
    with pytest.raises(NotFound):
        service.read(ALICE, DEFAULT_CONTAINER, record.uid)
    history = service.store.revisions(record.pk)
    assert [r["action"] for r in history] == ["create", "update", "delete"]
    assert [r["doc"]["body"]["value"] for r in history] == ["Worn obverse", "Cracked", "Cracked"]


def test_visibility_private_group_public(service):
    private = service.create(ALICE, DEFAULT_CONTAINER, note("private"))
    shared = service.create(
        ALICE, DEFAULT_CONTAINER, note("shared", visibility="group:conservators")
    )
    public = service.create(ALICE, DEFAULT_CONTAINER, note("public", visibility="public"))

    def visible(viewer):
        return {r.uid for r in service.store.search(viewer, Query(target=CANVAS))[1]}

    assert visible(ALICE) == {private.uid, shared.uid, public.uid}
    assert visible(CAROL) == {shared.uid, public.uid}
    assert visible(BOB) == {public.uid}
    assert visible(ADMIN) == {private.uid, shared.uid, public.uid}
    with pytest.raises(NotFound):
        service.read(BOB, DEFAULT_CONTAINER, private.uid)
    with pytest.raises(NotFound):
        service.read(BOB, DEFAULT_CONTAINER, shared.uid)
    # Readable is not writable.
    with pytest.raises(Forbidden):
        service.replace(
            CAROL, DEFAULT_CONTAINER, shared.uid, note("mine now"), service.etag(shared)
        )
    with pytest.raises(Forbidden):
        service.delete(BOB, DEFAULT_CONTAINER, public.uid, None)
    # An administrator may edit; the owner stays the owner.
    edited = service.replace(
        ADMIN, DEFAULT_CONTAINER, public.uid, note("moderated", visibility="public"), "*"
    )
    assert edited.owner == "ann-alice"
    assert edited.doc["creator"]["nickname"] == "ann-alice"


def test_nobody_poses_as_someone_else(service):
    with pytest.raises(Forbidden):
        service.create(
            BOB, DEFAULT_CONTAINER, note(creator={"type": "Person", "nickname": "ann-alice"})
        )
    agent = {"type": "Software", "name": "coins", "version": "1", "actedOnBehalfOf": "ann-alice"}
    with pytest.raises(Forbidden):
        service.create(BOB, DEFAULT_CONTAINER, note(creator=agent))
    with pytest.raises(Forbidden):
        service.create(BOB, DEFAULT_CONTAINER, note(visibility="group:conservators"))
    record = service.create(
        BOB,
        DEFAULT_CONTAINER,
        note(creator={**agent, "actedOnBehalfOf": "ann-bob"}, confidence=0.7),
    )
    assert record.doc["creator"]["type"] == "Software"
    assert record.doc["creator"]["actedOnBehalfOf"]["nickname"] == "ann-bob"
    assert record.doc["confidence"] == 0.7
    assert service.store.search(BOB, Query(creator="coins"))[0] == 1
    assert service.store.search(BOB, Query(creator="ann-bob"))[0] == 1


def test_search_by_every_criterion_and_paging(service):
    for i in range(7):
        service.create(
            ALICE, DEFAULT_CONTAINER, note(f"sherd number{i} from the kiln", visibility="public")
        )
    service.create(
        BOB,
        DEFAULT_CONTAINER,
        note(
            "tagged",
            motivation="tagging",
            body={"type": "TextualBody", "value": "kiln-A", "purpose": "tagging"},
            target="urn:echoes:catalog:heritage/archaeometry/pottery",
        ),
    )
    assert service.store.search(ALICE, Query(q="kiln"))[0] == 7
    assert service.store.search(ALICE, Query(q="number3 kiln"))[0] == 1
    assert service.store.search(BOB, Query(tag="kiln-A"))[0] == 1
    assert service.store.search(BOB, Query(motivation="tagging"))[0] == 1
    assert (
        service.store.search(BOB, Query(target="urn:echoes:catalog:heritage/archaeometry/pottery"))[
            0
        ]
        == 1
    )
    assert service.store.search(BOB, Query(visibility="public"))[0] == 7
    assert service.store.search(BOB, Query(creator="ann-alice"))[0] == 7
    with pytest.raises(ValidationError):
        service.store.search(BOB, Query(q="  ..  "))

    collection = service.collection(
        BOB, Query(container=DEFAULT_CONTAINER), f"{BASE}containers/default/"
    )
    assert collection["total"] == 8 and len(collection["first"]["items"]) == 3
    assert collection["last"].endswith("?page=2")
    page = service.page(
        BOB, Query(container=DEFAULT_CONTAINER), f"{BASE}containers/default/", 2, iris=True
    )
    assert len(page["items"]) == 2 and "next" not in page and page["prev"].endswith("page=1&iris=1")
    assert all(isinstance(i, str) for i in page["items"])
    minimal = service.collection(
        BOB, Query(container=DEFAULT_CONTAINER), f"{BASE}containers/default/", "minimal"
    )
    assert minimal["first"] == f"{BASE}containers/default/?page=0"


def test_import_is_all_or_nothing_and_round_trips(service, tmp_path):
    for i in range(4):
        service.create(ALICE, DEFAULT_CONTAINER, note(f"note {i}", visibility="public"))
    exported = service.export(
        ALICE, Query(container=DEFAULT_CONTAINER), f"{BASE}containers/default/"
    )

    other = Store(f"sqlite:///{tmp_path / 'other.sqlite'}")
    other.create_schema()
    other.ensure_container(DEFAULT_CONTAINER, "echoes")
    copy = Annotations(other, BASE, page_size=3)
    bad = {"type": "AnnotationPage", "items": [note(), {"type": "Annotation"}]}
    with pytest.raises(ValidationError) as caught:
        copy.import_collection(ALICE, DEFAULT_CONTAINER, bad)
    assert caught.value.field == "items[1].target"
    assert other.search(ADMIN, Query())[0] == 0

    assert len(copy.import_collection(ALICE, DEFAULT_CONTAINER, exported)) == 4
    again = copy.export(ALICE, Query(container=DEFAULT_CONTAINER), f"{BASE}containers/default/")
    first, second = exported["first"]["items"], again["first"]["items"]
    assert [a["id"] for a in first] == [b["via"] for b in second]
    keys = ("type", "motivation", "body", "target", "creator", "created", "visibility")
    assert [{k: a[k] for k in keys} for a in first] == [{k: b[k] for k in keys} for b in second]
    other.close()


def test_containers(service):
    info = service.create_container(ALICE, {"name": "kiln-study", "label": "Kiln study"})
    assert info["id"] == f"{BASE}containers/kiln-study/" and info["owner"] == "ann-alice"
    with pytest.raises(Conflict):
        service.create_container(BOB, {"name": "kiln-study"})
    for name in ("../x", "", "UPPER", "a" * 65, None):
        with pytest.raises(ValidationError):
            service.create_container(BOB, {"name": name})
    with pytest.raises(NotFound):
        service.create(ALICE, "nowhere", note())


def test_the_change_feed_orders_every_change_and_a_database_from_before_it_is_backfilled(
    service,
):
    kept = [service.create(ALICE, DEFAULT_CONTAINER, note(f"n{i}")) for i in range(3)]
    store = service.store
    last, records = store.changes_since(0, 100)
    assert [r.uid for r in records] == [r.uid for r in kept]
    service.delete(ALICE, DEFAULT_CONTAINER, kept[0].uid, service.etag(kept[0]))
    after, records = store.changes_since(last, 100)
    assert after > last and [(r.uid, r.deleted) for r in records] == [(kept[0].uid, True)]
    assert store.changes_since(after, 100) == (after, [])
    # One change per annotation read, in the order of its last change.
    _, both = store.changes_since(0, 100)
    assert [r.uid for r in both] == [kept[1].uid, kept[2].uid, kept[0].uid]
    # A database made before the feed existed: its annotations become one change each.
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM changes")
    store.create_schema()
    _, backfilled = store.changes_since(0, 100)
    assert [r.uid for r in backfilled] == [r.uid for r in kept]
