"""`echoes reproduce`: re-execute a recorded run in a fresh kernel and give a verdict.

The recorded output notebook is re-executed (its code is exactly what ran) with the
recorded parameters, then compared cell by cell with the recorded outputs
(`compare.py`). What changed since the record is listed with when it changed:
parameters, data files (checksums), packages (versions), the image, the notebook.
A published notebook without a record is re-executed as it is and compared with
its own outputs.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from . import record as rec
from .compare import SANITIZERS, STATUSES, CellComparison, Tolerance, compare_notebooks
from .execute import run
from .report import render_html

REPORT_SCHEMA = "https://echoes-vre.org/schemas/reproduction-report/1"
REPRODUCES = "reproduces"
DOES_NOT_REPRODUCE = "does not reproduce"


@dataclass
class Reproduction:
    verdict: str
    reasons: list[dict[str, str]]
    changes: dict[str, list[dict[str, Any]]]
    cells: list[CellComparison]
    target: str
    record: str | None
    reproduced: str
    tolerance: Tolerance
    workdir: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verdict == REPRODUCES

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(c.status == s for c in self.cells) for s in STATUSES}
        return {
            "schema": REPORT_SCHEMA,
            "verdict": self.verdict,
            "target": self.target,
            "record": self.record,
            "reproduced": self.reproduced,
            "workdir": self.workdir,
            "reasons": self.reasons,
            "changes": self.changes,
            "summary": counts,
            "tolerance": asdict(self.tolerance),
            "sanitizers": {name: what for name, (what, _) in SANITIZERS.items()},
            "timings_s": self.timings,
            "cells": [asdict(c) for c in self.cells],
        }


def find_record(target: Path) -> Path | None:
    """The run record for a target: the record itself, or the one beside a notebook."""
    if target.name.endswith(rec.RECORD_SUFFIX):
        return target
    beside = rec.record_path_for(target)
    return beside if beside.is_file() else None


# --- what changed since the record ------------------------------------------------------


def parameter_changes(record: dict[str, Any], output_nb: dict[str, Any]) -> list[dict]:
    ran_with = output_nb.get("metadata", {}).get("papermill", {}).get("parameters") or {}
    recorded = record.get("parameters") or {}
    return [
        {"name": k, "recorded": recorded.get(k), "output_notebook": ran_with.get(k)}
        for k in sorted(recorded.keys() | ran_with.keys())
        if recorded.get(k) != ran_with.get(k)
    ]


def data_changes(recorded: list[dict], now: list[dict]) -> list[dict]:
    def key(entry: dict) -> str:
        return entry.get("catalog_entry") or entry["path"]

    current = {key(e): e for e in now}
    changes = []
    for old in recorded:
        new = current.pop(key(old), None)
        path = Path(new["path"] if new else old["path"])
        unusable = unreadable(path)
        if unusable:
            changes.append({"data": key(old), "change": unusable, "path": str(path)})
            continue
        sha = new["sha256"] if new else rec.sha256_file(path)
        if sha != old["sha256"]:
            changes.append(
                {
                    "data": key(old),
                    "change": "checksum",
                    "path": str(path),
                    "recorded_sha256": old["sha256"],
                    "sha256": sha,
                    "when": rec.iso(path.stat().st_mtime),
                }
            )
    for new in current.values():
        changes.append({"data": key(new), "change": "read only now", "path": new["path"]})
    return changes


def unreadable(path: Path) -> str | None:
    """Why this user cannot read a recorded file ("missing", "unreadable"), if they cannot:
    a reviewer cannot enter the author's home."""
    try:
        if not path.is_file():
            return "missing"
    except PermissionError:
        return "unreadable"
    return None if os.access(path, os.R_OK) else "unreadable"


def _usable(folder: Path) -> bool:
    """A folder this user may enter, list and write: the run's own folder, for its author."""
    try:
        return folder.is_dir() and os.access(folder, os.R_OK | os.W_OK | os.X_OK)
    except PermissionError:
        return False


def new_workdir(stem: str) -> Path:
    """A new folder in this user's home to re-execute in: ~/reproductions/<stem>-<random>."""
    parent = Path.home() / "reproductions"
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=parent))


def package_changes(recorded: dict[str, Any], now: dict[str, Any]) -> list[dict]:
    changes = []
    for name in sorted(recorded.keys() | now.keys()):
        old, new = recorded.get(name), now.get(name)
        if old and new and old["version"] == new["version"]:
            continue
        changes.append(
            {
                "package": name,
                "recorded": old and old["version"],
                "now": new and new["version"],
                "when": rec.iso(new.get("installed")) if new else None,
            }
        )
    return changes


def environment_changes(recorded: dict[str, Any], now: dict[str, Any]) -> list[dict]:
    changes = []
    for key in ("image", "python", "implementation"):
        if recorded.get(key) != now.get(key):
            changes.append({"what": key, "recorded": recorded.get(key), "now": now.get(key)})
    return changes


