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

through the service's HTTP endpoint (a worker process, pipes, serialisation, HTTP) and on
the bare pyoxigraph store (the service's own store folder, opened read-only in this
process, results serialised the same way) in the same run, with their ratio. Issue 18's
goal: p95 under 50 ms and within 2x of the bare store. Not part of the suite: `make bench`.
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

from echoes_hub.services.twins.query import Request, answer
from tests.hubclient import free_port_block, make_state_dir, wait_for

OBJECTS = int(os.environ.get("BENCH_TWINS_OBJECTS", "500000"))
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
    (folder / "synthetic.json").write_text("{}")  # the graph only
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


def line(what: str, service: list[float], bare: list[float]) -> float:
    ratio = statistics.median(service) / statistics.median(bare)
    print(f"\n[bench] {what} (load average {os.getloadavg()[0]:.2f})")
    for name, samples in (("service (HTTP)", service), ("bare store", bare)):
        print(
            f"[bench]   {name}: p50 {1000 * p(samples, 50):.1f} ms, "
            f"p95 {1000 * p(samples, 95):.1f} ms (n={len(samples)})"
        )
    print(f"[bench]   ratio service / bare store (medians): {ratio:.2f}")
    return ratio


@pytest.fixture(scope="module")
def service():
    state = make_state_dir()
    data, stores = state / "heritage", state / "twins"
    started = time.monotonic()
    triples = write_data(data)
    print(f"\n[bench] {triples:,} synthetic triples written in {time.monotonic() - started:.0f} s")
    port = free_port_block(1)
    env = {
        **os.environ,
        "ECHOES_DATA_DIR": str(data),
        "ECHOES_TWINS_STORE_DIR": str(stores),
        "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}",
        "ECHOES_SERVICE_CONFIG": json.dumps({"TwinsService": {"query_timeout": 60}}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "echoes_hub.services.twins"], env=env, cwd=state
    )
    url = f"http://127.0.0.1:{port}/services/twins/"
    try:
        started = time.monotonic()

        def loaded() -> bool:
            reply = requests.get(url, timeout=10)
            return reply.status_code == 200 and reply.json()["build"] is not None

        wait_for(loaded, 3600, "the synthetic twins to load")
        print(f"[bench] loaded by the service in {time.monotonic() - started:.0f} s")
        [store_dir] = [p for p in stores.iterdir() if p.name.startswith("store-")]
        yield url, ox.Store.read_only(str(store_dir))
    finally:
        process.terminate()  # by its PID: the service stops its workers
        process.wait(60)
        subprocess.run(["rm", "-rf", str(state)], check=False)


def measure(url: str, store: ox.Store, queries: list[str], accept: str) -> tuple[list, list]:
    session = requests.Session()
    through, bare = [], []
    for query in queries:
        started = time.perf_counter()
        reply = session.get(url + "sparql", params={"query": query}, headers={"Accept": accept})
        through.append(time.perf_counter() - started)
        assert reply.status_code == 200, reply.text
        started = time.perf_counter()
        answer(store, Request(query, accept))
        bare.append(time.perf_counter() - started)
    return through, bare


def test_every_triple_about_one_object(service):
    url, store = service
    queries = [
        f"DESCRIBE <{synthetic_object(rng.randrange(OBJECTS))}> FROM <{GRAPH}>"
        for _ in range(QUERIES)
    ]
    through, bare = measure(url, store, queries, "application/n-triples")
    line("every triple about one object (DESCRIBE, 20 triples)", through, bare)


def test_objects_of_a_type(service):
    url, store = service
    queries = [
        f"SELECT ?o FROM <{GRAPH}> WHERE {{ ?o <{CRM}P2_has_type> "
        f"<{synthetic_type(rng.randrange(TYPES))}> }}"
        for _ in range(QUERIES)
    ]
    through, bare = measure(url, store, queries, "application/sparql-results+json")
    line(f"objects of a type (about {OBJECTS // TYPES} objects)", through, bare)
