"""Benchmark: the twins service's SPARQL endpoint on a synthetic graph of 10,000,000 triples.

A synthetic data folder in the data build's layout (tests/twins_data.py's, larger): one
collection ``synthetic`` of BENCH_TWINS_OBJECTS objects (default 500,000), 20 triples each
(type, label, identifier, a production with its time-span, two dimensions, a type out of
1,000), in the named graph ``urn:echoes:graph:synthetic``; its records file is left empty
(the benchmark reads the graph only). The service process (`python -m
echoes_hub.services.twins`) loads it, then p50/p95 latency of

- "every triple about one object": ``DESCRIBE <object> FROM <graph>`` (its concise bounded
  description, what an object's Turtle is), and
- "objects of a type": ``SELECT ?o FROM <graph> WHERE { ?o crm:P2_has_type <type> }``
  (about 500 objects)

through the service's HTTP endpoint (a worker process, pipes, serialisation, HTTP), on
the bare pyoxigraph store (the service's own store folder, opened read-only in this
process, results serialised the same way), and on the same folder served by Oxigraph's
own server (``oxigraph serve-read-only``: the bare store with the same SPARQL protocol
over HTTP, and no more), in the same run, with the ratios.

Interpretations: BENCH_TWINS_INTERPRETATIONS (default 20,000) synthetic public annotations
about the first RECORDED objects (each: "depicts" one of SUBJECTS synthetic subjects, by
one of 50 software agents acting for 50 synthetic people, with a confidence), and a
quarter as many verdicts on them (agreements and contests), are written into a real
annotation service's store, whose process the twins service follows (its change feed)
like the hub's. Measured: how long the twins service takes them in, then p50/p95 of

- "every interpretation of one object": the nanopublications about it, who made each and
  its status, and
- "objects believed to depict X": every object whose interpretation claims it depicts X,
  with who holds it true (the author, or anyone who agreed);

and the first render of an object's page (HTML, with its interpretations) against the
same object's Linked Art JSON from the same service. Issue 18's goal: p95 under 50 ms and
within 2x of the bare store. Not part of the suite: `make bench`.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from echoes_hub.services.annotations.permissions import Viewer
from echoes_hub.services.annotations.service import DEFAULT_CONTAINER, Annotations
from echoes_hub.services.annotations.store import Store
from echoes_hub.services.twins.query import Request, answer
from tests import oxigraph
from tests.hubclient import free_port_block, make_state_dir, wait_for

OBJECTS = int(os.environ.get("BENCH_TWINS_OBJECTS", "500000"))
INTERPRETATIONS = int(os.environ.get("BENCH_TWINS_INTERPRETATIONS", "20000"))
#: The objects that have a record (and so a page) and the interpretations.
RECORDED = min(OBJECTS, 10_000)
SUBJECTS = 100
#: The objects the interpretations are about (object n % RECORDED for each).
ANNOTATED = min(RECORDED, INTERPRETATIONS)
PEOPLE = 50
TYPES = 1_000
QUERIES = 200
GRAPH = "urn:echoes:graph:synthetic"
CRM = "http://www.cidoc-crm.org/cidoc-crm/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
A = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
VALUE = "http://www.cidoc-crm.org/cidoc-crm/P90_has_value"
rng = random.Random(18)


def synthetic_object(n: int) -> str:
    return f"urn:echoes:object:synthetic/{n}"


def synthetic_type(n: int) -> str:
    return f"urn:echoes:type:synthetic/{n % TYPES}"


def quads(n: int) -> str:
    """The 20 triples of synthetic object ``n``, as N-Quads."""
    s, g = f"<{synthetic_object(n)}>", f"<{GRAPH}>"
    ident, prod, span, d1, d2 = (f"_:b{n}x{k}" for k in range(5))
    rows = [
        (s, f"<{A}>", f"<{CRM}E22_Human-Made_Object>"),
        (s, f"<{LABEL}>", f'"synthetic object {n}"'),
        (s, f"<{CRM}P2_has_type>", f"<{synthetic_type(n)}>"),
        (s, f"<{CRM}P1_is_identified_by>", ident),
        (ident, f"<{A}>", f"<{CRM}E42_Identifier>"),
        (ident, f"<{CRM}P190_has_symbolic_content>", f'"{n}"'),
        (s, f"<{CRM}P108i_was_produced_by>", prod),
        (prod, f"<{A}>", f"<{CRM}E12_Production>"),
        (prod, f"<{CRM}P4_has_time-span>", span),
        (span, f"<{A}>", f"<{CRM}E52_Time-Span>"),
        (span, f"<{LABEL}>", f'"{1500 + n % 500}"'),
        (s, f"<{CRM}P43_has_dimension>", d1),
        (d1, f"<{A}>", f"<{CRM}E54_Dimension>"),
        (d1, f"<{VALUE}>", f'"{n % 97}"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        (d1, f"<{CRM}P2_has_type>", "<http://vocab.getty.edu/aat/300055647>"),
        (s, f"<{CRM}P43_has_dimension>", d2),
        (d2, f"<{A}>", f"<{CRM}E54_Dimension>"),
        (d2, f"<{VALUE}>", f'"{n % 89}"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        (d2, f"<{CRM}P2_has_type>", "<http://vocab.getty.edu/aat/300055644>"),
        (s, f"<{CRM}P52_has_current_owner>", "<urn:echoes:agent:synthetic/keeper>"),
    ]
    return "".join(f"{a} {b} {c} {g} .\n" for a, b, c in rows)


def write_data(data: Path) -> int:
    folder = data / "twins"
    folder.mkdir(parents=True)
    with open(folder / "synthetic.nq", "w") as out:
        for n in range(OBJECTS):
            out.write(quads(n))
    records = {
        str(n): {
            "@context": "https://linked.art/ns/v1/linked-art.json",
            "id": synthetic_object(n),
            "type": "HumanMadeObject",
            "_label": f"synthetic object {n}",
            "identified_by": [{"type": "Identifier", "content": str(n)}],
        }
        for n in range(RECORDED)
    }
    (folder / "synthetic.json").write_text(json.dumps(records))  # the graph only for the rest
    index = {
        "synthetic": {
            "entry": "synthetic.objects",
            "graph": GRAPH,
            "dataset": "urn:echoes:dataset:synthetic.objects",
            "title": "Synthetic objects (benchmark)",
            "licence": "CC0-1.0",
            "citation": "Synthetic, made by tests/benchmarks/test_bench_twins.py.",
            "iiif_image": None,
            "objects": OBJECTS,
        }
    }
    (folder / "index.json").write_text(json.dumps(index))
    (data / "BUILD.json").write_text(json.dumps({"fingerprint": f"synthetic-{OBJECTS}"}))
    return OBJECTS * 20


def p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def line(what: str, service: list[float], **baselines: list[float]) -> None:
    """Print p50/p95 of the service and of each baseline (its name with spaces for _),
    and the ratio of the medians of the service to each."""
    print(f"\n[bench] {what} (load average {os.getloadavg()[0]:.2f})")
    named = {name.replace("_", " "): samples for name, samples in baselines.items()}
    for name, samples in {"service (HTTP)": service, **named}.items():
        print(
            f"[bench]   {name}: p50 {1000 * p(samples, 50):.1f} ms, "
            f"p95 {1000 * p(samples, 95):.1f} ms (n={len(samples)})"
        )
    for name, samples in named.items():
        ratio = statistics.median(service) / statistics.median(samples)
        print(f"[bench]   ratio service / {name} (medians): {ratio:.2f}")


def synthetic_subject(n: int) -> str:
    return f"urn:echoes:subject:synthetic/{n % SUBJECTS}"


def write_annotations(database: Path, base_url: str) -> int:
    """The synthetic public interpretations and verdicts, stored as the annotation service
    stores what it is sent (validated, its creator and times set by the service)."""
    store = Store(f"sqlite:///{database}")
    store.create_schema()
    store.ensure_container(DEFAULT_CONTAINER, "echoes")
    service = Annotations(store, base_url)
    made = []
    for start in range(0, INTERPRETATIONS, 2000):
        for person in range(PEOPLE):
            viewer = Viewer(f"synthetic-person-{person}")
            docs = [
                {
                    "type": "Annotation",
                    "motivation": "identifying",
                    "visibility": "public",
                    "target": synthetic_object(n % RECORDED),
                    "creator": {"type": "Software", "name": "synthetic-agent", "version": "1"},
                    "confidence": round(rng.random(), 2),
                    "body": {
                        "rdf:predicate": "depicts",
                        "id": synthetic_subject(n),
                        "label": f"synthetic subject {n % SUBJECTS}",
                    },
                }
                for n in range(start + person, min(start + 2000, INTERPRETATIONS), PEOPLE)
            ]
            made += service.create_many(viewer, DEFAULT_CONTAINER, docs, imported=False)
    verdicts = []
    for record in rng.sample(made, len(made) // 4):
        viewer = Viewer(f"synthetic-person-{rng.randrange(PEOPLE)}")
        value = rng.choice(["agreed", "contested", "accepted"])
        body = {"type": "TextualBody", "value": value, "purpose": "assessing"}
        doc = {"type": "Annotation", "motivation": "assessing", "visibility": "public"}
        verdicts.append((viewer, {**doc, "target": service.iri(record), "body": body}))
    for viewer, doc in verdicts:
        service.create(viewer, DEFAULT_CONTAINER, doc)
    store.close()
    return len(made) + len(verdicts)


def start(module: str, port: int, state: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", module],
        env={**os.environ, "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}", **env},
        cwd=state,
    )


@pytest.fixture(scope="module")
def service():
    state = make_state_dir()
    data, stores = state / "heritage", state / "twins"
    started = time.monotonic()
    triples = write_data(data)
    print(f"\n[bench] {triples:,} synthetic triples written in {time.monotonic() - started:.0f} s")
    twins_port = free_port_block(2)
    annotations_port = twins_port + 1
    annotations_url = f"http://127.0.0.1:{annotations_port}/services/annotations/"
    started = time.monotonic()
    written = write_annotations(state / "annotations.sqlite", annotations_url)
    print(f"[bench] {written:,} synthetic annotations stored in {time.monotonic() - started:.0f} s")
    settings = {"AnnotationsService": {"database_url": f"sqlite:///{state}/annotations.sqlite"}}
    processes = [
        start(
            "echoes_hub.services.annotations",
            annotations_port,
            state,
            ECHOES_SERVICE_CONFIG=json.dumps(settings),
        ),
        start(
            "echoes_hub.services.twins",
            twins_port,
            state,
            ECHOES_DATA_DIR=str(data),
            ECHOES_TWINS_STORE_DIR=str(stores),
            ECHOES_ANNOTATIONS_URL=annotations_url,
            ECHOES_SERVICE_CONFIG=json.dumps({"TwinsService": {"query_timeout": 60}}),
        ),
    ]
    url = f"http://127.0.0.1:{twins_port}/services/twins/"
    try:
        started = time.monotonic()

        def loaded() -> bool:
            reply = requests.get(url, timeout=10)
            return reply.status_code == 200 and reply.json()["build"] is not None

        wait_for(loaded, 3600, "the synthetic twins to load")
        print(f"[bench] loaded by the service in {time.monotonic() - started:.0f} s")
        started = time.monotonic()

        def taken() -> bool:
            return requests.get(url, timeout=10).json()["interpretations"] == written

        wait_for(taken, 3600, "the synthetic annotations to reach the twins service")
        took = time.monotonic() - started
        print(f"[bench] {written:,} annotations taken from the feed in {took:.0f} s")

        # The bare store: the service's newest snapshot once no newer one comes, linked
        # into a folder of the benchmark's own (the service removes its old snapshots).
        def newest() -> Path:
            return max(stores.glob("snapshot-*"), key=lambda p: int(p.name.split("-")[1]))

        last = None
        while last != newest():
            last = newest()
            time.sleep(3)
        bare = state / "bare-store"
        subprocess.run(["cp", "-al", str(last), str(bare)], check=True)
        server_port = free_port_block(1)
        processes.append(
            subprocess.Popen(
                [
                    oxigraph.binary(),
                    "serve-read-only",
                    "--location",
                    str(bare),
                    "--bind",
                    f"127.0.0.1:{server_port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        server = f"http://127.0.0.1:{server_port}/query"
        wait_for(lambda: answers(server), 60, "the Oxigraph server on the bare store", 0.2)
        yield url, ox.Store.read_only(str(bare)), server
    finally:
        for process in reversed(processes):  # the follower first, by its PID
            process.terminate()  # (the twins service stops its workers)
            process.wait(60)
        subprocess.run(["rm", "-rf", str(state)], check=False)


def answers(server: str) -> bool:
    try:
        return requests.get(server, params={"query": "ASK {}"}, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def timed_get(session: requests.Session, url: str, query: str, accept: str) -> float:
    started = time.perf_counter()
    reply = session.get(url, params={"query": query}, headers={"Accept": accept})
    took = time.perf_counter() - started
    assert reply.status_code == 200, reply.text
    return took


def measure(service: tuple, queries: list[str], accept: str) -> dict[str, list[float]]:
    """Each query through the service, on the bare store, and by Oxigraph's server."""
    url, store, server = service
    session = requests.Session()
    found: dict[str, list[float]] = {"service": [], "bare_store": [], "bare_store_over_HTTP": []}
    for query in queries:
        found["service"].append(timed_get(session, url + "sparql", query, accept))
        started = time.perf_counter()
        answer(store, Request(query, accept))
        found["bare_store"].append(time.perf_counter() - started)
        found["bare_store_over_HTTP"].append(timed_get(session, server, query, accept))
    return found


