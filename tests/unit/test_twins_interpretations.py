"""Interpretations in the graph, without HTTP: which annotations are about which objects,
their nanopublications (CIDOC-CRM claims, CRMinf beliefs, provenance), their status, the
current view's policy, and the service's store taking them from change-feed entries; and
the runs linked to objects, which are analyses of them, not interpretations."""

from __future__ import annotations

import asyncio
import csv
import io

import pyoxigraph as ox
import pytest

from echoes.annotations import AnnotationClient
from echoes.runs.link import run_body, run_iri
from echoes_hub.services.annotations.errors import ValidationError
from echoes_hub.services.annotations.model import parse_annotation
from echoes_hub.services.twins import interpretations as np
from echoes_hub.services.twins.backends import as_quad
from echoes_hub.services.twins.commons import Commons
from echoes_hub.services.twins.query import Request
from echoes_hub.services.twins.store import Twins
from tests import twins_data

CANVAS = "http://iiif.example/services/iiif/images/coins/canvas/1"
BASE = "http://annotations.example/services/annotations/containers/default/"
COIN_1, COIN_2 = "urn:echoes:object:coins/1", "urn:echoes:object:coins/2"
POT = [f"urn:echoes:object:pottery/{n}" for n in ("1.1", "1.2", "2.1")]
ATHENA = "http://vocab.getty.edu/tgn/athena-example"
ADA = {"id": "urn:echoes:user:ada", "type": "Person", "nickname": "ada"}
BOB = {"id": "urn:echoes:user:bob", "type": "Person", "nickname": "bob"}
AGENT = {
    "id": "urn:echoes:agent:ada:coin-reader",
    "type": "Software",
    "name": "coin-reader",
    "version": "2.1",
    "actedOnBehalfOf": ADA,
}


def objects() -> np.ObjectIndex:
    return np.ObjectIndex(
        iris={COIN_1, COIN_2, *POT},
        regions={CANVAS: [(0, 0, 100, 100, COIN_1), (200, 0, 100, 100, COIN_2)]},
        rows={"urn:echoes:catalog:heritage/archaeometry/pottery_kilns": POT},
    )


def annotation(uid: str, target, body, creator=ADA, **more) -> dict:
    return {
        "id": BASE + uid,
        "annotation": {
            "type": "Annotation",
            "id": BASE + uid,
            "target": target,
            "body": body,
            "creator": creator,
            "created": "2026-12-02T08:00:00.000Z",
            **more,
        },
    }


def depicts(label: str = "Athena", value: str = ATHENA) -> dict:
    return {"rdf:predicate": "depicts", "id": value, "label": label}


def verdict(uid: str, answered: str, value: str, creator) -> dict:
    body = {"type": "TextualBody", "value": value, "purpose": "assessing"}
    return annotation(uid, BASE + answered, body, creator, motivation="assessing")


def region(x: int, y: int) -> dict:
    return {
        "source": CANVAS,
        "selector": {"type": "FragmentSelector", "value": f"xywh={x},{y},10,10"},
    }


def test_annotations_find_their_objects_by_iri_image_region_and_table_row():
    index = objects()
    assert index.objects_of({"target": COIN_2}) == [COIN_2]
    assert index.objects_of({"target": region(210, 40)}) == [COIN_2]
    polygon = '<svg><polygon points="10,10 60,10 30,80"/></svg>'
    svg = {"source": CANVAS, "selector": {"type": "SvgSelector", "value": polygon}}
    assert index.objects_of({"target": svg}) == [COIN_1]
    assert index.objects_of({"target": region(150, 40)}) == []  # between the coins
    rows = {
        "source": "urn:echoes:catalog:heritage/archaeometry/pottery_kilns",
        "selector": {"type": "FragmentSelector", "value": "row=2-3"},
    }
    assert index.objects_of({"target": [rows, COIN_1]}) == [POT[1], POT[2], COIN_1]
    assert index.objects_of({"target": "urn:echoes:object:coins/99"}) == []
    assert index.objects_of({"target": "urn:echoes:catalog:heritage/images/coins"}) == []


