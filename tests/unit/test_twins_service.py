"""The twins service without a hub: its settings are documented, the default-graph rule,
the SPARQL protocol's syntaxes and refusals, the store's load and reload, the timeout of
worker processes, and object pages by content negotiation. Real pyoxigraph stores, real
worker processes and real HTTP on loopback (tests/inprocess.py); the data folder is a
small synthetic one in the data build's layout (tests/twins_data.py)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from tornado import web
from traitlets.config import Config

from echoes_hub.config import configure_services
from echoes_hub.services.twins import TwinsService
from echoes_hub.services.twins.app import TwinsApp
from echoes_hub.services.twins.errors import BadQuery, NotAcceptable, QueryTimeout, ReadOnly
from echoes_hub.services.twins.interpretations import VIEWS
from echoes_hub.services.twins.query import Request, answer
from echoes_hub.services.twins.store import Twins
from echoes_hub.settings import EchoesHub
from tests import twins_data
from tests.inprocess import InProcess
from tests.unit.test_hub_config import _config, by_hand

README = Path(__file__).parents[2] / "README.md"
#: Long on a few hundred triples: a threefold cross product of every named graph.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?a ?b ?c . ?d ?e ?f . ?h ?i ?j } }"


def test_readme_lists_every_twins_setting():
    readme = README.read_text()
    for name in TwinsService.class_traits(config=True):
        assert f"`TwinsService.{name}`" in readme, f"README lacks TwinsService.{name}"


def test_the_hub_gives_the_service_the_data_its_store_folder_and_the_iiif_address(tmp_path):
    c = _config(tmp_path, port=8000)
    c.TwinsService.query_timeout = 3.5
    configure_services(c, by_hand(c, servers="local"))
    twins = next(s for s in c.JupyterHub.services if s["name"] == "twins")
    environment = twins["environment"]
    assert environment["ECHOES_DATA_DIR"] == EchoesHub(config=c).data_dir
    # In the hub's state folder, which users cannot read (not the shared data folder).
    assert environment["ECHOES_TWINS_STORE_DIR"] == str(tmp_path / "twins")
    assert environment["ECHOES_IIIF_PUBLIC_URL"] == (
        "http://iiif--service.localhost:8000/services/iiif/"
    )
    given = json.loads(environment["ECHOES_SERVICE_CONFIG"])
    assert given["TwinsService"]["query_timeout"] == 3.5
    # The reads are anonymous: users' tokens reach the service for the wizard alone.
    user = next(r for r in c.JupyterHub.load_roles if r["name"] == "user")
    assert [s for s in user["scopes"] if "twins" in s] == ["access:services!service=twins"]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """An in-memory store with the synthetic twins loaded as the build writes them."""
    store = ox.Store()
    lines = [line for n in (1, 2, 3) for line in twins_data.nquads(n, "thing")]
    store.load("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS)
    return store


def test_the_default_graph_is_empty_and_the_named_graphs_are_read_by_name(store):
    """The rule: no union; what the sources say (and later, the claims) is read by graph."""
    assert answer(store, Request("ASK { ?s ?p ?o }")).body == b'{"head":{},"boolean":false}'
    named = answer(store, Request("ASK { GRAPH <urn:echoes:graph:synthetic> { ?s ?p ?o } }"))
    assert b"true" in named.body
    source = answer(store, Request("ASK FROM <urn:echoes:graph:synthetic> { ?s ?p ?o }"))
    assert b"true" in source.body
    # The protocol's default-graph-uri makes a graph the default graph.
    given = Request("ASK { ?s ?p ?o }", default_graphs=(twins_data.GRAPH,))
    assert b"true" in answer(store, given).body


def test_select_results_are_json_csv_tsv_or_xml_by_accept(store):
    query = "SELECT ?s FROM <urn:echoes:graph:synthetic> WHERE { ?s a ?type } ORDER BY ?s"
    default = answer(store, Request(query))
    assert default.media_type == "application/sparql-results+json"
    rows = json.loads(default.body)["results"]["bindings"]
    assert [r["s"]["value"] for r in rows] == [
        f"urn:echoes:object:synthetic/{n}" for n in (1, 2, 3)
    ]
    table = answer(store, Request(query, "text/csv"))
    assert table.media_type == "text/csv; charset=utf-8"
    assert table.body.decode().splitlines()[0] == "s"
    assert answer(store, Request(query, "text/tab-separated-values")).body.startswith(b"?s")
    xml = answer(store, Request(query, "application/sparql-results+xml;q=0.9, text/csv;q=0.1"))
    assert xml.media_type == "application/sparql-results+xml" and b"<sparql" in xml.body


def test_construct_and_describe_are_turtle_n_triples_or_json_ld_by_accept(store):
    query = "DESCRIBE <urn:echoes:object:synthetic/1> FROM <urn:echoes:graph:synthetic>"
    turtle = answer(store, Request(query))
    assert turtle.media_type == "text/turtle; charset=utf-8"
    graph = list(ox.parse(turtle.body, format=ox.RdfFormat.TURTLE))
    assert len(graph) == 3
    lines = answer(store, Request(query, "application/n-triples")).body.decode().splitlines()
    assert len(lines) == 3
    document = json.loads(answer(store, Request(query, "application/ld+json")).body)
    assert document[0]["@id"] == "urn:echoes:object:synthetic/1"
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert len(answer(store, Request(construct, "text/turtle")).body) > 0


@pytest.mark.parametrize(
    ("query", "accept", "error"),
    [
        ("SELECT ?s WHERE { ?s ", None, BadQuery),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", None, ReadOnly),
        ("PREFIX a: <urn:a>\nDELETE WHERE { ?s ?p ?o }", None, ReadOnly),
        ("ASK { ?s ?p ?o }", "text/turtle", NotAcceptable),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "text/csv", NotAcceptable),
    ],
)
def test_bad_queries_updates_and_unserved_syntaxes_are_refused(store, query, accept, error):
    with pytest.raises(error) as raised:
        answer(store, Request(query, accept))
    assert raised.value.message
    assert len(store) == 12  # nothing written


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_load_keeps_the_named_graphs_and_a_new_build_replaces_the_store_whole(tmp_path):
    data = twins_data.write(tmp_path / "data", "build-1", label="thing")
    stores = tmp_path / "stores"

    async def scenario() -> None:
        twins = Twins(data, stores, workers=1, timeout=10)
        try:
            assert await twins.refresh()
            assert not await twins.refresh()  # same fingerprint: nothing to do
            count = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
            reply = await twins.query(Request(count, "text/csv"))
            counts = dict(list(csv.reader(io.StringIO(reply.body.decode())))[1:])
            # The collection's graphs as built, and the current view's policy described.
            assert counts == {twins_data.GRAPH: "200", twins_data.PROVENANCE: "1", VIEWS: "5"}
            [first] = list(stores.glob("store-*"))
            label = (
                "SELECT ?l FROM <urn:echoes:graph:synthetic> WHERE "
                f"{{ <urn:echoes:object:synthetic/1> <{twins_data.RDFS_LABEL}> ?l }}"
            )
            twins_data.write(data, "build-2", objects=10, label="renamed")
            assert await twins.refresh()
            reply = await twins.query(Request(label, "text/csv"))
            assert reply.body.decode().splitlines()[1] == "renamed 1"
            assert twins.current.records["synthetic"]["1"]["_label"] == "renamed 1"
            # The old store is gone; the snapshots no worker has open any more too.
            [second] = list(stores.glob("store-*"))
            assert second != first and not first.exists()
            assert len(list(stores.glob("snapshot-*"))) == 1
        finally:
            twins.close()

    run(scenario())


def test_a_query_past_the_timeout_is_stopped_in_time_and_the_next_still_runs(
    tmp_path, twins_backend
):
    data = twins_data.write(tmp_path / "data", "build-1", objects=100)
    ask = Request("ASK { GRAPH ?g { ?s ?p ?o } }")

    async def scenario() -> None:
        twins = Twins(data, tmp_path / "stores", workers=2, timeout=2.0, oxigraph_url=twins_backend)
        try:
            await twins.refresh()
            await asyncio.gather(twins.query(ask), twins.query(ask))  # both workers up
            started = time.monotonic()
            slow = asyncio.ensure_future(twins.query(Request(SLOW)))
            await asyncio.sleep(0.2)  # the slow query holds its worker
            assert b"true" in (await twins.query(ask)).body
            assert not slow.done()  # answered beside the slow one, not after it
            with pytest.raises(QueryTimeout) as raised:
                await slow
            assert 2.0 <= time.monotonic() - started < 5.0
            assert "query_timeout" in raised.value.message
            # The killed worker was replaced: both answer again.
            replies = await asyncio.gather(*(twins.query(ask) for _ in range(4)))
            assert all(b"true" in r.body for r in replies)
        finally:
            twins.close()

    run(scenario())


class Service(InProcess):
    """The twins service's application in this process, over ``data``."""

    def __init__(
        self,
        data: Path,
        stores: Path,
        harvest_dir: str = "",
        harvested_dir: str = "",
        **settings: float,
    ) -> None:
        self.data, self.stores, self.settings = data, stores, settings
        self.harvest_dir, self.harvested_dir = harvest_dir, harvested_dir
        super().__init__(self.start, close=self.close)

    async def start(self, port: int) -> web.Application:
        self.url = f"http://127.0.0.1:{port}/services/twins/"
        config = {
            "TwinsService": {"reload_check": 0.2, **self.settings},
            "ServiceApp": {"public_url": self.url},
            "TwinsApp": {
                "data_dir": str(self.data),
                "store_dir": str(self.stores),
                "iiif_url": "http://iiif.invalid/services/iiif/",
                "harvest_dir": self.harvest_dir,
                "harvested_dir": self.harvested_dir,
            },
        }
        self.app = TwinsApp(config=Config(config))
        await self.app.open()
        return self.app.make_web_app()

    async def close(self) -> None:
        await self.app.close()