def test_every_triple_about_one_object(service):
    queries = [
        f"DESCRIBE <{synthetic_object(rng.randrange(OBJECTS))}> FROM <{GRAPH}>"
        for _ in range(QUERIES)
    ]
    line(
        "every triple about one object (DESCRIBE, 20 triples)",
        **measure(service, queries, "application/n-triples"),
    )


def test_objects_of_a_type(service):
    queries = [
        f"SELECT ?o FROM <{GRAPH}> WHERE {{ ?o <{CRM}P2_has_type> "
        f"<{synthetic_type(rng.randrange(TYPES))}> }}"
        for _ in range(QUERIES)
    ]
    line(
        f"objects of a type (about {OBJECTS // TYPES} objects)",
        **measure(service, queries, "application/sparql-results+json"),
    )


DCT = "http://purl.org/dc/terms/"
INF = "http://www.ics.forth.gr/isl/CRMinf/"


def test_every_interpretation_of_one_object(service):
    _, store, _ = service
    queries = [
        f"SELECT ?np ?who ?status WHERE {{ GRAPH ?pi {{ ?np <{DCT}subject> "
        f"<{synthetic_object(rng.randrange(ANNOTATED))}> ; <{DCT}creator> ?who }} "
        "OPTIONAL { GRAPH <urn:echoes:graph:views> { ?np <urn:echoes:term:status> ?status } } }"
        for _ in range(QUERIES)
    ]
    found = json.loads(answer(store, Request(queries[0])).body)["results"]["bindings"]
    assert found, "an object with no interpretation: the synthetic annotations are missing"
    line(
        f"every interpretation of one object (about {INTERPRETATIONS // ANNOTATED})",
        **measure(service, queries, "application/sparql-results+json"),
    )