def test_the_annotation_service_refuses_a_claim_outside_the_list_naming_the_body():
    base = {"type": "Annotation", "target": COIN_1}
    parse_annotation({**base, "body": depicts()})
    for body, field in (
        ({"rdf:predicate": "loves", "id": ATHENA}, "body.rdf:predicate"),
        ({"rdf:predicate": "depicts", "label": "no IRI"}, "body.id"),
        ({"rdf:predicate": "dated", "value": "-0300/-0350"}, "body.value"),
    ):
        with pytest.raises(ValidationError) as refused:
            parse_annotation({**base, "body": body})
        assert refused.value.field == field


def graph_of(quads) -> ox.Store:
    store = ox.Store()
    store.extend(as_quad(q) for q in quads)
    return store


def test_a_claim_is_cidoc_crm_in_its_own_assertion_graph_with_who_believes_it():
    commons = Commons(objects())
    dated = {"type": "TextualBody", "rdf:predicate": "dated", "value": "-0350/-0300"}
    _, added = commons.apply(
        annotation(
            "a1",
            region(20, 20),
            [depicts(), dated, {"type": "TextualBody", "value": "Helmeted head"}],
            AGENT,
            confidence=0.82,
        )
    )
    _, more = commons.apply(annotation("b1", COIN_1, depicts(), BOB))
    store = graph_of([*np.policy_quads(), *added, *more])
    crm, inf = np.CRM, np.CRMINF
    who = f"""
        SELECT ?object ?who WHERE {{
          GRAPH ?a {{ ?object <{crm}P62_depicts> <{ATHENA}> }}
          GRAPH ?p {{ ?activity <{inf}J2_concluded_that> ?belief ; <{crm}P14_carried_out_by> ?who .
                      ?belief <{inf}J4_that> ?a ; <{inf}J5_holds_to_be> "true" }}
        }} ORDER BY ?who"""
    found = [(r["object"].value, r["who"].value) for r in store.query(who)]
    assert found == [(COIN_1, AGENT["id"]), (COIN_1, BOB["id"])]
    nanopub = "urn:echoes:interpretation:a1"
    assertion = ox.NamedNode(f"{nanopub}#assertion")
    date = f"""SELECT ?b ?e WHERE {{ GRAPH <{assertion.value}> {{
        <{COIN_1}> <{crm}P108i_was_produced_by>/<{crm}P4_has_time-span> ?s .
        ?s <{crm}P82a_begin_of_the_begin> ?b ; <{crm}P82b_end_of_the_end> ?e }} }}"""
    [row] = list(store.query(date))
    assert (row["b"].value, row["e"].value) == ("-0350", "-0300")
    provenance = f"""SELECT ?who ?version ?for ?c ?from WHERE {{ GRAPH <{nanopub}#provenance> {{
        <{assertion.value}> <{np.PROV}wasAttributedTo> ?who ; <{np.ECHOES}confidence> ?c ;
            <{np.PROV}wasDerivedFrom> ?from .
        ?who <{np.SCHEMA}softwareVersion> ?version ; <{np.PROV}actedOnBehalfOf> ?for }} }}"""
    [row] = list(store.query(provenance))
    assert [row[k].value for k in ("who", "version", "for", "c", "from")] == [
        AGENT["id"],
        "2.1",
        ADA["id"],
        "0.82",
        BASE + "a1",
    ]
    pubinfo = f"ASK {{ GRAPH <{nanopub}#pubinfo> {{ <{nanopub}> <{np.DCT}subject> <{COIN_1}> }} }}"
    assert store.query(pubinfo)
    # No contributor's claim is in the default graph.
    assert not store.query("ASK { ?s ?p ?o }")


