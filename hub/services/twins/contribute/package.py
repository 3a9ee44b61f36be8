"""A published contribution as a Frictionless Data Package: ``datapackage.json`` and
``objects.csv`` (a row per twin: its IRI, the fields as the sheet gave them, its EDTF
date, whether it was withdrawn), with the collection's licence, citation and version,
validated by frictionless itself before it is called done.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ..harvest.folder import HarvestFolder
from .mapping import FIELDS
from .publish import LICENCES

COLUMNS = [
    "object",
    "identifier",
    *[f for f in FIELDS if f != "identifier"],
    "date_edtf",
    "row",
    "withdrawn",
]


class NotPublished(ValueError):
    pass


def write_package(folder: HarvestFolder, name: str, out: Path) -> Path:
    """Write the collection ``name`` as a data package in ``out``; its descriptor."""
    import frictionless

    entry = folder.index().get(name)
    if not entry or not entry.get("contribution"):
        raise NotPublished(
            f"{name}: no contributed collection of that name (echoes contribute publish)"
        )
    contribution = entry["contribution"]
    records, origins, raw = folder.records(name), folder.origins(name), folder.raw(name)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "objects.csv").open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for local, record in records.items():
            said = json.loads(raw[local])
            column = said["fields"]
            values = said["values"]
            writer.writerow(
                [
                    record["id"],
                    origins[local].identifier,
                    *[values.get(column[f] or "", "") for f in FIELDS if f != "identifier"],
                    said.get("date_edtf", ""),
                    said["row"],
                    origins[local].withdrawn,
                ]
            )
    licence = entry["licence"]
    descriptor: dict[str, Any] = {
        "name": name,
        "title": entry["title"],
        "version": f"{contribution['version']}.0.0",
        "description": f"{entry['objects']} objects contributed by {contribution['contributor']} "
        f"({contribution['file']}, sha256 {contribution['sha256']}).",
        "licenses": [{"name": licence, "title": LICENCES.get(licence, licence)}],
        "contributors": [{"title": contribution["contributor"], "role": "author"}],
        "created": entry["built"],
        "sources": [
            {"title": v["file"], "path": f"sha256:{v['sha256']}"} for v in contribution["versions"]
        ],
        "citation": entry["citation"],
        "resources": [
            {
                "name": "objects",
                "path": "objects.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {"name": "object", "type": "string", "format": "default"},
                        {"name": "identifier", "type": "string"},
                        *[{"name": f, "type": "string"} for f in COLUMNS[2:-2]],
                        {"name": "row", "type": "integer"},
                        {"name": "withdrawn", "type": "string"},
                    ],
                    "primaryKey": ["identifier"],
                },
            }
        ],
    }
    path = out / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8")
    report = frictionless.validate(str(path))
    if not report.valid:
        errors = report.flatten(["rowNumber", "fieldName", "type", "note"])
        raise NotPublished(f"{path}: frictionless finds it invalid: {errors[:5]}")
    return path