def test_objects_believed_to_depict_a_subject(service):
    _, store, _ = service
    queries = [
        f"""SELECT DISTINCT ?object ?who WHERE {{
          GRAPH ?a {{ ?object <{CRM}P62_depicts> <{synthetic_subject(rng.randrange(SUBJECTS))}> }}
          GRAPH ?p {{ ?act <{INF}J2_concluded_that> ?b ; <{CRM}P14_carried_out_by> ?who .
                     ?b <{INF}J4_that> ?a ; <{INF}J5_holds_to_be> "true" }} }}"""
        for _ in range(QUERIES)
    ]
    found = json.loads(answer(store, Request(queries[0])).body)["results"]["bindings"]
    assert found, "no believer: the synthetic annotations are missing"
    line(
        f"objects believed to depict a subject (about {INTERPRETATIONS // SUBJECTS} beliefs)",
        **measure(service, queries, "application/sparql-results+json"),
    )


def test_the_first_render_of_an_objects_page(service):
    url, _, _ = service
    session = requests.Session()
    page, record = [], []
    for n in rng.sample(range(RECORDED), QUERIES):  # each object's page once: a first render
        address = f"{url}objects/synthetic/{n}"
        started = time.perf_counter()
        reply = session.get(address, headers={"Accept": "text/html"})
        page.append(time.perf_counter() - started)
        assert reply.status_code == 200, reply.text
        started = time.perf_counter()
        reply = session.get(address, headers={"Accept": "application/ld+json"})
        record.append(time.perf_counter() - started)
        assert reply.status_code == 200, reply.text
    line("the first render of an object's page (HTML)", page, its_Linked_Art_JSON=record)
