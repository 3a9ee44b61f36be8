"""The notebook's twins API (extensions/echoes/twins.py): `echoes.twin`, `echoes.sparql`,
`echoes.twins.search`. The JSON-to-DataFrame conversions with literal documents (the
interpretations endpoint's contract among them: it is not served yet); the client against
the real twins service on loopback over a small synthetic build (tests/twins_data.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from rdflib import Graph, URIRef

import echoes
from echoes import twins
from echoes.hub import Hub
from tests import twins_data
from tests.unit.test_twins_service import Service, loaded_service

XSD = "http://www.w3.org/2001/XMLSchema#"

INTERPRETATIONS = {
    "object": "urn:echoes:object:pottery/GA1",
    "interpretations": [
        {
            "id": "urn:echoes:interpretation:1",
            "annotation": "http://annotations/1",
            "creator": {
                "id": "urn:echoes:agent:kiln-model",
                "type": "Software",
                "name": "kiln-model",
                "version": "0.3",
                "actedOnBehalfOf": {"id": "u:ann", "type": "Person", "nickname": "ann"},
            },
            "created": "2026-12-01T10:00:00Z",
            "modified": "2026-12-01T10:00:00Z",
            "motivation": ["classifying"],
            "text": "Made at kiln 2, by its chemistry",
            "confidence": 0.72,
            "visibility": "public",
            "status": "proposed",
            "status_by": [],
            "claims": [
                {
                    "property": "produced at",
                    "crm": "crm:P7_took_place_at",
                    "value": {"id": "urn:echoes:place:kiln/2", "label": "kiln 2 (Gloucester)"},
                },
                {
                    "property": "region",
                    "crm": "crm:P89_falls_within",
                    "value": {"id": "urn:echoes:place:region/gloucester", "label": "Gloucester"},
                },
            ],
            "agree": [{"creator": "bob"}],
            "contest": [{"creator": "cy"}, {"creator": "dee"}],
            "replies": [{"text": "why?"}],
        },
        {
            "id": "urn:echoes:interpretation:2",
            "creator": {"id": "u:bob", "type": "Person", "nickname": "bob"},
            "created": "2026-12-02T08:30:00+01:00",
            "text": "Looks like a later sherd",
            "confidence": None,
            "status": "accepted",
            "claims": [],
        },
    ],
}


def test_interpretations_are_one_row_per_interpretation_and_claim():
    frame = twins.interpretations_frame(INTERPRETATIONS)
    assert list(frame.columns) == twins.INTERPRETATION_COLUMNS
    assert len(frame) == 3  # two claims of the first, the second has none
    first, second, person = (frame.iloc[n] for n in range(3))
    assert (first["creator"], first["creator_type"]) == ("kiln-model", "Software")
    assert (first["model"], first["version"], first["on_behalf_of"]) == ("kiln-model", "0.3", "ann")
    assert (first["property"], first["value"]) == ("produced at", "kiln 2 (Gloucester)")
    assert (
        first["value_id"] == "urn:echoes:place:kiln/2" and second["crm"] == "crm:P89_falls_within"
    )
    assert (first["agree"], first["contest"], first["replies"]) == (1, 2, 1)
    assert first["annotation"] == "http://annotations/1" and pd.isna(person["annotation"])
    assert first["confidence"] == 0.72 and first["status"] == "proposed"
    assert first["created"] == pd.Timestamp("2026-12-01T10:00:00Z")
    assert (person["creator"], person["creator_type"]) == ("bob", "Person")
    assert pd.isna(person["model"]) and pd.isna(person["property"])
    assert pd.isna(person["confidence"]) and person["agree"] == 0
    assert person["created"] == pd.Timestamp("2026-12-02T07:30:00Z")
    assert str(frame["confidence"].dtype) == "Float64"
    assert len(twins.interpretations_frame({"interpretations": []})) == 0


def test_analyses_are_one_row_per_linked_run():
    document = {
        "analyses": [
            {
                "run": "urn:echoes:run:sha256:ab",
                "label": "coin_study.ipynb",
                "ran": "2026-12-02T07:59:00+00:00",
                "annotation": "http://annotations/9",
                "creator": {"id": "urn:echoes:user:ada", "type": "Person", "nickname": "ada"},
                "created": "2026-12-02T08:00:00.000Z",
            }
        ]
    }
    [row] = twins.analyses_frame(document).to_dict("records")
    assert row["run"] == "urn:echoes:run:sha256:ab" and row["notebook"] == "coin_study.ipynb"
    assert row["creator"] == "ada" and row["annotation"] == "http://annotations/9"
    assert row["ran"] == pd.Timestamp("2026-12-02T07:59:00Z")
    assert row["linked"] == pd.Timestamp("2026-12-02T08:00:00Z")
    empty = twins.analyses_frame({"interpretations": []})
    assert list(empty.columns) == twins.ANALYSIS_COLUMNS and len(empty) == 0


def binding(value: str, datatype: str | None = None, kind: str = "literal") -> dict:
    term = {"type": kind, "value": value}
    return term | ({"datatype": datatype} if datatype else {})


def test_select_results_are_a_frame_with_typed_columns():
    results = {
        "head": {"vars": ["s", "n", "x", "ok", "when", "label", "old", "mixed", "none"]},
        "results": {
            "bindings": [
                {
                    "s": binding("urn:echoes:object:pottery/GA1", kind="uri"),
                    "n": binding("3", XSD + "integer"),
                    "x": binding("18.8", XSD + "decimal"),
                    "ok": binding("true", XSD + "boolean"),
                    "when": binding("1990-01-01T00:00:00Z", XSD + "dateTime"),
                    "label": binding("kiln 1", None),
                    "old": binding("-0300-01-01T00:00:00Z", XSD + "dateTime"),
                    "mixed": binding("2", XSD + "integer"),
                },
                {
                    "s": binding("b0", kind="bnode"),
                    "x": binding("1.5E0", XSD + "double"),
                    "ok": binding("false", XSD + "boolean"),
                    "when": binding("2012-12-31T23:59:59Z", XSD + "dateTime"),
                    "label": binding("kiln 2", None),
                    "old": binding("-0300-12-31T23:59:59Z", XSD + "dateTime"),
                    "mixed": binding("two", None),
                },
            ]
        },
    }
    frame = twins.results_frame(results)
    assert list(frame.columns) == results["head"]["vars"]
    assert list(frame["s"]) == ["urn:echoes:object:pottery/GA1", "_:b0"]
    assert str(frame["n"].dtype) == "Int64" and frame["n"][0] == 3 and pd.isna(frame["n"][1])
    assert str(frame["x"].dtype) == "float64" and list(frame["x"]) == [18.8, 1.5]
    assert str(frame["ok"].dtype) == "boolean" and list(frame["ok"]) == [True, False]
    assert isinstance(frame["when"].dtype, pd.DatetimeTZDtype) and str(frame["when"].dt.tz) == "UTC"
    assert frame["when"][1] == pd.Timestamp("2012-12-31T23:59:59Z")
    assert list(frame["label"]) == ["kiln 1", "kiln 2"]
    assert frame["old"][0].year == -300  # XSD 1.1's and numpy's year numbers: 301 BC
    assert list(frame["mixed"]) == ["2", "two"] and frame["none"].isna().all()
    empty = twins.results_frame({"head": {"vars": ["a"]}, "results": {"bindings": []}})
    assert list(empty.columns) == ["a"] and len(empty) == 0


def test_measurements_are_the_records_dimensions_and_what_others_assigned_it():
    dimension = {
        "type": "Dimension",
        "value": 18.8,
        "unit": {"id": "http://vocab.getty.edu/aat/300417377", "_label": "percent"},
        "classified_as": [{"id": "urn:echoes:type:oxide/Al2O3", "_label": "Al2O3"}],
    }
    score = {**dimension, "value": 15, "unit": {"_label": "points"}}
    score["classified_as"] = [{"id": "urn:echoes:type:de-piles-score/drawing", "_label": "drawing"}]
    record = {
        "dimension": [dimension],
        "attributed_by": [
            {"carried_out_by": [{"_label": "Roger de Piles"}], "assigned": [score]},
        ],
    }
    frame = twins.measurements_frame(record)
    assert pd.isna(frame["assigned_by"][0])  # as the source gives it
    assert frame.fillna({"assigned_by": "source"}).to_dict("records") == [
        {
            "what": "Al2O3",
            "value": 18.8,
            "unit": "percent",
            "assigned_by": "source",
            "type": "urn:echoes:type:oxide/Al2O3",
        },
        {
            "what": "drawing",
            "value": 15,
            "unit": "points",
            "assigned_by": "Roger de Piles",
            "type": "urn:echoes:type:de-piles-score/drawing",
        },
    ]
    assert list(twins.measurements_frame({}).columns) == twins.MEASUREMENT_COLUMNS


@pytest.mark.parametrize("ref", ["coins/7", "urn:echoes:object:coins/7"])
def test_a_twin_is_named_by_collection_and_id_or_by_its_iri(ref):
    assert twins.parse_ref(ref) == ("coins", "7")


@pytest.mark.parametrize("ref", ["coins", "urn:echoes:object:coins/", "/7", ""])
def test_a_name_that_names_no_twin_is_refused(ref):
    with pytest.raises(ValueError, match="<collection>/<id>"):
        twins.parse_ref(ref)


def test_echoes_exposes_the_twins_api_lazily():
    assert echoes.twin is twins.twin and echoes.sparql is twins.sparql
    assert echoes.twins.search is twins.search
    assert echoes.search is not twins.search  # the catalogs' search stays echoes.search


# --- the client on the real service ------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    with loaded_service(tmp_path_factory.mktemp("twins-client"), objects=12) as service:
        yield service


@pytest.fixture
def client(service) -> twins.TwinsClient:
    """As a user server finds it: ECHOES_TWINS_URL, and no token at all (anonymous)."""
    return twins.TwinsClient(hub=Hub.from_environ({"ECHOES_TWINS_URL": service.url}))


def test_a_twin_has_its_record_graph_and_page(client, service):
    thing = client.twin("urn:echoes:object:synthetic/3")
    assert thing.record == twins_data.record(3, "thing")
    assert thing.iri == "urn:echoes:object:synthetic/3" and thing.title == "thing 3"
    assert thing.page == service.url + "objects/synthetic/3"
    assert isinstance(thing.graph, Graph)
    assert (URIRef(thing.iri), None, None) in thing.graph
    html = thing._repr_html_()
    assert "<h3>thing 3</h3>" in html and f'href="{thing.page}"' in html
    assert thing.images == [] and len(thing.measurements) == 0
    with pytest.raises(twins.TwinsServiceError, match="no object urn:echoes:object:synthetic/99"):
        client.twin("synthetic/99")


def test_an_object_no_one_has_interpreted_has_an_empty_frame_of_the_columns(client):
    found = client.twin("synthetic/3").interpretations
    assert len(found) == 0 and list(found.columns) == list(twins.INTERPRETATION_COLUMNS)


def test_sparql_selects_a_frame_asks_a_bool_and_constructs_a_graph(client):
    frame = client.sparql(
        f"SELECT ?s (COUNT(?p) AS ?n) FROM <{twins_data.GRAPH}> "
        "WHERE { ?s ?p ?o } GROUP BY ?s ORDER BY ?s"
    )
    assert len(frame) == 24  # 12 objects and their 12 source records
    assert str(frame["n"].dtype) == "Int64" and set(frame["n"]) == {1, 3}
    assert client.sparql(f"ASK {{ GRAPH <{twins_data.GRAPH}> {{ ?s ?p ?o }} }}") is True
    assert client.sparql("ASK { ?s ?p ?o }") is False  # the default graph is empty
    graph = client.sparql(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{twins_data.GRAPH}> {{ ?s ?p ?o }} }}"
    )
    assert isinstance(graph, Graph) and len(graph) == 48


def test_a_refused_query_raises_the_services_message(client):
    with pytest.raises(twins.TwinsServiceError) as refused:
        client.sparql("SELECT ?s WHERE { ?s ")
    assert refused.value.status == 400 and refused.value.reply["error"] == "BadQuery"
    assert refused.value.reply["message"] in str(refused.value)


def test_search_is_a_frame_of_the_objects_found(client, service):
    frame = client.search("THING 1", limit=3)
    assert list(frame.columns) == twins.SEARCH_COLUMNS
    assert list(frame["local_id"]) == ["1", "10", "11"]
    assert frame["page"][0] == service.url + "objects/synthetic/1"
    with pytest.raises(twins.TwinsServiceError, match="field limit"):
        client.search("thing", limit=0)
