"""`echoes crate`: a run as an RO-Crate, following the Workflow Run Crate profile (0.5).

The notebook is the crate's main entity, a `ComputationalWorkflow` in Python; each
parameter and each data file is a `FormalParameter` of it, and the run is a
`CreateAction` whose `object` holds the values (`PropertyValue`s, data `File`s with
their sha256 and licence) and whose `result` holds the output notebook and the run
record. A reproduction report, when given, goes in with its verdict.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from rocrate.model.computerlanguage import ComputerLanguage
from rocrate.model.contextentity import ContextEntity
from rocrate.rocrate import ROCrate

from . import record as rec
from .reproduce import find_record

PROFILES = [
    "https://w3id.org/ro/wfrun/process/0.5",
    "https://w3id.org/ro/wfrun/workflow/0.5",
]
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def _license(crate: ROCrate, text: str | None) -> ContextEntity | None:
    if not text:
        return None
    if re.match(r"https?://", text):
        return crate.add(ContextEntity(crate, text, {"@type": "CreativeWork", "name": text}))
    identifier = f"#license-{_slug(text)}"
    return crate.add(ContextEntity(crate, identifier, {"@type": "CreativeWork", "name": text}))


def _parameter(
    crate: ROCrate, workflow: Any, name: str, kind: str, direction: str, key: str | None = None
) -> Any:
    formal = crate.add_formal_parameter(
        name=name, additionalType=kind, identifier=f"#param-{direction}-{_slug(key or name)}"
    )
    workflow.append_to(direction, formal)
    return formal


def data_paths(record: dict[str, Any]) -> dict[str, str]:
    """Where each data file of a run goes in its crate: `data/` and its path under the
    common folder of the run's data roots that hold its files (the shared data folder,
    the notebook's folder, its cwd), so that files of the same name (every theme's
    catalog.yaml) stay apart and show where they came from."""
    files = [Path(entry["path"]) for entry in record["data"]]
    if not files:
        return {}
    # Records written before `data_roots` was recorded: the folders a run always reads.
    roots = record.get("data_roots") or [
        record["cwd"],
        str(Path(record["notebook"]["input"]).parent),
    ]
    used = [Path(r) for r in roots if any(f.is_relative_to(r) for f in files)]
    base = Path(os.path.commonpath([*used, *(f.parent for f in files)]))
    return {str(f): "data/" + f.relative_to(base).as_posix() for f in files}


def _kind(value: Any) -> str:
    return {bool: "Boolean", int: "Integer", float: "Float", str: "Text"}.get(type(value), "Text")


def make_crate(
    run: str | Path,
    out: str | Path | None = None,
    *,
    report: str | Path | None = None,
    license: str = DEFAULT_LICENSE,
) -> Path:
    """Write the crate of a run (a folder, or a zip when `out` ends in .zip); its path."""
    run = Path(run)
    record_path = find_record(run) if run.is_file() else None
    if record_path is None:
        raise FileNotFoundError(f"{run}: no run record (.run.json) for this run")
    record = rec.load_record(record_path)
    output = record_path.parent / record["notebook"]["output"]
    source = Path(record["notebook"]["input"])
    name = output.name.removesuffix(".ipynb")
    out = Path(out) if out else Path.cwd() / f"{name}.crate"

    crate = ROCrate()
    for profile in PROFILES:
        crate.add(
            ContextEntity(
                crate,
                profile,
                {
                    "@type": ["CreativeWork", "Profile"],
                    "name": profile.split("/ro/")[-1],
                    "version": "0.5",
                },
            )
        )
    crate.root_dataset["conformsTo"] = [{"@id": p} for p in PROFILES]
    crate.root_dataset["name"] = f"Run of {source.name}"
    crate.root_dataset["description"] = (
        f"Notebook {source.name} run with papermill on {record['started']}, with its "
        "parameters, data, outputs and run record."
    )
    crate.root_dataset["datePublished"] = record["finished"]
    crate.root_dataset["license"] = license
    env = record["environment"]
    python = crate.add(
        ComputerLanguage(
            crate,
            "#python",
            {
                "name": "Python",
                "url": {"@id": "https://www.python.org/"},
                "version": env.get("python") or "3",
            },
        )
    )
    # The notebook as written when it exists here, else the executed one (same code).
    workflow = crate.add_workflow(
        source if source.is_file() else output,
        dest_path=f"notebook-{source.name}" if source.is_file() else output.name,
        main=True,
        lang=python,
        properties={
            "name": source.name,
            "@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow"],
            "encodingFormat": "application/x-ipynb+json",
        },
    )

    objects = []
    for key, value in record["parameters"].items():
        formal = _parameter(crate, workflow, key, _kind(value), "input")
        objects.append(
            crate.add(
                ContextEntity(
                    crate,
                    f"#pv-{_slug(key)}",
                    {
                        "@type": "PropertyValue",
                        "name": key,
                        "value": value
                        if isinstance(value, (str, int, float, bool))
                        else json.dumps(value),
                        "exampleOfWork": {"@id": formal.id},
                    },
                )
            )
        )
    destinations = data_paths(record)
    for entry in record["data"]:
        path = Path(entry["path"])
        dest = destinations[entry["path"]]
        label = entry.get("catalog_entry") or dest.removeprefix("data/")
        formal = _parameter(crate, workflow, f"data {label}", "File", "input", key=dest)
        props = {
            "name": label,
            "sha256": entry["sha256"],
            "contentSize": str(entry["size"]),
            "description": entry.get("description") or f"data file {path.name}",
            "exampleOfWork": {"@id": formal.id},
        }
        if entry.get("source"):
            props["creditText"] = entry["source"]
        if not path.is_file():
            raise FileNotFoundError(f"{path}: data file of the run is missing")
        data = crate.add_file(path, dest_path=dest, properties=props)
        licence = _license(crate, entry.get("license"))
        if licence is not None:
            data["license"] = licence
        objects.append(data)

    out_formal = _parameter(crate, workflow, "output notebook", "File", "output")
    results = [
        crate.add_file(
            output,
            dest_path=output.name,
            properties={
                "name": f"executed {output.name}",
                "encodingFormat": "application/x-ipynb+json",
                "exampleOfWork": {"@id": out_formal.id},
            },
        )
    ]
    results.append(
        crate.add_file(
            record_path,
            dest_path=record_path.name,
            properties={
                "name": "run record",
                "encodingFormat": "application/json",
                "description": "parameters, data checksums, exact package versions, environment "
                "identity, times and per-cell output digests of this run",
            },
        )
    )
    crate.add_action(
        workflow,
        identifier="#run",
        object=objects,
        result=results,
        properties={
            "@type": "CreateAction",
            "name": f"papermill run of {source.name}",
            "startTime": record["started"],
            "endTime": record["finished"],
            "actionStatus": {
                "@id": "http://schema.org/FailedActionStatus"
                if record["error"]
                else "http://schema.org/CompletedActionStatus"
            },
            **({"error": record["error"]} if record["error"] else {}),
        },
    )

    if report:
        report = Path(report)
        verdict = json.loads(report.read_text())["verdict"]
        for file in (report, report.with_suffix(".html")):
            if file.is_file():
                crate.add_file(
                    file,
                    dest_path=f"reproduction/{file.name}",
                    properties={
                        "name": f"reproduction report ({verdict})",
                        "description": f"re-execution in a fresh kernel: {verdict}",
                    },
                )

    if out.suffix == ".zip":
        crate.write_zip(out)
    else:
        crate.write(out)
    return out