@contextmanager
def running(service: Service) -> Iterator[Service]:
    """``service`` once its first load is done (503 until then); stopped afterwards."""
    try:
        deadline = time.monotonic() + 60
        while requests.get(service.url + "sparql?query=ASK{}", timeout=10).status_code == 503:
            assert time.monotonic() < deadline, "the twins never loaded"
            time.sleep(0.1)
        yield service
    finally:
        service.stop()


@contextmanager
def loaded_service(folder: Path, objects: int = 50) -> Iterator[Service]:
    """The service over a synthetic build of ``objects`` objects in ``folder``, once it
    has loaded it; stopped afterwards."""
    data = twins_data.write(folder / "data", "build-1", objects=objects)
    with running(Service(data, folder / "stores")) as service:
        yield service


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    with loaded_service(tmp_path_factory.mktemp("twins")) as service:
        yield service


def test_the_protocol_takes_get_form_posts_and_sparql_query_posts(service):
    query = "SELECT ?s FROM <urn:echoes:graph:synthetic> WHERE { ?s a ?t } LIMIT 2"
    sparql = service.url + "sparql"
    replies = [
        requests.get(sparql, params={"query": query}, timeout=10),
        requests.post(sparql, data={"query": query}, timeout=10),
        requests.post(
            sparql,
            data=query.encode(),
            headers={"Content-Type": "application/sparql-query"},
            timeout=10,
        ),
    ]
    for reply in replies:
        assert reply.status_code == 200, reply.text
        assert reply.headers["Content-Type"] == "application/sparql-results+json"
        assert reply.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in reply.headers
        assert len(reply.json()["results"]["bindings"]) == 2
    assert requests.get(sparql, params={"query": query}, headers={"Accept": "text/csv"}).text
    preflight = requests.options(sparql, timeout=10)
    assert preflight.status_code == 200 and "POST" in preflight.headers["Allow"]


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "error"),
    [
        ("get", {"params": {"query": "SELECT nope"}}, 400, "BadQuery"),
        ("get", {}, 400, "BadQuery"),
        ("get", {"params": {"update": "CLEAR ALL"}}, 405, "ReadOnly"),
        ("post", {"data": {"update": "CLEAR ALL"}}, 405, "ReadOnly"),
        (
            "post",
            {"data": b"CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}},
            405,
            "ReadOnly",
        ),
        ("post", {"json": {"query": "ASK {}"}}, 415, "UnsupportedMediaType"),
    ],
)
def test_refusals_are_json_naming_the_problem(service, method, kwargs, status, error):
    reply = getattr(requests, method)(service.url + "sparql", timeout=10, **kwargs)
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["error"] == error and body["message"]


