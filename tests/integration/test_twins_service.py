"""The twins service (hub/services/twins/) through the real hub and proxy, over the real
data build: a real SPARQL client (SPARQLWrapper) asks SELECT, ASK and CONSTRUCT in JSON,
CSV and Turtle, GET and POST; an object's page by content negotiation, its image from the
IIIF service; a query past the timeout answered in time with the error while a second
query still works; a bad query is a 400, an update refused; every answer as the OpenAPI
description says (schemathesis). All anonymous.

Times are measured and printed (run with -s to see them), never asserted beyond bounds.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from echoes_data import recipe
from echoes_hub.services.twins import TwinsService
from tests.hubclient import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

COIN = "urn:echoes:object:coins/7"
COINS_GRAPH = "urn:echoes:graph:coins"
#: Far past any timeout: a threefold cross product of the coins' 1,496 triples.
SLOW = (
    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{COINS_GRAPH}> "
    "{ ?a ?b ?c . ?d ?e ?f . ?h ?i ?j } }"
)


@pytest.fixture(scope="module")
def data(hub) -> Path:
    """The hub's shared data folder, built by the recipe (as `make data` does)."""
    return recipe.build(hub.state_dir / "heritage")


@pytest.fixture(scope="module")
def twins(hub, data) -> str:
    """The service's public URL, once it has loaded the build's twins."""
    url = hub.service_url("twins")
    fingerprint = json.loads((data / "BUILD.json").read_text())["fingerprint"]

    def loaded() -> bool:
        reply = requests.get(url, timeout=10)
        return reply.status_code == 200 and reply.json()["build"] == fingerprint

    started = time.monotonic()
    wait_for(loaded, 180, "the twins service to load the data build")
    print(f"\ntwins loaded {time.monotonic() - started:.1f} s after the data build")
    return url


