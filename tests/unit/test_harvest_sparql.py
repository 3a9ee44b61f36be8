"""Harvesting a SPARQL endpoint (hub/services/twins/harvest/sparql.py): a real Oxigraph
server (tests/oxigraph.py) loaded with the data build's coins, their CIDOC-CRM triples as
the build wrote them, harvested by a CONSTRUCT query; then a coin renamed and one removed
in the store; a harvest with nothing new; a query the endpoint refuses; an address that
answers HTML or broken Turtle rather than RDF, or nothing; and the command with
``--query-file``."""

from __future__ import annotations

import json
from functools import partial

import requests

from echoes_hub.services.twins.harvest.fetch import Limits
from echoes_hub.services.twins.harvest.folder import HarvestFolder
from echoes_hub.services.twins.harvest.records import local_id
from echoes_hub.services.twins.harvest.run import harvest
from echoes_hub.services.twins.harvest.sources import Source
from tests.unit.test_harvest import echoes as harvest_command
from tests.unit.test_harvest_linkedart import StaticServer
from tests.unit.test_twins_oai import data_build

CRM = "http://www.cidoc-crm.org/cidoc-crm/"
GRAPH = "urn:echoes:graph:coins"
COINS = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"


def coins(url: str, query: str = COINS) -> Source:
    return Source(
        name="coins-again",
        url=url,
        title="The coins, from a SPARQL endpoint",
        licence="LicenseRef-No-Known-Copyright-Restrictions",
        citation="Brooklyn Museum, Greek coins from Pompeii; via ECHOES VRE's data build.",
        protocol="sparql",
        query=query,
    )


def load_coins(oxigraph: str) -> None:
    body = (data_build() / "twins" / "coins.nq").read_bytes()
    reply = requests.post(
        oxigraph + "store", data=body, headers={"Content-Type": "application/n-quads"}, timeout=60
    )
    assert reply.status_code in (200, 201, 204), reply.text


def update(oxigraph: str, text: str) -> None:
    reply = requests.post(
        oxigraph + "update",
        data=f"PREFIX crm: <{CRM}>\n{text}",
        headers={"Content-Type": "application/sparql-update"},
        timeout=60,
    )
    assert reply.status_code in (200, 204), reply.text


def test_a_construct_query_harvests_the_coins_then_their_changes(tmp_path, oxigraph_url):
    load_coins(oxigraph_url)
    folder = HarvestFolder(tmp_path / "harvest")
    endpoint = oxigraph_url + "query"
    first = harvest(coins(endpoint), folder)
    assert (first.error, first.seen, first.added, first.failed) == ("", 24, 24, [])
    built = json.loads((data_build() / "twins" / "coins.json").read_text(encoding="utf-8"))
    twins = folder.records("coins-again")
    coin = twins[local_id("urn:echoes:object:coins/7")]
    assert coin["_label"] == built["7"]["_label"] == "Greek coin 7 from Pompeii"
    assert [t["_label"] for t in coin["classified_as"]] == ["Coin"]
    assert coin["current_owner"][0]["_label"] == "Brooklyn Museum"
    shown = coin["representation"][0]["digitally_shown_by"][0]["access_point"][0]["id"]
    assert (
        shown == built["7"]["representation"][0]["digitally_shown_by"][0]["access_point"][0]["id"]
    )
    origin = folder.origins("coins-again")[local_id("urn:echoes:object:coins/7")]
    assert origin.identifier == origin.url == "urn:echoes:object:coins/7"
    raw = folder.raw("coins-again")[local_id("urn:echoes:object:coins/7")]
    assert raw.startswith("<urn:echoes:object:coins/7> ")  # its triples, then its blank nodes'
    assert '"Greek coin 7 from Pompeii"' in raw and f"<{CRM}E22_Human-Made_Object>" in raw
    stamp = (folder.root / "BUILD.json").read_text()

    # Nothing changed: the whole answer again, every twin as it was, nothing written.
    again = harvest(coins(endpoint), folder)
    assert (again.error, again.seen, again.unchanged, again.changed) == ("", 24, 24, 0)
    assert (folder.root / "BUILD.json").read_text() == stamp

    # The store renames coin 5 and loses coin 7.
    update(
        oxigraph_url,
        f"DELETE {{ GRAPH <{GRAPH}> {{ ?n crm:P190_has_symbolic_content ?old }} }} "
        f"INSERT {{ GRAPH <{GRAPH}> {{ ?n crm:P190_has_symbolic_content 'Coin 5, renamed' }} }} "
        f"WHERE {{ GRAPH <{GRAPH}> {{ <urn:echoes:object:coins/5> crm:P1_is_identified_by ?n . "
        f"?n crm:P190_has_symbolic_content ?old FILTER(?old = 'Greek coin 5 from Pompeii') }} }}",
    )
    update(
        oxigraph_url, f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ <urn:echoes:object:coins/7> ?p ?o }} }}"
    )
    third = harvest(coins(endpoint), folder)
    assert (third.error, third.seen, third.changed, third.withdrawn) == ("", 23, 1, 1)
    twins = folder.records("coins-again")
    assert len(twins) == 24  # the one removed is kept, withdrawn
    assert twins[local_id("urn:echoes:object:coins/5")]["_label"] == "Coin 5, renamed"
    gone = twins[local_id("urn:echoes:object:coins/7")]
    assert "Withdrawn by its source" in gone["referred_to_by"][-1]["content"]
    assert folder.origins("coins-again")[local_id("urn:echoes:object:coins/7")].withdrawn