def test_an_object_is_html_linked_art_or_turtle_by_accept_or_format(service):
    page = service.url + "objects/synthetic/7"
    html = requests.get(page, headers={"Accept": "text/html,*/*;q=0.8"}, timeout=10)
    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>thing 7</h1>" in html.text and "<h2>Cite this</h2>" in html.text
    assert "Made up for the tests." in html.text
    assert html.headers["Vary"] == "Accept, Accept-Language, Cookie"
    linked_art = requests.get(page, headers={"Accept": "application/ld+json"}, timeout=10)
    assert linked_art.headers["Content-Type"].startswith("application/ld+json;profile=")
    assert linked_art.json() == twins_data.record(7, "thing")
    turtle = requests.get(page, headers={"Accept": "text/turtle"}, timeout=10)
    triples = list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))
    assert {str(t.subject.value) for t in triples} == {
        "urn:echoes:object:synthetic/7",
        "urn:echoes:record:synthetic/7",
    }
    linked = requests.get(page, params={"format": "turtle"}, timeout=10)
    assert linked.headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert requests.get(page, headers={"Accept": "image/png"}, timeout=10).status_code == 406
    missing = requests.get(service.url + "objects/synthetic/999", timeout=10)
    assert missing.status_code == 404 and missing.json()["field"] == "id"


