"""The twins service's search (hub/services/twins/search.py): words matched against each
record's names, identifiers and statements; the index made once per load and made anew
when a reload swaps in a new build; refusals as the service's other errors; the route in
the OpenAPI description. Real stores and HTTP on loopback (tests/unit/test_twins_service.py's
in-process service), literal Linked Art records for the matching rules."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import requests

from echoes_hub.services.twins.errors import BadQuery
from echoes_hub.services.twins.search import Index, Query, Search, entry
from echoes_hub.services.twins.store import Twins
from tests import twins_data
from tests.unit.test_twins_service import Service, loaded_service


def artwork(title: str, medium: str, number: str) -> dict:
    return {
        "id": f"urn:echoes:object:tate/{number}",
        "type": "HumanMadeObject",
        "_label": title,
        "identified_by": [
            {"type": "Name", "content": title},
            {"type": "Identifier", "content": number},
        ],
        "referred_to_by": [{"type": "LinguisticObject", "content": medium}],
        "produced_by": {"carried_out_by": [{"_label": "Coin, Artist Whose Name Is Not Read"}]},
    }


class Loaded:
    """What a snapshot gives the index: its fingerprint and records."""

    def __init__(self, fingerprint: str, records: dict[str, dict[str, dict]]) -> None:
        self.fingerprint = fingerprint
        self.records = records


RECORDS = {
    "tate": {
        "1": artwork("Coin Study", "Oil paint on canvas", "1"),
        "2": artwork("Untitled", "Gold coin and resin", "2"),
        "3": artwork("Harbour", "Etching on paper", "AR00003"),
    },
    "coins": {"7": artwork("Greek coin 7 from Pompeii", "", "7") | {"type": "HumanMadeObject"}},
}


def found(index: Index, text: str, collection: str | None = None) -> list[str]:
    query = Query.parse(text, collection, None, RECORDS)
    return [e.iri for e in index.find(query.words, query.collection)]


def test_every_word_matches_a_name_identifier_or_statement_case_insensitively():
    index = Index.of(Loaded("b1", RECORDS))
    assert found(index, "ETCHING paper") == ["urn:echoes:object:tate/3"]  # a statement
    assert found(index, "ar00003") == ["urn:echoes:object:tate/3"]  # an identifier
    assert found(index, "etching gold") == []  # every word, not any
    # Names first (in the build's order), then what only a statement holds; the artist's
    # name is not the artwork's own text.
    assert found(index, "coin") == [
        "urn:echoes:object:tate/1",
        "urn:echoes:object:coins/7",
        "urn:echoes:object:tate/2",
    ]
    assert found(index, "coin", "coins") == ["urn:echoes:object:coins/7"]
    made = entry("tate", "2", RECORDS["tate"]["2"])
    assert (made.label, made.type, made.iri) == ("Untitled", "HumanMadeObject", made.iri)


@pytest.mark.parametrize(
    ("q", "collection", "limit", "field"),
    [
        (None, None, None, "q"),
        ("   ", None, None, "q"),
        ("x" * 201, None, None, "q"),
        ("coin", "nowhere", None, "collection"),
        ("coin", None, "0", "limit"),
        ("coin", None, "101", "limit"),
        ("coin", None, "ten", "limit"),
    ],
)
def test_a_bad_search_is_refused_naming_the_parameter(q, collection, limit, field):
    with pytest.raises(BadQuery) as refused:
        Query.parse(q, collection, limit, RECORDS)
    assert refused.value.field == field and refused.value.message


def test_the_index_is_made_once_per_load_and_anew_for_a_new_build(tmp_path):
    """A search of the store's current snapshot, across a reload (store.py swaps the
    snapshot): the first build's index serves every search of that build, the next
    search after the reload indexes the new build's records."""
    data = twins_data.write(tmp_path / "data", "build-1", objects=5, label="vase")

    async def scenario() -> None:
        twins = Twins(data, tmp_path / "stores", workers=1, timeout=10)
        search = Search()
        try:
            await twins.refresh()
            first = search.index(twins.current)
            assert search.index(twins.current) is first and len(first.entries) == 5
            query = Query.parse("vase", None, "3", twins.current.index)
            answer = search.answer(twins.current, query, lambda c, i: f"page/{c}/{i}")
            assert answer["total"] == 5 and len(answer["results"]) == 3
            assert answer["results"][0] == {
                "id": "urn:echoes:object:synthetic/1",
                "collection": "synthetic",
                "local_id": "1",
                "label": "vase 1",
                "type": "HumanMadeObject",
                "page": "page/synthetic/1",
            }
            twins_data.write(data, "build-2", objects=4, label="jug")
            assert await twins.refresh()
            renewed = search.index(twins.current)
            assert renewed is not first and renewed.fingerprint == "build-2"
            query = Query.parse("jug", None, None, twins.current.index)
            assert search.answer(twins.current, query, str.__add__)["total"] == 4
            query = Query.parse("vase", None, None, twins.current.index)
            assert search.answer(twins.current, query, str.__add__)["total"] == 0
        finally:
            twins.close()

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    with loaded_service(tmp_path_factory.mktemp("twins-search"), objects=30) as service:
        yield service


def test_search_answers_json_with_each_objects_iri_and_page(service):
    reply = requests.get(service.url + "search", params={"q": "THING 2", "limit": 5}, timeout=10)
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    body = reply.json()
    assert body["query"] == "THING 2" and body["collection"] is None
    # "thing 2", "thing 12", "thing 20" ... "thing 29": names that hold both words.
    assert body["total"] == 12 and len(body["results"]) == 5
    first = body["results"][0]
    assert first["id"] == "urn:echoes:object:synthetic/2"
    assert first["page"] == service.url + "objects/synthetic/2"
    assert requests.get(first["page"], timeout=10).status_code == 200
    only = requests.get(
        service.url + "search", params={"q": "thing", "collection": "synthetic"}, timeout=10
    )
    assert only.json()["total"] == 30 and len(only.json()["results"]) == 20  # the default


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": "thing", "limit": "-1"}, "limit"),
        ({"q": "x", "collection": "no"}, "collection"),
    ],
)
def test_a_bad_search_is_a_400_json_error_naming_the_parameter(service, params, field):
    reply = requests.get(service.url + "search", params=params, timeout=10)
    assert reply.status_code == 400 and reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["error"] == "BadQuery" and body["field"] == field and body["message"]


def test_the_openapi_description_lists_the_search(service):
    document = requests.get(service.url + "openapi.json", timeout=10).json()
    operation = document["paths"]["/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "collection", "limit"}
    assert "400" in operation["responses"]
    assert (
        requests.get(service.url, timeout=10).json()["search"] == service.url + "search?q=<words>"
    )
