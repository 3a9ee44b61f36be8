"""Interpretations join the graph, through the real hub, proxy, annotation service and
twins service: people and an agent annotate coin 7 (a region of the photograph, and the
object's IRI) with structured claims; the public ones become nanopublications that a
real SPARQL client (SPARQLWrapper, anonymous) finds with who believes what; a private
one never shows, in any graph, to anyone; the status and the current view follow the
verdicts; an annotation made private leaves the graph. A person runs a notebook that
names coin 7 (`echoes run`) and links the run (`echoes link`): the coin's twin lists it
among its analyses, not its interpretations; another person's private link never shows.

The delay from an annotation's write to SPARQL seeing it is measured and printed (-s).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
import requests
from SPARQLWrapper import JSON, SPARQLWrapper

from echoes.annotations import AnnotationClient
from echoes.runs.link import run_iri
from tests.hubclient import ECHOES, wait_for
from tests.integration.annotations_support import MEDIA_TYPE, new_person, service_url

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

COIN = "urn:echoes:object:coins/7"
ATHENA = "http://vocab.getty.edu/page/ulan/athena-example"
ZEUS = "http://vocab.getty.edu/page/ulan/zeus-example"
CRM = "http://www.cidoc-crm.org/cidoc-crm/"
INF = "http://www.ics.forth.gr/isl/CRMinf/"
WHO_BELIEVES = f"""
SELECT DISTINCT ?object ?who ?holds WHERE {{
  GRAPH ?a {{ ?object <{CRM}P62_depicts> <{ATHENA}> }}
  GRAPH ?p {{ ?activity <{INF}J2_concluded_that> ?belief ; <{CRM}P14_carried_out_by> ?who .
             ?belief <{INF}J4_that> ?a ; <{INF}J5_holds_to_be> ?holds }}
}}"""


def select(twins: str, query: str, **parameters: str) -> list[dict]:
    sparql = SPARQLWrapper(twins + "sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(JSON)
    for name, value in parameters.items():
        sparql.addParameter(name, value)
    found = sparql.query().convert()
    if "boolean" in found:
        return [{"boolean": found["boolean"]}]
    return [{k: v["value"] for k, v in row.items()} for row in found["results"]["bindings"]]


def believers(twins: str) -> set[tuple[str, str]]:
    return {(row["who"], row["holds"]) for row in select(twins, WHO_BELIEVES)}


def said(twins: str) -> list[dict]:
    reply = requests.get(f"{twins}objects/coins/7/interpretations", timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()["interpretations"]


def post(session: requests.Session, url: str, document: dict) -> requests.Response:
    reply = session.post(url, json=document, headers={"Content-Type": MEDIA_TYPE}, timeout=30)
    assert reply.status_code == 201, reply.text
    return reply


def depicts(target, value: str, label: str, **more) -> dict:
    return {
        "type": "Annotation",
        "motivation": "identifying",
        "target": target,
        "body": [
            {"rdf:predicate": "depicts", "id": value, "label": label},
            {"type": "TextualBody", "value": f"The head of {label}"},
        ],
        **more,
    }


def verdict(answered: str, value: str) -> dict:
    return {
        "type": "Annotation",
        "motivation": "assessing",
        "target": answered,
        "body": {"type": "TextualBody", "value": value, "purpose": "assessing"},
        "visibility": "public",
    }


def test_public_interpretations_join_the_graph_and_no_one_sees_a_private_one(hub, admin, twins):
    _, ada = new_person(hub, admin, "twa")
    _, bob = new_person(hub, admin, "twb")
    container = f"{service_url(hub)}containers/default/"
    record = requests.get(
        f"{twins}objects/coins/7", headers={"Accept": "application/ld+json"}, timeout=30
    ).json()
    [point] = record["representation"][0]["digitally_shown_by"][0]["access_point"]
    canvas, _, region = point["id"].partition("#")
    x, y, w, h = (int(v) for v in region.removeprefix("xywh=").split(","))
    inner = f"xywh={x + w // 4},{y + h // 4},{w // 2},{h // 2}"  # a part of coin 7
    agent = {"type": "Software", "name": "coin-reader", "version": "1.4"}
    made = time.monotonic()
    proposal = post(
        ada,
        container,
        depicts(
            {"source": canvas, "selector": {"type": "FragmentSelector", "value": inner}},
            ATHENA,
            "Athena",
            creator=agent,
            confidence=0.7,
            visibility="public",
        ),
    )
    post(bob, container, depicts(COIN, ZEUS, "Zeus"))  # private: Bob's alone
    post(bob, container, depicts(COIN, ATHENA, "Athena", visibility="public"))
    agent_iri = f"urn:echoes:agent:{ada.name}:coin-reader"
    bob_iri = f"urn:echoes:user:{bob.name}"
    ada_iri = f"urn:echoes:user:{ada.name}"

    wait_for(lambda: len(said(twins)) == 2, 60, "both public interpretations on the object")
    wait_for(
        lambda: believers(twins) == {(agent_iri, "true"), (bob_iri, "true")},
        60,
        "SPARQL to see who believes coin 7 depicts Athena",
    )
    print(f"\nan annotation reached SPARQL {time.monotonic() - made:.1f} s after its write")
    first, second = said(twins)
    assert first["creator"]["version"] == "1.4" and first["confidence"] == 0.7
    assert (first["status"], second["status"]) == ("proposed", "asserted")
    assert first["claims"][0]["value"] == {"id": ATHENA, "label": "Athena"}
    assert first["text"] == "The head of Athena"
    assert first["regions"] == [
        {"canvas": canvas, "bounds": [float(v) for v in inner[5:].split(",")]}
    ]
    # The page draws the agent's region, dashed, on the whole photograph.
    page = requests.get(f"{twins}objects/coins/7", headers={"Accept": "text/html"}, timeout=30)
    mark = f'class="interpretation-region status-proposed" x="{x + w // 4}" y="{y + h // 4}"'
    assert mark in page.text

    # Bob's private claim is nowhere: in no graph, and not for anyone (SPARQL is anonymous).
    zeus = f"ASK {{ GRAPH ?g {{ ?s ?p <{ZEUS}> }} }}"
    assert select(twins, zeus) == [{"boolean": False}]
    words = 'ASK { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?o), "Zeus")) } }'
    assert select(twins, words) == [{"boolean": False}]
    assert all("Zeus" not in str(i) for i in said(twins))
    # The default graph holds no contributor's claim.
    assert select(twins, "ASK { ?s ?p ?o }") == [{"boolean": False}]

    # A time to cite: both interpretations as they are now (a second apart from changes).
    time.sleep(1)
    cited = datetime.now(UTC).isoformat()
    time.sleep(1)
    bobs = [i["annotation"] for i in said(twins) if i["creator"]["id"].endswith(bob.name)]
    shown = bob.get(bobs[0], timeout=30)
    edited = {**shown.json(), "body": depicts(COIN, ATHENA, "Pallas Athena")["body"]}
    put = bob.put(
        bobs[0],
        json=edited,
        headers={"Content-Type": MEDIA_TYPE, "If-Match": shown.headers["ETag"]},
        timeout=30,
    )
    assert put.status_code == 200, put.text

    # Ada accepts her agent's proposal: her belief joins, and the current view adopts it.
    post(ada, container, verdict(proposal.json()["id"], "accepted"))
    in_view = f"SELECT ?what WHERE {{ <{COIN}> <{CRM}P62_depicts> ?what }}"
    wait_for(
        lambda: select(twins, in_view, view="current") == [{"what": ATHENA}],
        60,
        "the current view to adopt the accepted proposal",
    )
    assert (ada_iri, "true") in believers(twins)
    assert said(twins)[0]["status"] == "accepted"
    assert select(twins, in_view) == []  # not without the view: the default graph is empty

    # Bob contests it: disagreement is kept beside agreement, and the view drops it.
    post(bob, container, verdict(proposal.json()["id"], "contested"))
    wait_for(lambda: (bob_iri, "false") in believers(twins), 60, "Bob's contest in SPARQL")
    assert {(agent_iri, "true"), (ada_iri, "true"), (bob_iri, "true")} <= believers(twins)
    wait_for(lambda: select(twins, in_view, view="current") == [], 60, "the view to drop it")
    assert [c["id"] for c in said(twins)[0]["contest"]] == [bob_iri]

    # The snapshot at the cited time: as things were then, whatever came after.
    def snapshot() -> dict:
        reply = requests.get(
            f"{twins}objects/coins/7/interpretations", params={"at": cited}, timeout=30
        )
        assert reply.status_code == 200, reply.text
        return reply.json()

    then = snapshot()
    assert [(i["status"], i["text"]) for i in then["interpretations"]] == [
        ("proposed", "The head of Athena"),
        ("asserted", "The head of Athena"),
    ]
    assert then["interpretations"][0]["contest"] == []
    assert snapshot()["digest"] == then["digest"] and then["digest"].startswith("sha256:")
    assert said(twins)[1]["text"] == "The head of Pallas Athena"
    bad = requests.get(f"{twins}objects/coins/7/interpretations?at=yesterday", timeout=30)
    assert bad.status_code == 400 and bad.json()["field"] == "at"

    # Ada makes the proposal private again: it leaves the page and the graph.
    shown = ada.get(proposal.json()["id"], timeout=30)
    document = {**shown.json(), "visibility": "private"}
    changed = ada.put(
        document["id"],
        json=document,
        headers={"Content-Type": MEDIA_TYPE, "If-Match": shown.headers["ETag"]},
        timeout=30,
    )
    assert changed.status_code == 200, changed.text
    wait_for(lambda: len(said(twins)) == 1, 60, "the private proposal to leave the object")
    wait_for(
        lambda: agent_iri not in {who for who, _ in believers(twins)},
        60,
        "the private proposal to leave the graph",
    )
    assert said(twins)[0]["creator"]["id"] == bob_iri


def study(folder: Path) -> Path:
    """A tiny analysis of coin 7: its code names the coin's twin by IRI."""
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                'COIN = "urn:echoes:object:coins/7"  # echoes.twin(COIN) in a user server\n'
                'print(COIN.rsplit("/", 1)[-1])'
            )
        ],
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "P"}},
    )
    folder.mkdir()
    nbformat.write(notebook, folder / "coin_study.ipynb")
    return folder / "coin_study.ipynb"