def test_status_follows_the_verdicts_and_the_current_view_adopts_by_its_policy():
    commons = Commons(objects())
    current = ox.NamedNode(np.CURRENT)
    store = ox.Store()

    def take(entry):
        removed, added = commons.apply(entry)
        for quad in removed:
            store.remove(as_quad(quad))
        store.extend(as_quad(q) for q in added)

    def in_view() -> bool:
        ask = f"ASK {{ GRAPH <{current.value}> {{ <{COIN_1}> <{np.CRM}P62_depicts> <{ATHENA}> }} }}"
        return bool(store.query(ask))

    take(annotation("p1", COIN_1, depicts(), AGENT, confidence=0.7))
    [said] = commons.interpretations(COIN_1)
    assert (said["status"], said["adopted"], said["creator"]["version"]) == (
        "proposed",
        False,
        "2.1",
    )
    assert not in_view()
    take(verdict("v1", "p1", "accepted", ADA))  # the person the agent acts for
    [said] = commons.interpretations(COIN_1)
    assert (said["status"], said["adopted"]) == ("accepted", True)
    assert said["status_by"][0]["creator"] == ADA
    assert in_view()
    # Bob asserts the same; then contests the agent's proposal.
    take(annotation("b1", COIN_1, depicts(), BOB))
    take(verdict("v2", "p1", "contested", BOB))
    first, second = commons.interpretations(COIN_1)
    assert (first["status"], first["adopted"], [c["id"] for c in first["contest"]]) == (
        "accepted",
        False,
        [BOB["id"]],
    )
    assert (second["status"], second["adopted"]) == ("asserted", False)
    assert not in_view()
    # Ada agrees with Bob's: adopted, so the triple is back (from Bob's, the other isn't).
    take(verdict("v3", "b1", "agreed", ADA))
    assert commons.interpretations(COIN_1)[1]["adopted"] and in_view()
    # Bob withdraws his contest: both adopted, one triple; the agent's going keeps it.
    take({"id": BASE + "v2", "gone": True})
    assert [i["adopted"] for i in commons.interpretations(COIN_1)] == [True, True]
    take({"id": BASE + "p1", "gone": True})
    assert in_view()
    take({"id": BASE + "b1", "gone": True})
    assert not in_view()
    # Nothing is left of any of them but the verdicts' documents (they answer nothing now).
    assert commons.interpretations(COIN_1) == []
    assert not store.query("ASK { GRAPH ?g { ?s ?p ?o } }")


def test_replies_are_listed_and_made_public_only_as_the_feed_says():
    commons = Commons(objects())
    commons.apply(annotation("n1", COIN_2, {"type": "TextualBody", "value": "Owl on the reverse"}))
    reply = annotation(
        "r1",
        BASE + "n1",
        {"type": "TextualBody", "value": "Agreed, an owl"},
        BOB,
        motivation="replying",
    )
    commons.apply(reply)
    [said] = commons.interpretations(COIN_2)
    assert said["text"] == "Owl on the reverse" and said["claims"] == []
    assert [(r["creator"]["id"], r["text"]) for r in said["replies"]] == [
        (BOB["id"], "Agreed, an owl")
    ]
    # Made private: the feed says gone, and it leaves the object and the graph.
    removed, added = commons.apply({"id": BASE + "n1", "gone": True})
    assert commons.interpretations(COIN_2) == [] and not added
    assert {q[3][1] for q in removed} >= set(np.graphs_of("urn:echoes:interpretation:n1"))


RECORD = {
    "schema": "https://echoes-vre.org/schemas/run-record/1",
    "notebook": {"input": "/home/ada/coin_study.ipynb"},
    "finished": "2026-12-02T07:59:00+00:00",
    "objects": [COIN_1],
}