def test_only_an_objects_page_may_be_framed(service):
    """JupyterLab's twin panel frames the page (anonymous open data); nothing else is."""
    page = requests.get(service.url + "objects/synthetic/7", timeout=10)
    assert page.headers["Content-Security-Policy"] == "frame-ancestors *"
    assert "X-Frame-Options" not in page.headers
    for other in ("", "sparql?query=ASK{}", "objects?iri=urn:echoes:object:synthetic/7"):
        reply = requests.get(service.url + other, allow_redirects=False, timeout=10)
        assert reply.headers["Content-Security-Policy"] == "frame-ancestors 'none'", other
        assert reply.headers["X-Frame-Options"] == "DENY", other


def test_an_objects_iri_resolves_to_its_page(service):
    reply = requests.get(
        service.url + "objects",
        params={"iri": "urn:echoes:object:synthetic/3"},
        allow_redirects=False,
        timeout=10,
    )
    assert reply.status_code == 303
    assert reply.headers["Location"] == service.url + "objects/synthetic/3"


def test_the_page_escapes_what_the_record_says(tmp_path):
    from echoes_hub.services.twins.pages import render

    hostile = twins_data.record(1, "<script>alert(1)</script>")
    entry = {"title": "<b>t</b>", "entry": "e", "licence": "CC0-1.0", "citation": "c&d"}
    page = render(hostile, entry, "http://x/objects/synthetic/1", "http://iiif/")
    assert "<script>" not in page and "&lt;script&gt;" in page and "c&amp;d" in page


def test_the_openapi_description_is_the_route_table(service):
    document = requests.get(service.url + "openapi.json", timeout=10).json()
    assert set(document["paths"]) == {
        "/",
        "/openapi.json",
        "/sparql",
        "/objects",
        "/objects/{collection}/{id}",
        "/objects/{collection}/{id}/interpretations",
        "/objects/{collection}/{id}/manifest.json",
        "/iiif/collection.json",
        "/oai",
        "/.well-known/void",
        "/search",
        "/harvest",
        "/harvest/sources",
        "/harvest/sources/{name}/harvest",
        "/contribute",
        "/contribute/drafts",
        "/contribute/drafts/{draft_id}",
        "/contribute/drafts/{draft_id}/images",
        "/contribute/drafts/{draft_id}/publish",
        "/contribute/drafts/{draft_id}/reopen",
        "/contribute/drafts/{draft_id}/delete",
    }
    assert document["security"] == []
    harvest = document["paths"]["/harvest/sources/{name}/harvest"]["post"]
    assert harvest["security"] == [{"hubToken": []}] and "202" in harvest["responses"]
    upload = document["paths"]["/contribute/drafts"]["post"]
    assert upload["security"] == [{"hubToken": []}] and "403" in upload["responses"]
    assert "multipart/form-data" in upload["requestBody"]["content"]


def test_a_bad_graph_iri_is_a_400_naming_the_parameter(store):
    for parameter in ("default-graph-uri", "named-graph-uri"):
        given = {"default_graphs" if parameter[0] == "d" else "named_graphs": ("not an iri",)}
        with pytest.raises(BadQuery) as raised:
            answer(store, Request("ASK {}", **given))
        assert raised.value.field == parameter


def test_both_back_ends_answer_and_refuse_alike(tmp_path, twins_backend):
    data = twins_data.write(tmp_path / "data", "build-1", objects=3)
    select = f"SELECT ?s FROM <{twins_data.GRAPH}> WHERE {{ ?s a ?t }} ORDER BY ?s"

    async def scenario() -> None:
        twins = Twins(data, tmp_path / "stores", workers=1, timeout=10, oxigraph_url=twins_backend)
        try:
            await twins.refresh()
            reply = await twins.query(Request(select, "text/csv"))
            assert reply.media_type.startswith("text/csv")
            assert reply.body.decode().split() == [
                "s",
                *(f"urn:echoes:object:synthetic/{n}" for n in (1, 2, 3)),
            ]
            reply = await twins.query(Request("ASK { ?s ?p ?o }"))
            assert json.loads(reply.body)["boolean"] is False  # the default graph is empty
            with pytest.raises(BadQuery):
                await twins.query(Request("SELECT ?s WHERE { ?s "))
            with pytest.raises(NotAcceptable):
                await twins.query(Request(select, "text/foo"))
        finally:
            twins.close()

    run(scenario())
