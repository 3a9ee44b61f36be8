"""Regression tests of the trust findings in the annotation core (issue 12, section 2).

Each reads as the rule it guards: history does not leak, a name does not impersonate,
a weak ETag does not authorise a change, a label is one line, a container is its owner's.
"""

from __future__ import annotations

import pytest

from echoes_hub.services.annotations.errors import (
    Forbidden,
    PreconditionFailed,
    ValidationError,
)
from echoes_hub.services.annotations.service import DEFAULT_CONTAINER
from echoes_hub.services.annotations.store import Query
from tests.unit.test_annotation_store import ADMIN, ALICE, BOB, CAROL, note, service  # noqa: F401


def history(service, viewer, record) -> list[str]:  # noqa: F811
    revisions = service.revisions(viewer, DEFAULT_CONTAINER, record.uid)["items"]
    return [r["doc"]["body"]["value"] for r in revisions]


def test_revisions_show_others_only_what_they_could_read_when_it_was_current(service):  # noqa: F811
    record = service.create(ALICE, DEFAULT_CONTAINER, note("draft: the donor is X"))
    record = service.replace(
        ALICE,
        DEFAULT_CONTAINER,
        record.uid,
        note("for the conservators", visibility="group:conservators"),
        service.etag(record),
    )
    record = service.replace(
        ALICE,
        DEFAULT_CONTAINER,
        record.uid,
        note("published", visibility="public"),
        service.etag(record),
    )
    everything = ["draft: the donor is X", "for the conservators", "published"]
    assert history(service, ALICE, record) == everything
    assert history(service, ADMIN, record) == everything
    assert history(service, CAROL, record) == ["for the conservators", "published"]
    assert history(service, BOB, record) == ["published"]


def test_a_person_iri_never_finds_an_agent_someone_else_named_after_them(service):  # noqa: F811
    alices = service.create(ALICE, DEFAULT_CONTAINER, note("by Alice", visibility="public"))
    impostor = {"type": "Software", "name": ALICE.name, "version": "1"}
    bobs = service.create(
        BOB, DEFAULT_CONTAINER, note("by Bob's agent", visibility="public", creator=impostor)
    )

    def found(viewer, creator: str) -> set[str]:
        return {r.uid for r in service.store.search(viewer, Query(creator=creator))[1]}

    for viewer in (ALICE, CAROL, ADMIN):
        assert found(viewer, f"urn:echoes:user:{ALICE.name}") == {alices.uid}
        assert found(viewer, ALICE.name) == {alices.uid}
        # An agent is found by its full IRI, which names whom it acts for.
        assert found(viewer, f"urn:echoes:agent:{BOB.name}:{ALICE.name}") == {bobs.uid}
        assert found(viewer, f"urn:echoes:agent:{ALICE.name}:{ALICE.name}") == set()
    # A bare name still finds one's own agent of that name (notebooks search so).
    assert found(BOB, ALICE.name) == {alices.uid, bobs.uid}


def test_a_weak_etag_never_satisfies_if_match(service):  # noqa: F811
    record = service.create(ALICE, DEFAULT_CONTAINER, note())
    weak = f"W/{service.etag(record)}"
    with pytest.raises(PreconditionFailed):
        service.replace(ALICE, DEFAULT_CONTAINER, record.uid, note("changed"), weak)
    with pytest.raises(PreconditionFailed):
        service.delete(ALICE, DEFAULT_CONTAINER, record.uid, weak)
    assert service.read(ALICE, DEFAULT_CONTAINER, record.uid).revision == 1


@pytest.mark.parametrize("label", ["two\nlines", "tab\there", "bell\x07", "\u202eevil", "\x9b"])
def test_container_labels_refuse_control_characters(service, label):  # noqa: F811
    with pytest.raises(ValidationError) as caught:
        service.create_container(ALICE, {"name": "labelled", "label": label})
    assert caught.value.field == "label"
    assert [c["name"] for c in service.store.list_containers()] == [DEFAULT_CONTAINER]


def test_only_the_owner_and_administrators_add_to_a_container(service):  # noqa: F811
    service.create_container(ALICE, {"name": "alices", "label": "Alice's finds"})
    with pytest.raises(Forbidden):
        service.create(BOB, "alices", note())
    with pytest.raises(Forbidden):
        service.import_collection(BOB, "alices", {"type": "AnnotationPage", "items": [note()]})
    service.create(ALICE, "alices", note())
    service.create(ADMIN, "alices", note())
    service.create(BOB, DEFAULT_CONTAINER, note())  # the default container is everyone's
    assert service.store.search(ADMIN, Query(container="alices"))[0] == 2