def test_a_run_linked_to_an_object_is_an_analysis_of_it_not_an_interpretation():
    # The annotation `echoes link` posts, as the annotation service accepts and stores it.
    document = AnnotationClient.document(COIN_1, run_body(RECORD), "linking", visibility="public")
    stored = parse_annotation(document).doc
    commons = Commons(objects())
    removed, added = commons.apply(
        annotation("l1", stored["target"], stored["body"], **{"motivation": "linking"})
    )
    # No nanopublication (it claims nothing): a graph of its own, of what the run used.
    graph = np.iri(np.ANALYSIS + "l1")
    run = np.iri(run_iri(RECORD))
    assert not removed and {q[3] for q in added} == {graph}
    assert (run, np.iri(np.PROV + "used"), np.iri(COIN_1), graph) in added
    assert (run, np.iri(np.PROV + "wasAssociatedWith"), np.iri(ADA["id"]), graph) in added
    assert commons.interpretations(COIN_1) == []
    [used] = commons.analyses(COIN_1)
    assert used == {
        "run": run_iri(RECORD),
        "label": "coin_study.ipynb",
        "ran": "2026-12-02T07:59:00+00:00",
        "annotation": BASE + "l1",
        "creator": ADA,
        "created": "2026-12-02T08:00:00.000Z",
    }
    assert run_iri(RECORD) == run_iri(dict(RECORD))  # the record's digest: stable
    # A reply to it answers no interpretation: no graph either.
    reply = annotation("r1", BASE + "l1", {"type": "TextualBody", "value": "Nice"}, BOB)
    assert commons.apply(
        {**reply, "annotation": {**reply["annotation"], "motivation": "replying"}}
    ) == ([], [])
    # A link to a web page is a claim of the usual kind (its words, its nanopublication).
    page = {"id": "https://example.org/owls", "type": "Text"}
    _, added = commons.apply(annotation("l2", COIN_1, page, motivation="linking"))
    assert added and [i["annotation"] for i in commons.interpretations(COIN_1)] == [BASE + "l2"]
    # Made private (or deleted): gone from the object and from the graph.
    removed, _ = commons.apply({"id": BASE + "l1", "gone": True})
    assert commons.analyses(COIN_1) == [] and {q[3] for q in removed} == {graph}


def test_the_store_takes_feed_entries_queries_see_them_after_a_snapshot_and_a_rebuild_keeps_them(
    tmp_path, twins_backend
):
    data = twins_data.write(tmp_path / "data", "build-1", objects=5)
    thing = "urn:echoes:object:synthetic/3"
    rows = {
        "source": "urn:echoes:catalog:heritage/synthetic/things",
        "selector": {"type": "FragmentSelector", "value": "row=4"},
    }
    subject = f"<{np.DCT}subject>"
    count = f"SELECT (COUNT(DISTINCT ?np) AS ?n) WHERE {{ GRAPH ?g {{ ?np {subject} ?o }} }}"

    async def number(twins: Twins) -> str:
        reply = await twins.query(Request(count, "text/csv"))
        return list(csv.reader(io.StringIO(reply.body.decode())))[1][0]

    async def scenario() -> None:
        twins = Twins(
            data,
            tmp_path / "stores",
            workers=1,
            timeout=10,
            publish_interval=0,
            oxigraph_url=twins_backend,
        )
        try:
            await twins.refresh()
            await twins.take(
                [
                    annotation("t1", thing, depicts()),
                    annotation("t2", rows, depicts("owl", "urn:x:owl")),
                ]
            )
            assert [i["id"] for i in twins.interpretations("synthetic", "3")] == [
                "urn:echoes:interpretation:t1"
            ]  # the object's JSON at once
            assert (
                twins.interpretations("synthetic", "4")[0]["claims"][0]["value"]["label"] == "owl"
            )
            if not twins_backend:
                assert await number(twins) == "0"  # the query's snapshot is older
            await twins.publish()
            assert await number(twins) == "2"
            reply = await twins.query(Request("ASK { ?s ?p ?o }", "text/csv"))
            assert b"false" in reply.body  # the default graph holds no contributor's claim
            # A new build: the interpretations are added to its store again.
            twins_data.write(data, "build-2", objects=5, label="renamed")
            assert await twins.refresh()
            assert await number(twins) == "2"
        finally:
            twins.close()

    asyncio.run(scenario())


def test_the_image_regions_an_annotation_targets_are_their_bounding_boxes():
    doc = {
        "target": [
            {
                "source": "http://c/1",
                "selector": {"type": "FragmentSelector", "value": "xywh=1,2,3,4"},
            },
            {
                "source": "http://c/1",
                "selector": {
                    "type": "SvgSelector",
                    "value": '<svg><polygon points="10,10 20,5 30,40"/></svg>',
                },
            },
            "urn:echoes:object:coins/7",
            {"source": "http://c/1", "selector": {"type": "FragmentSelector", "value": "row=3"}},
        ]
    }
    assert np.image_regions(doc) == [
        {"canvas": "http://c/1", "bounds": [1.0, 2.0, 3.0, 4.0]},
        {"canvas": "http://c/1", "bounds": [10.0, 5.0, 20.0, 35.0]},
    ]
