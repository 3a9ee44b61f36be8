"""A small synthetic data folder of twins, in the data build's layout (catalogs/twins.py):
``BUILD.json`` with a fingerprint, and under ``twins/`` one collection ``synthetic`` (its
records, its N-Quads in ``urn:echoes:graph:synthetic``, provenance) and ``index.json``.
For the twins service's tests and benchmark, which need a build they can change."""

from __future__ import annotations

import json
from pathlib import Path

CRM = "http://www.cidoc-crm.org/cidoc-crm/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
GRAPH = "urn:echoes:graph:synthetic"
PROVENANCE = "urn:echoes:graph:provenance"


def record(number: int, label: str) -> dict:
    return {
        "@context": "https://linked.art/ns/v1/linked-art.json",
        "id": f"urn:echoes:object:synthetic/{number}",
        "type": "HumanMadeObject",
        "_label": f"{label} {number}",
        "identified_by": [{"type": "Identifier", "content": str(number)}],
        "subject_of": [
            {
                "id": f"urn:echoes:record:synthetic/{number}",
                "type": "LinguisticObject",
                "_label": f"synthetic record {number}",
            }
        ],
    }


def nquads(number: int, label: str) -> list[str]:
    thing = f"<urn:echoes:object:synthetic/{number}>"
    source = f"<urn:echoes:record:synthetic/{number}>"
    g = f"<{GRAPH}>"
    return [
        f"{thing} <{RDF_TYPE}> <{CRM}E22_Human-Made_Object> {g} .",
        f'{thing} <{RDFS_LABEL}> "{label} {number}" {g} .',
        f"{thing} <{CRM}P129i_is_subject_of> {source} {g} .",
        f'{source} <{RDFS_LABEL}> "synthetic record {number}" {g} .',
    ]


def write(data_dir: Path, fingerprint: str, objects: int = 50, label: str = "thing") -> Path:
    """The data folder ``data_dir`` as a build of ``fingerprint`` (rewritten in place)."""
    folder = data_dir / "twins"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [line for n in range(1, objects + 1) for line in nquads(n, label)]
    lines.append(f'<{GRAPH}> <http://purl.org/dc/terms/title> "synthetic twins" <{PROVENANCE}> .')
    (folder / "synthetic.nq").write_text("\n".join(lines) + "\n")
    records = {str(n): record(n, label) for n in range(1, objects + 1)}
    (folder / "synthetic.json").write_text(json.dumps(records))
    index = {
        "synthetic": {
            "entry": "synthetic.things",
            "graph": GRAPH,
            "dataset": "urn:echoes:dataset:synthetic.things",
            "title": "Synthetic things",
            "licence": "CC0-1.0",
            "citation": "Made up for the tests.",
            "iiif_image": None,
            "objects": objects,
        }
    }
    (folder / "index.json").write_text(json.dumps(index))
    (data_dir / "BUILD.json").write_text(json.dumps({"fingerprint": fingerprint}))
    return data_dir