def client(twins: str, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    sparql = SPARQLWrapper(twins + "sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method == "POST":
        sparql.setMethod(POST)
    elif method == "POSTDIRECTLY":
        sparql.setMethod(POST)
        sparql.setRequestMethod(POSTDIRECTLY)
    return sparql


@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_a_sparql_client_selects_in_json_and_csv(twins, data, method):
    query = (
        "PREFIX crm: <http://www.cidoc-crm.org/cidoc-crm/>\n"
        f"SELECT ?coin FROM <{COINS_GRAPH}> WHERE {{ ?coin a crm:E22_Human-Made_Object }}"
    )
    started = time.monotonic()
    results = client(twins, query, JSON, method).query().convert()
    print(f"\nSELECT ({method}) {1000 * (time.monotonic() - started):.0f} ms")
    coins = {row["coin"]["value"] for row in results["results"]["bindings"]}
    built = json.loads((data / "twins" / "coins.json").read_text())
    assert coins == {record["id"] for record in built.values()} and len(coins) == 24
    table = client(twins, query, CSV, method).query().convert()
    rows = list(csv.reader(io.StringIO(table.decode())))
    assert rows[0] == ["coin"] and {row[0] for row in rows[1:]} == coins


def test_ask_sees_the_named_graphs_and_an_empty_default_graph(twins):
    """The rule (hub/services/twins/README.md): no contributor's claim, nor any source,
    is in the default graph; each collection is read by its graph's name."""
    assert (
        client(twins, f"ASK {{ GRAPH <{COINS_GRAPH}> {{ <{COIN}> ?p ?o }} }}", JSON)
        .query()
        .convert()["boolean"]
    )
    assert (
        client(twins, f"ASK FROM <{COINS_GRAPH}> {{ <{COIN}> ?p ?o }}", JSON)
        .query()
        .convert()["boolean"]
    )
    assert not client(twins, "ASK { ?s ?p ?o }", JSON).query().convert()["boolean"]
    graphs = client(twins, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", JSON)
    names = {row["g"]["value"] for row in graphs.query().convert()["results"]["bindings"]}
    assert names == {
        *(
            f"urn:echoes:graph:{c}"
            for c in ("tate", "painters", "pottery", "skulls", "rock-art", "coins")
        ),
        "urn:echoes:graph:provenance",
    }


def test_construct_answers_turtle(twins):
    query = f"CONSTRUCT {{ <{COIN}> ?p ?o }} WHERE {{ GRAPH <{COINS_GRAPH}> {{ <{COIN}> ?p ?o }} }}"
    turtle = client(twins, query, TURTLE).query().convert()
    triples = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
    assert triples and {t.subject.value for t in triples} == {COIN}


def test_an_object_page_negotiates_html_linked_art_and_turtle(hub, twins, data):
    page = twins + "objects/coins/7"
    built = json.loads((data / "twins" / "coins.json").read_text())["7"]
    html = requests.get(page, headers={"Accept": "text/html"}, timeout=10)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert "<h1>Greek coin 7 from Pompeii</h1>" in html.text
    # Its image is the coin's region, from the IIIF service, read anonymously.
    [src] = re.findall(r'<img src="([^"]+)"', html.text)
    assert unescape(src).startswith(hub.service_url("iiif"))
    image = requests.get(unescape(src), timeout=30)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    linked_art = requests.get(page, headers={"Accept": "application/ld+json"}, timeout=10)
    assert linked_art.json() == built
    turtle = requests.get(page, headers={"Accept": "text/turtle"}, timeout=10)
    subjects = {t.subject for t in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)}
    assert ox.NamedNode(COIN) in subjects
    assert requests.get(page + "?format=json-ld", timeout=10).json() == built
    # The IRI resolves through the hub.
    resolved = requests.get(twins + "objects", params={"iri": COIN}, timeout=10)
    assert resolved.url == page and "<h1>Greek coin 7 from Pompeii</h1>" in resolved.text
    missing = requests.get(twins + "objects/coins/999", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"] == "NotFound"


def test_a_long_query_is_stopped_at_the_timeout_while_another_still_answers(twins):
    timeout = TwinsService().query_timeout  # the hub's default

    def slow() -> tuple[requests.Response, float]:
        started = time.monotonic()
        reply = requests.get(twins + "sparql", params={"query": SLOW}, timeout=timeout + 30)
        return reply, time.monotonic() - started

    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(slow)
        time.sleep(0.5)  # the slow query holds its worker
        started = time.monotonic()
        quick = client(twins, f"ASK FROM <{COINS_GRAPH}> {{ ?s ?p ?o }}", JSON).query().convert()
        quick_seconds = time.monotonic() - started
        reply, seconds = running.result()
    print(f"\nquery stopped after {seconds:.1f} s; the other answered in {quick_seconds:.2f} s")
    assert quick["boolean"] and quick_seconds < timeout / 2
    assert reply.status_code == 503 and reply.json()["error"] == "QueryTimeout"
    assert timeout <= seconds < timeout + 5
    # Its worker was replaced: queries keep being answered.
    assert client(twins, "ASK { GRAPH ?g { ?s ?p ?o } }", JSON).query().convert()["boolean"]


def test_a_bad_query_is_a_400_and_an_update_is_refused(twins):
    with pytest.raises(QueryBadFormed, match="BadQuery"):
        client(twins, "SELECT ?s WHERE { ?s ", JSON).query()
    update = client(twins, "INSERT DATA { <urn:a> <urn:b> <urn:c> }", JSON, "POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        update.query()
    assert refused.value.code == 405
    assert json.loads(refused.value.read())["error"] == "ReadOnly"
    assert (
        not client(twins, "ASK { GRAPH ?g { <urn:a> ?p ?o } }", JSON).query().convert()["boolean"]
    )


def test_every_answer_matches_the_openapi_description(twins):
    """Schemathesis against the description the service serves, anonymously: no answer
    may be a 5xx, and every status, content type and body must be what it says."""
    from schemathesis.generation.modes import GenerationMode

    from tests.security import run_schemathesis

    spec = requests.get(f"{twins}openapi.json", timeout=10).json()
    assert spec["servers"][0]["url"] == twins.rstrip("/")
    real = {"collection": "coins", "id": "7"}
    run = run_schemathesis(spec, {}, 15, real, modes=[GenerationMode.POSITIVE])
    assert not run.failures, "\n\n".join(run.failures)


def test_search_finds_objects_by_their_names_identifiers_and_statements(twins, data):
    """Through the hub and proxy, anonymously: names first, then statements (a Tate
    work's medium), each result with its IRI and public page; bad input a 400 naming it."""
    reply = requests.get(twins + "search", params={"q": "COIN", "limit": 100}, timeout=10)
    assert reply.status_code == 200 and reply.headers["Access-Control-Allow-Origin"] == "*"
    body = reply.json()
    coins = json.loads((data / "twins" / "coins.json").read_text())
    found = [r["id"] for r in body["results"]]
    assert found[: len(coins)] == [record["id"] for record in coins.values()]
    assert body["total"] == len(found) > len(coins)  # and what only a statement names
    assert {r["collection"] for r in body["results"][len(coins) :]} == {"tate"}
    first = body["results"][0]
    assert first["page"] == twins + "objects/coins/1" and first["type"] == "HumanMadeObject"
    assert requests.get(first["page"], timeout=10).status_code == 200
    only = requests.get(twins + "search", params={"q": "GA1", "collection": "pottery"}, timeout=10)
    assert [r["local_id"] for r in only.json()["results"]] == ["GA1"]
    refused = requests.get(twins + "search", params={"q": "coin", "limit": "0"}, timeout=10)
    assert refused.status_code == 400 and refused.json()["field"] == "limit"
