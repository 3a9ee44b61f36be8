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

import pyoxigraph as ox
import pytest
import requests
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from echoes_hub.services.twins import TwinsService
from tests.hubclient import wait_for
from tests.integration.annotations_support import new_person, service_url
from tests.integration.test_twins_interpretations import depicts, post

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

COIN = "urn:echoes:object:coins/7"
COINS_GRAPH = "urn:echoes:graph:coins"
#: Far past any timeout: a threefold cross product of the coins' 1,496 triples.
SLOW = (
    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{COINS_GRAPH}> "
    "{ ?a ?b ?c . ?d ?e ?f . ?h ?i ?j } }"
)


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
    sources = {
        *(
            f"urn:echoes:graph:{c}"
            for c in ("tate", "painters", "pottery", "skulls", "rock-art", "coins")
        ),
        "urn:echoes:graph:provenance",
    }
    # Beside the sources: the current view (its description, and what it adopted, if any)
    # and what other tests on this hub made public: the nanopublications of their
    # interpretations, the graphs of their linked runs.
    others = names - sources - {"urn:echoes:graph:views", "urn:echoes:graph:current"}
    made = ("urn:echoes:interpretation:", "urn:echoes:analysis:")
    assert sources <= names and all(g.startswith(made) for g in others), others


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


def test_an_object_page_speaks_the_reader_s_language_and_keeps_the_record_s(twins):
    """A twin's page in French or German (base/languages.py): from Accept-Language, or
    chosen with ?lang= and kept in a cookie; the record's own words are not translated."""
    page = twins + "objects/pottery/GB1"
    english = requests.get(page, headers={"Accept-Language": "ja, en;q=0.5"}, timeout=10)
    assert english.headers["Content-Language"] == "en" and "<h2>Measurements</h2>" in english.text
    assert "Accept-Language" in english.headers["Vary"]
    german = requests.get(page, headers={"Accept-Language": "de-AT, de;q=0.9"}, timeout=10)
    assert german.headers["Content-Language"] == "de" and '<html lang="de">' in german.text
    assert "<h2>Maße</h2>" in german.text and "<h2>Measurements</h2>" not in german.text
    assert "Ebenfalls hergestellt in" in german.text and "Streudiagramm von" in german.text
    title = re.search(r"<h1>(.*?)</h1>", english.text).group(1)
    assert f"<h1>{title}</h1>" in german.text  # the record's words, as the record has them
    reader = requests.Session()
    chosen = reader.get(page, params={"lang": "fr"}, headers={"Accept-Language": "de"}, timeout=10)
    assert "<h2>Mesures</h2>" in chosen.text and reader.cookies.get("echoes-lang") == "fr"
    kept = reader.get(page, headers={"Accept-Language": "de"}, timeout=10)
    assert kept.headers["Content-Language"] == "fr"
    links = re.search(r'<p class="languages">(.*?)</p>', kept.text).group(1)
    assert 'hreflang="en"' in links and 'hreflang="de"' in links and 'hreflang="fr"' not in links
    assert requests.get(page, params={"lang": "xx"}, timeout=10).headers["Content-Language"] == "en"


def test_a_pottery_sample_page_has_its_table_its_kilns_plot_and_related_links_that_resolve(
    twins, data
):
    """The twin page (issue 18) through the hub, anonymously: the measurements table, the
    plot with one point per sample of the kiln (each a link to its page), and the related
    objects' links, every one of which answers."""
    built = json.loads((data / "twins" / "pottery.json").read_text())
    kiln = built["GB1"]["produced_by"]["took_place_at"][0]["id"]
    same_kiln = [i for i, r in built.items() if r["produced_by"]["took_place_at"][0]["id"] == kiln]
    started = time.monotonic()
    page = requests.get(twins + "objects/pottery/GB1", timeout=10)
    print(f"\npottery page {1000 * (time.monotonic() - started):.0f} ms")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    [table] = re.findall(r'<table class="measurements">.*?</table>', html, flags=re.S)
    assert len(re.findall(r'<th scope="row">', table)) == len(built["GB1"]["dimension"]) == 9
    assert '<td class="value">17.8</td><td>percent</td>' in table
    [svg] = re.findall(r'<svg[^>]*class="echoes-plot".*?</svg>', html, flags=re.S)
    assert len(re.findall(r"<circle ", svg)) == len(same_kiln) > 1
    assert len(re.findall(r'<circle class="point this"', svg)) == 1
    assert "<title " in svg and "<desc " in svg and "(percent)" in svg
    [related] = re.findall(r'<ul class="related-links">(.*?)</ul>', html)
    links = [unescape(href) for href in re.findall(r'href="([^"]+)"', related)]
    assert sorted(links) == sorted(f"{twins}objects/pottery/{i}" for i in same_kiln if i != "GB1")
    for link in links:
        reply = requests.get(link, timeout=10)
        assert reply.status_code == 200 and "<h1>Romano-British pottery specimen" in reply.text


def test_a_coins_page_links_to_the_iiif_manifest_and_image_a_viewer_opens_for_deep_zoom(hub, twins):
    """The deep-zoom links of a coin's page answer: the manifest (with the canvas the
    region is of) and the image's info.json, both from the IIIF service; the whole
    photograph is drawn from the same image."""
    html = requests.get(twins + "objects/coins/7", timeout=10).text
    [manifest] = re.findall(r'<a href="([^"]+)">IIIF manifest</a>', html)
    [info] = re.findall(r'<a href="([^"]+)">IIIF Image API \(info.json\)</a>', html)
    [region] = re.findall(r"canvas region <code>([^<]+)</code>", html)
    iiif = hub.service_url("iiif")
    assert unescape(manifest).startswith(iiif) and unescape(info).startswith(iiif)
    canvases = requests.get(unescape(manifest), timeout=10).json()["items"]
    assert unescape(region).partition("#xywh=")[0] in {c["id"] for c in canvases}
    assert requests.get(unescape(info), timeout=10).json()["width"] == 384
    [whole] = re.findall(r'<image href="([^"]+)"', html)
    assert requests.get(unescape(whole), timeout=30).headers["Content-Type"] == "image/jpeg"


def test_a_coins_page_shows_its_public_interpretations_grouped_by_claim(hub, admin, twins):
    """What people and software said of the coin, on its page: an agent's public
    proposal with its model's name and version, for whom it acted, its confidence and
    status, grouped under its claim; a private claim is not on the page."""
    _, ada = new_person(hub, admin, "twp")
    container = f"{service_url(hub)}containers/default/"
    owl = f"http://vocab.getty.edu/page/ulan/owl-{ada.name}"  # this test's own claim
    agent = {"type": "Software", "name": "coin-reader", "version": "1.4"}
    post(
        ada,
        container,
        depicts(COIN, owl, "an owl", creator=agent, confidence=0.7, visibility="public"),
    )
    post(ada, container, depicts(COIN, owl + "-private", "a private owl"))

    def page() -> str:
        html = requests.get(twins + "objects/coins/7", timeout=10).text
        return html if owl in html else ""

    html = wait_for(page, 60, "the public interpretation on the coin's page")
    section = html[html.index("<h2>Interpretations</h2>") :]
    [group] = re.findall(
        rf'<section class="claim"><h3>(?:<a [^>]+>depicts</a>|depicts): <a href="{owl}">an owl'
        r"</a> \(1\)</h3>(.*?)</section>",
        section,
    )
    assert f"by coin-reader 1.4 (software), for {ada.name}" in group
    assert "confidence 70%" in group and "<strong>proposed</strong>" in group
    assert "The head of an owl" in group
    assert "a private owl" not in html


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