def _reasons(changes: dict[str, list[dict]], cells: list[CellComparison], error: str | None):
    reasons = []
    if error:
        reasons.append({"kind": "error", "message": f"the re-execution failed: {error}"})
    for c in changes["notebook"]:
        reasons.append({"kind": "notebook", "message": c["message"]})
    for c in changes["parameters"]:
        reasons.append(
            {
                "kind": "parameters",
                "message": (
                    f"parameter {c['name']}: the record says {c['recorded']!r} but the output "
                    f"notebook ran with {c['output_notebook']!r}"
                ),
            }
        )
    for c in changes["data"]:
        message = f"data {c['data']} ({c['path']}): {c['change']}"
        if c["change"] == "checksum":
            message += (
                f", sha256 {c['recorded_sha256'][:12]}… became {c['sha256'][:12]}…, "
                f"file modified {c['when']}"
            )
        reasons.append({"kind": "data", "message": message})
    for c in changes["packages"]:
        reasons.append(
            {
                "kind": "packages",
                "message": (
                    f"package {c['package']}: recorded {c['recorded']}, now {c['now']}"
                    + (f" (installed {c['when']})" if c["when"] else "")
                ),
            }
        )
    for c in changes["environment"]:
        reasons.append(
            {
                "kind": "environment",
                "message": (f"{c['what']}: recorded {c['recorded']!r}, now {c['now']!r}"),
            }
        )
    differing = [c.index for c in cells if c.status == "differs"]
    if differing:
        message = f"outputs differ in cell(s) {', '.join(map(str, differing))}"
        if not reasons:
            message += (
                " although notebook, parameters, data and environment are the same: "
                "the notebook is not deterministic (an unfixed random seed, the "
                "clock, or unordered iteration?)"
            )
        reasons.append({"kind": "outputs", "message": message})
    return reasons


# --- the whole reproduction -------------------------------------------------------------


def reproduce(
    target: str | Path,
    out_dir: str | Path | None = None,
    *,
    tolerance: Tolerance | None = None,
    progress: bool = True,
    kernel_name: str | None = None,
    workdir: str | Path | None = None,
) -> Reproduction:
    """Re-execute `target` (a run record or a notebook with outputs), compare, report.

    Writes `report.json`, `report.html`, the re-executed notebook and its run record
    into `out_dir` (default `./<name>.reproduce/`). The notebook runs in `workdir`;
    by default in the folder it ran in when this user may write there (the author),
    else in a new folder in this user's home (`new_workdir`: a reviewer, who cannot
    enter the author's home).
    """
    target = Path(target)
    if not target.is_file():
        raise FileNotFoundError(f"{target}: no such run record or notebook")
    tolerance = tolerance or Tolerance()
    record_path = find_record(target)
    record = rec.load_record(record_path) if record_path else None
    if record_path:
        recorded_nb_path = record_path.parent / record["notebook"]["output"]
        cwd = Path(record.get("cwd") or record_path.parent)
    else:
        recorded_nb_path, cwd = target, target.parent
    if not recorded_nb_path.is_file():
        raise FileNotFoundError(f"{recorded_nb_path}: the recorded output notebook is missing")
    stem = recorded_nb_path.name.removesuffix(".ipynb")
    out_dir = Path(out_dir) if out_dir else Path.cwd() / f"{stem}.reproduce"
    out_dir.mkdir(parents=True, exist_ok=True)
    if workdir:
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = cwd if _usable(cwd) else new_workdir(stem)
    recorded_nb = nbformat.read(recorded_nb_path, as_version=4)

    # Re-executed from a private copy: the published notebook is never written to.
    source = out_dir / "recorded.ipynb"
    shutil.copyfile(recorded_nb_path, source)
    started = time.perf_counter()
    new = run(
        source,
        out_dir / "reproduced.ipynb",
        record["parameters"] if record else None,
        kernel_name=kernel_name,
        progress=progress,
        cwd=workdir,
    )
    executed = time.perf_counter()
    cells = compare_notebooks(recorded_nb, nbformat.read(new.output, as_version=4), tolerance)
    compared = time.perf_counter()

    changes: dict[str, list[dict]] = {
        "notebook": [],
        "parameters": [],
        "data": [],
        "packages": [],
        "environment": [],
    }
    if record:
        if rec.sha256_file(recorded_nb_path) != record["notebook"]["output_sha256"]:
            changes["notebook"].append(
                {
                    "message": (
                        f"{recorded_nb_path.name} was changed after the run "
                        f"(modified {rec.iso(recorded_nb_path.stat().st_mtime)})"
                    )
                }
            )
        changes["parameters"] = parameter_changes(record, recorded_nb)
        changes["data"] = data_changes(record["data"], new.record["data"])
        old_env, new_env = record["environment"], new.record["environment"]
        changes["packages"] = package_changes(
            old_env.get("packages", {}), new_env.get("packages", {})
        )
        changes["environment"] = environment_changes(old_env, new_env)
    reasons = _reasons(changes, cells, new.error)
    result = Reproduction(
        verdict=DOES_NOT_REPRODUCE if reasons else REPRODUCES,
        reasons=reasons,
        changes=changes,
        cells=cells,
        target=str(target),
        record=str(record_path) if record_path else None,
        reproduced=str(new.output),
        tolerance=tolerance,
        workdir=str(workdir),
        timings={
            "execute": round(executed - started, 3),
            "compare": round(compared - executed, 3),
        },
    )
    write_reports(result, out_dir)
    return result


def write_reports(result: Reproduction, out_dir: Path) -> None:
    for name, text in (
        ("report.json", json.dumps(result.to_json(), indent=2) + "\n"),
        ("report.html", render_html(result.to_json())),
    ):
        tmp = out_dir / (name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, out_dir / name)
