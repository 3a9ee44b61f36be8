"""`echoes crate`: a run as an RO-Crate, following the Workflow Run Crate profile (0.5).

The notebook is the crate's main entity, a `ComputationalWorkflow` in Python; each
parameter and each data file is a `FormalParameter` of it, and the run is a
`CreateAction` whose `object` holds the values (`PropertyValue`s, data `File`s with
their sha256 and licence) and whose `result` holds the output notebook and the run
record. A reproduction report, when given, goes in with its verdict.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
from pathlib import Path
from typing import Any

from rocrate.model.computerlanguage import ComputerLanguage
from rocrate.model.contextentity import ContextEntity
from rocrate.rocrate import ROCrate

from . import record as rec
from .reproduce import find_record, unreadable

PROFILES = [
    "https://w3id.org/ro/wfrun/process/0.5",
    "https://w3id.org/ro/wfrun/workflow/0.5",
]
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
#: The Bioschemas profile a Workflow RO-Crate's main workflow conforms to.
COMPUTATIONAL_WORKFLOW = "https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


#: Licence texts the catalogs use that have a canonical address (RO-Crate recommends a URL).
SPDX_ID = re.compile(r"^(CC0|CC-BY|GPL|LGPL|AGPL|MIT|Apache|BSD|MPL|ODbL|PDDL|Unlicense)[\w.+-]*$")
PUBLIC_DOMAIN_MARK = "https://creativecommons.org/publicdomain/mark/1.0/"


def _license(crate: ROCrate, text: str | None, about: str) -> ContextEntity | None:
    """The licence `text` (a URL, an SPDX id, "public domain ..." or free text) as an entity."""
    if not text:
        return None
    if re.match(r"https?://", text):
        identifier = text
    elif SPDX_ID.match(text):
        identifier = f"https://spdx.org/licenses/{text}"
    elif text.lower().startswith("public domain"):
        identifier = PUBLIC_DOMAIN_MARK
    else:
        identifier = f"#license-{_slug(text)}"
    props = {"@type": "CreativeWork", "name": text, "description": f"licence of {about}"}
    return crate.add(ContextEntity(crate, identifier, props))


#: encodingFormat of data files whose type Python's mimetypes does not know.
MEDIA_TYPES = {
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".parquet": "application/vnd.apache.parquet",
    ".nc": "application/x-netcdf",
    ".h5": "application/x-hdf5",
    ".ipynb": "application/x-ipynb+json",
}


def _add_file(crate: ROCrate, path: Path, dest: str, props: dict[str, Any]) -> Any:
    """A file of the crate with its media type and size (roc-validator recommends both)."""
    media = MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    props = {
        "encodingFormat": media or "application/octet-stream",
        "contentSize": str(path.stat().st_size),
        **props,
    }
    return crate.add_file(path, dest_path=dest, properties=props)


def _person(crate: ROCrate, who: dict[str, str]) -> ContextEntity:
    identifier = f"#person-{_slug(who['name'])}"
    return crate.add(ContextEntity(crate, identifier, {"@type": "Person", "name": who["name"]}))


def _compact(crate: ROCrate) -> None:
    """One value, not a list of one (RO-Crate 1.3 recommends the compact form)."""
    for entity in crate.get_entities():
        jsonld = entity.properties()
        for key, value in jsonld.items():
            if isinstance(value, list) and len(value) == 1:
                jsonld[key] = value[0]


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
    publisher: str | None = None,
) -> Path:
    """Write the crate of a run (a folder, or a zip when `out` ends in .zip); its path.

    The publisher is the organisation named by `publisher`, else the person making the crate.
    """
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
    crate.root_dataset["license"] = _license(crate, license, "this crate")
    crate.root_dataset["publisher"] = (
        crate.add(
            ContextEntity(
                crate,
                f"#organization-{_slug(publisher)}",
                {"@type": "Organization", "name": publisher},
            )
        )
        if publisher
        else _person(crate, rec.agent())
    )
    env = record["environment"]
    python = crate.add(
        ComputerLanguage(
            crate,
            "#python",
            {
                "name": "Python",
                "url": "https://www.python.org/",
                "version": env.get("python") or "3",
            },
        )
    )
    crate.add(
        ContextEntity(
            crate,
            COMPUTATIONAL_WORKFLOW,
            {
                "@type": "CreativeWork",
                "name": "Bioschemas ComputationalWorkflow profile",
                "version": "1.0-RELEASE",
            },
        )
    )
    # The notebook as written when it can be read here, else the executed one (same code).
    written = unreadable(source) is None  # a reviewer cannot read the author's copy
    notebook = source if written else output
    workflow = crate.add_workflow(
        notebook,
        dest_path=f"notebook-{source.name}" if written else output.name,
        main=True,
        lang=python,
        properties={
            "name": source.name,
            "@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow"],
            "conformsTo": {"@id": COMPUTATIONAL_WORKFLOW},
            "description": "the notebook that was run"
            + ("" if written else " (its executed copy: the same code)"),
            "encodingFormat": "application/x-ipynb+json",
            "contentSize": str(notebook.stat().st_size),
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
            "description": entry.get("description") or f"data file {path.name}",
            "exampleOfWork": {"@id": formal.id},
        }
        if entry.get("source"):
            props["creditText"] = entry["source"]
        why = unreadable(path)
        if why:
            raise FileNotFoundError(f"{path}: data file of the run is {why} here")
        data = _add_file(crate, path, dest, props)
        licence = _license(crate, entry.get("license"), label)
        if licence is not None:
            data["license"] = licence
        objects.append(data)

    out_formal = _parameter(crate, workflow, "output notebook", "File", "output")
    results = [
        _add_file(
            crate,
            output,
            output.name,
            {
                "name": f"executed {output.name}",
                "description": "the notebook as papermill executed it, with its outputs",
                "exampleOfWork": {"@id": out_formal.id},
            },
        ),
        _add_file(
            crate,
            record_path,
            record_path.name,
            {
                "name": "run record",
                "description": "parameters, data checksums, exact package versions, environment "
                "identity, times and per-cell output digests of this run",
            },
        ),
    ]
    status = "Failed" if record["error"] else "Completed"
    crate.add(
        ContextEntity(
            crate,
            f"http://schema.org/{status}ActionStatus",
            {"@type": "ActionStatusType", "name": status},
        )
    )
    action = crate.add_action(
        workflow,
        identifier="#run",
        object=objects,
        result=results,
        properties={
            "@type": "CreateAction",
            "name": f"papermill run of {source.name}",
            "startTime": record["started"],
            "endTime": record["finished"],
            "actionStatus": {"@id": f"http://schema.org/{status}ActionStatus"},
            **({"error": record["error"]} if record["error"] else {}),
        },
    )
    if record.get("agent"):  # records written before the agent was recorded have none
        action["agent"] = _person(crate, record["agent"])
    # Workflow Run Crate: the root mentions the run it describes.
    crate.root_dataset["mentions"] = action

    if report:
        report = Path(report)
        verdict = json.loads(report.read_text())["verdict"]
        for file in (report, report.with_suffix(".html")):
            if file.is_file():
                _add_file(
                    crate,
                    file,
                    f"reproduction/{file.name}",
                    {
                        "name": f"reproduction report ({verdict})",
                        "description": f"re-execution in a fresh kernel: {verdict}",
                    },
                )

    _compact(crate)
    if out.suffix == ".zip":
        crate.write_zip(out)
    else:
        crate.write(out)
    return out