def echoes(*args: str, user: str) -> str:
    """The `echoes` command as ``user`` runs it in their server (JUPYTERHUB_USER)."""
    env = {**os.environ, "JUPYTERHUB_USER": user}
    done = subprocess.run([ECHOES, *args], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def analyses(twins: str) -> list[dict]:
    reply = requests.get(f"{twins}objects/coins/7/interpretations", timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()["analyses"]


def test_a_linked_run_is_listed_on_its_objects_twin_and_a_private_link_never_is(
    hub, admin, twins, tmp_path
):
    ada, _ = new_person(hub, admin, "anla")
    bob, _ = new_person(hub, admin, "anlb")
    runs = {}
    for person in (bob, ada):
        notebook = study(tmp_path / person.name)
        echoes("run", str(notebook), "--no-progress", user=person.name)
        runs[person.name] = notebook.with_name("coin_study.out.run.json")
    record = json.loads(runs[ada.name].read_text())
    assert record["objects"] == [COIN]
    hub_options = ["--hub", hub.url]
    # Bob links his run privately first: the feed, in order, would bring it before Ada's.
    echoes(
        "link",
        str(runs[bob.name]),
        "--visibility",
        "private",
        *hub_options,
        "--token",
        bob.new_token("link"),
        user=bob.name,
    )
    token = ada.new_token("link")
    started = time.monotonic()
    printed = echoes("link", str(runs[ada.name]), *hub_options, "--token", token, user=ada.name)
    assert printed.startswith(f"{COIN}: linked (")
    output = runs[ada.name].with_name("coin_study.out.ipynb")  # the run, named by its notebook
    again = echoes("link", str(output), *hub_options, "--token", token, user=ada.name)
    assert again.startswith(f"{COIN}: already linked (")
    mine = AnnotationClient(url=service_url(hub), token=token).search(COIN, motivation="linking")
    assert len(mine) == 1  # linking twice made one annotation
    env = {**os.environ, "JUPYTERHUB_USER": bob.name}
    theirs = [ECHOES, "link", str(runs[ada.name]), *hub_options, "--token", bob.new_token()]
    refused = subprocess.run(theirs, capture_output=True, text=True, env=env, check=False)
    assert refused.returncode == 1 and "link only your own runs" in refused.stderr

    [used] = wait_for(lambda: analyses(twins), 60, "the linked run on coin 7's twin")
    print(f"\na linked run on the twin's JSON {time.monotonic() - started:.1f} s after the link")
    assert used["run"] == run_iri(record) and used["label"] == "coin_study.ipynb"
    assert used["creator"]["id"] == f"urn:echoes:user:{ada.name}"
    assert used["ran"] == record["finished"]
    assert used["annotation"] not in {i["annotation"] for i in said(twins)}  # claims nothing
    page = requests.get(f"{twins}objects/coins/7", headers={"Accept": "text/html"}, timeout=30)
    assert "<h2>Analyses that used this object</h2>" in page.text
    assert (
        f"<strong>coin_study.ipynb</strong>, run by {ada.name} on {record['finished']}" in page.text
    )
    assert run_iri(record) in page.text
    assert bob.name not in page.text  # his link is private: not on the page, not in the JSON
    assert [a["creator"]["id"] for a in analyses(twins)] == [used["creator"]["id"]]
    # In the graph: what the run used, in a graph of its own; nothing of Bob's run.
    used_by = (
        f"SELECT ?run WHERE {{ GRAPH ?g {{ ?run <http://www.w3.org/ns/prov#used> <{COIN}> }} }}"
    )
    wait_for(
        lambda: {row["run"] for row in select(twins, used_by)} == {run_iri(record)},
        60,
        "SPARQL to see which run used coin 7",
    )
