"""The notebook's twins API (echoes.twin, echoes.sparql, echoes.twins.search) in a real
kernel on a real user server of the real hub: the client finds the twins service where the
hub tells the server (ECHOES_TWINS_URL) and reads anonymously; what it returns is compared
with the data build the service loaded. Then notebooks/pottery_kilns_twins.ipynb runs cell
by cell in such a kernel, as a person would run it.

Times are printed (run with -s), never asserted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from tests.hubclient import Kernel
from tests.integration.conftest import add_user

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "pottery_kilns_twins.ipynb"

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

SPECIMEN = "GA1"
#: Every twin, and only a twin, names the source record it was made from.
COUNTS = """
PREFIX crm: <http://www.cidoc-crm.org/cidoc-crm/>
SELECT ?graph (COUNT(DISTINCT ?twin) AS ?objects)
WHERE { GRAPH ?graph { ?twin crm:P129i_is_subject_of ?record } }
GROUP BY ?graph
"""


def last_json(output: str) -> dict:
    """The JSON object the code printed last (after a display's text, on its line)."""
    last = output.strip().splitlines()[-1]
    assert "{" in last, f"no JSON printed last in {output!r}"
    return json.loads(last[last.index("{") :])


@pytest.fixture(scope="module")
def kernel(hub, admin, twins) -> Iterator[Kernel]:
    """A kernel on a new user's own server, once the service has loaded the build."""
    person = add_user(hub, admin, "twins-client")
    assert person.start_server().status_code in (201, 202)
    kernel = Kernel(person.server_url(), person.new_token())
    yield kernel
    kernel.close()


def test_a_twin_its_sparql_counts_and_a_search_in_a_users_kernel(kernel, data, twins):
    started = time.monotonic()
    output = kernel.execute(
        "import json, os, httpx, echoes\n"
        f"t = echoes.twin('pottery/{SPECIMEN}')\n"
        "same = echoes.twin(t.iri)\n"
        "m = t.measurements\n"
        f"counts = echoes.sparql('''{COUNTS}''')\n"
        "ask = echoes.sparql('ASK { ?s ?p ?o }')\n"
        "coin = echoes.twin('coins/7')\n"
        "image = httpx.get(coin.images[0], timeout=30)\n"
        "found = echoes.twins.search('coin')\n"
        "print(json.dumps({\n"
        "    'url': os.environ['ECHOES_TWINS_URL'], 'client': echoes.twins.client().url,\n"
        "    'iri': t.iri, 'record': t.record, 'same': same.record == t.record,\n"
        "    'page': t.page, 'html': t._repr_html_(), 'triples': len(t.graph),\n"
        "    'measurements': m.to_dict('records'), 'dtypes': counts.dtypes.astype(str).to_dict(),\n"
        "    'counts': {g: int(n) for g, n in zip(counts['graph'], counts['objects'])},\n"
        "    'ask': ask,\n"
        "    'image': [image.status_code, image.headers.get('content-type')],\n"
        "    'found': found.to_dict('records')}))",
        timeout=180,
    )
    print(f"\nthe kernel's twin, SPARQL, image and search: {time.monotonic() - started:.1f} s")
    result = last_json(output)
    # Found where the hub told the server, which is the service's own address.
    assert result["client"] == result["url"] and "/services/twins/" in result["url"]
    built = json.loads((data / "twins" / "pottery.json").read_text())[SPECIMEN]
    assert result["iri"] == f"urn:echoes:object:pottery/{SPECIMEN}"
    assert result["record"] == built and result["same"]
    assert result["page"] == f"{twins}objects/pottery/{SPECIMEN}"  # the public page
    assert (
        "Romano-British pottery specimen GA1" in result["html"] and result["page"] in result["html"]
    )
    assert result["triples"] > 30
    alumina = next(m for m in result["measurements"] if m["type"].endswith("oxide/Al2O3"))
    assert (alumina["value"], alumina["unit"]) == (18.8, "percent")
    assert len(result["measurements"]) == 9
    # SPARQL counts every collection's twins as the build's index does.
    index = json.loads((data / "twins" / "index.json").read_text())
    assert result["counts"] == {entry["graph"]: entry["objects"] for entry in index.values()}
    assert result["dtypes"] == {"graph": "object", "objects": "Int64"}
    assert result["ask"] is False  # the default graph is empty
    # The coin's image is its region, from the IIIF service, read by the kernel.
    assert result["image"] == [200, "image/jpeg"]
    # The search: the coins by their names first, 20 by default.
    found = result["found"]
    assert len(found) == 20 and {f["collection"] for f in found} == {"coins"}
    assert found[0]["id"] == "urn:echoes:object:coins/1" and found[0]["page"].startswith(twins)


def test_a_public_attribution_made_in_the_kernel_is_among_the_twins_interpretations(kernel):
    output = kernel.execute(
        "import json, time, echoes\n"
        f"iri = 'urn:echoes:object:pottery/{SPECIMEN}'\n"
        "agent = {'type': 'Software', 'name': 'kiln-distance', 'version': '0.1'}\n"
        "made = echoes.annotations.annotate(iri, {'rdf:predicate': 'produced_at',\n"
        "    'id': 'urn:echoes:place:kiln/2', 'label': 'kiln 2'}, 'identifying',\n"
        "    visibility='public', creator=agent, confidence=0.6)\n"
        f"twin = echoes.twin('pottery/{SPECIMEN}')\n"
        "for _ in range(60):\n"
        "    found = twin.interpretations\n"
        "    mine = found[found['annotation'] == made['id']]\n"
        "    if len(mine):\n"
        "        break\n"
        "    time.sleep(0.5)\n"
        "row = mine.iloc[0]\n"
        "keys = ('creator_type', 'model', 'version', 'confidence', 'status',\n"
        "    'property', 'value_id')\n"
        "print(json.dumps({k: str(row[k]) for k in keys}))\n"
    )
    assert last_json(output) == {
        "creator_type": "Software",
        "model": "kiln-distance",
        "version": "0.1",
        "confidence": "0.6",
        "status": "proposed",
        "property": "produced_at",
        "value_id": "urn:echoes:place:kiln/2",
    }


def test_the_pottery_kilns_notebook_runs_in_a_users_kernel(kernel, twins):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert notebook.metadata["echoes"]["needs_hub"]
    results, output = None, ""
    started = time.monotonic()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            output = kernel.execute(cell.source, timeout=180)
            if "results" in cell.metadata.get("tags", []):
                results = last_json(output)
    print(f"\nthe notebook ran in {time.monotonic() - started:.1f} s: {results}")
    assert output.strip().endswith("ok")
    assert results["samples"] == results["twins_in_collection"] == 48
    assert results["kilns"] == 5 and 0 < results["ambiguous_samples"] < 48
    assert results["most_ambiguous"].startswith("urn:echoes:object:pottery/")
    assert results["page"].startswith(f"{twins}objects/pottery/")