def test_a_query_the_endpoint_refuses_fails_with_its_message(tmp_path, oxigraph_url):
    folder = HarvestFolder(tmp_path / "harvest")
    report = harvest(coins(oxigraph_url + "query", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p"), folder)
    assert "refused the query (HTTP 400)" in report.error, report.error
    assert oxigraph_url + "query" in report.error and len(report.error) < 500
    assert not folder.records("coins-again")


def test_an_answer_that_is_not_rdf_fails_naming_the_endpoint(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html><body>Not an endpoint</body></html>")
    folder = HarvestFolder(tmp_path / "harvest")
    with StaticServer(site) as server:
        report = harvest(coins(server.url + "/"), folder)
        assert report.error == f"{server.url}/: an answer that is not RDF but text/html"
        (site / "garbage.ttl").write_text("<not turtle")  # served as text/turtle
        report = harvest(coins(server.url + "/garbage.ttl"), folder)
        assert "an answer that is not RDF: " in report.error, report.error
        server.modes["/hangs"] = "hang"
        report = harvest(coins(server.url + "/hangs"), folder, limits=Limits(1.0, 1 << 20))
        assert "no answer" in report.error, report.error
    assert folder.state("coins-again")["last"] is None


def test_the_command_declares_a_sparql_source_from_a_query_file(tmp_path, oxigraph_url):
    load_coins(oxigraph_url)
    echoes = partial(harvest_command, state=tmp_path / "state")
    query = tmp_path / "coins.rq"
    query.write_text(COINS + "\n")
    declared = echoes(
        "add",
        "coins-again",
        "--protocol",
        "sparql",
        "--query-file",
        query,
        "--url",
        oxigraph_url + "query",
        "--title",
        "The coins, again",
        "--licence",
        "CC0-1.0",
        "--citation",
        "ECHOES VRE",
    )
    assert declared.returncode == 0, declared.stderr
    ran = echoes("run")
    assert ran.returncode == 0, ran.stderr
    assert "coins-again: 24 records" in ran.stderr and "+24 new" in ran.stderr
    select = tmp_path / "select.rq"
    select.write_text("SELECT * WHERE { ?s ?p ?o }")
    refused = echoes(
        "add", "other", "--protocol", "sparql", "--query-file", select, "--url",
        oxigraph_url + "query", "--title", "t", "--licence", "CC0-1.0", "--citation", "c",
    )  # fmt: skip
    assert refused.returncode != 0 and "CONSTRUCT" in refused.stderr
