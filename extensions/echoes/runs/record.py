"""The run record: what a run used and produced, written beside the output notebook.

Which data a run read is observed, not declared: before the first cell runs, the
kernel gets a small tracer (`KERNEL_TRACER`, run as a silent execute request) that

* writes the kernel's environment (Python, every installed distribution with its
  version and install time, the image identity) to a trace file, and
* installs a Python audit hook that appends every file the notebook opens for
  reading under the data roots (``ECHOES_DATA_DIR`` and the notebook's folder).

After the run each file read is checksummed and matched with the Intake catalog
entry that describes it (any ``*.yaml`` catalog under the data roots whose source
``urlpath`` resolves to that file), giving the entry name, the checksum the
catalog recorded and the licence. Parameters whose value names a catalog entry are
recorded too, which covers files opened by C libraries that Python cannot see
(HDF5, netCDF).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

RECORD_SCHEMA = "https://echoes-vre.org/schemas/run-record/1"
RECORD_SUFFIX = ".run.json"

#: Environment variables that name the image a server runs in, first found wins
#: (DockerSpawner and KubeSpawner set JUPYTER_IMAGE_SPEC and JUPYTER_IMAGE).
IMAGE_VARIABLES = ("ECHOES_IMAGE", "JUPYTER_IMAGE_SPEC", "JUPYTER_IMAGE")

#: Run in the kernel before the first cell (silently: no output, no execution count).
#: Kept dependency-free so that it works in any Python kernel, with or without echoes.
KERNEL_TRACER = """
def _echoes_trace(trace_path, roots, image_variables):
    import importlib.metadata, json, os, platform, sys
    roots = tuple(os.path.realpath(r) + os.sep for r in roots)
    packages = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        # _path is the dist-info folder: its time is when the package was installed.
        where = getattr(dist, "_path", None)
        installed = os.path.getmtime(where) if where and os.path.exists(where) else None
        packages[name.lower()] = {"version": dist.version, "installed": installed}
    image = next((os.environ[v] for v in image_variables if os.environ.get(v)), None)
    out = open(trace_path, "a", buffering=1)
    out.write(json.dumps({"environment": {
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "executable": sys.executable, "prefix": sys.prefix, "platform": platform.platform(),
        "image": image, "packages": packages}}) + "\\n")
    seen = set()

    def hook(event, args):
        if event != "open" or not isinstance(args[0], (str, bytes)):
            return
        mode, flags = args[1], args[2]
        writing = ("w" in mode or "a" in mode or "x" in mode) if mode else flags & 3 == 1
        path = os.path.realpath(os.fsdecode(args[0]))
        if writing or path in seen or not path.startswith(roots):
            return
        seen.add(path)
        out.write(json.dumps({"read": path}) + "\\n")

    sys.addaudithook(hook)
"""

#: Files a notebook opens that are not data: code, notebooks, caches.
NOT_DATA = re.compile(r"(\.py|\.pyc|\.ipynb|\.run\.json)$|/(__pycache__|\.ipynb_checkpoints)/")


def tracer_code(trace_path: Path, roots: Iterable[Path]) -> str:
    call = (str(trace_path), [str(r) for r in roots], list(IMAGE_VARIABLES))
    return KERNEL_TRACER + f"_echoes_trace{call!r}\ndel _echoes_trace\n"


def read_trace(trace_path: Path) -> tuple[dict[str, Any], list[Path]]:
    """The kernel's environment and the data files it read, from a trace file."""
    environment: dict[str, Any] = {}
    reads: list[Path] = []
    if trace_path.exists():
        for line in trace_path.read_text().splitlines():
            item = json.loads(line)
            if "environment" in item:
                environment = item["environment"]
            elif not NOT_DATA.search(item["read"]):
                reads.append(Path(item["read"]))
    return environment, reads


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_json(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


def environment_identity(environment: dict[str, Any]) -> str:
    """The image when there is one, else the Python version and the exact package set."""
    if environment.get("image"):
        return f"image:{environment['image']}"
    pins = sorted(f"{n}=={p['version']}" for n, p in environment.get("packages", {}).items())
    return f"python-{environment.get('python')}:packages-{sha256_json(pins)[:16]}"


# --- catalog entries -------------------------------------------------------------------

_TEMPLATE = re.compile(r"\{\{\s*(CATALOG_DIR|env\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\))\s*\}\}")


def _resolve_urlpath(urlpath: str, catalog_dir: Path) -> Path | None:
    def value(match: re.Match[str]) -> str:
        return str(catalog_dir) if match.group(2) is None else os.environ.get(match.group(2), "")

    text = _TEMPLATE.sub(value, urlpath)
    if "://" in text and not text.startswith("file://"):
        return None
    path = Path(text.removeprefix("file://"))
    return Path(os.path.realpath(path if path.is_absolute() else catalog_dir / path))


def _checksum(metadata: dict[str, Any]) -> str | None:
    value = metadata.get("sha256") or metadata.get("checksum")
    if isinstance(value, dict):
        value = value.get("sha256")
    return str(value).removeprefix("sha256:") if value else None


def catalog_entries(roots: Iterable[Path]) -> dict[Path, dict[str, Any]]:
    """Intake (YAML) catalog sources under the roots, keyed by the file they point at.

    Reads ``sources: {name: {args: {urlpath}, metadata: {sha256, license, ...}}}``;
    a checksum may be ``metadata.sha256`` or ``metadata.checksum`` (``sha256:<hex>``).
    """
    entries: dict[Path, dict[str, Any]] = {}
    for root in roots:
        for catalog in sorted(Path(root).rglob("*.y*ml")) if Path(root).is_dir() else []:
            try:
                spec = yaml.safe_load(catalog.read_text())
            except (OSError, yaml.YAMLError):
                continue  # not a catalog we can read: it cannot describe a file either
            sources = spec.get("sources") if isinstance(spec, dict) else None
            for name, source in (sources or {}).items():
                args = (source or {}).get("args") or {}
                urlpath = args.get("urlpath") or args.get("path")
                if not isinstance(urlpath, str):
                    continue
                path = _resolve_urlpath(urlpath, catalog.parent)
                if path is None:
                    continue
                metadata = source.get("metadata") or {}
                entries[path] = {
                    "catalog_entry": name,
                    "catalog": str(catalog),
                    "recorded_sha256": _checksum(metadata),
                    "license": metadata.get("license") or metadata.get("licence"),
                    "source": metadata.get("source") or metadata.get("citation"),
                    "description": source.get("description"),
                }
    return entries


def data_entries(
    reads: Iterable[Path], parameters: dict[str, Any], roots: list[Path]
) -> list[dict[str, Any]]:
    """One entry per data file the run used: checksum now, and its catalog entry if any."""
    catalog = catalog_entries(roots)
    by_name = {e["catalog_entry"]: path for path, e in catalog.items()}
    used = {Path(os.path.realpath(p)) for p in reads}
    used |= {by_name[v] for v in parameters.values() if isinstance(v, str) and v in by_name}
    entries = []
    for path in sorted(used):
        if not path.is_file():
            continue
        stat = path.stat()
        entry = {
            "path": str(path),
            "sha256": sha256_file(path),
            "size": stat.st_size,
            "modified": iso(stat.st_mtime),
        }
        entry.update(catalog.get(path, {"catalog_entry": None}))
        entries.append(entry)
    return entries


# --- cells ------------------------------------------------------------------------------


def cell_digests(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        item = {
            "index": index,
            "id": cell.get("id"),
            "cell_type": cell["cell_type"],
            "source_sha256": sha256_json(cell["source"]),
        }
        if cell["cell_type"] == "code":
            item["execution_count"] = cell.get("execution_count")
            item["outputs_sha256"] = sha256_json(cell.get("outputs", []))
            item["tags"] = cell.get("metadata", {}).get("tags", [])
        cells.append(item)
    return cells


def record_path_for(output: Path) -> Path:
    return output.with_name(output.name.removesuffix(".ipynb") + RECORD_SUFFIX)


def write_record(record: dict[str, Any], path: Path) -> None:
    """Write atomically: a crash leaves the old record or the new one, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)


def load_record(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(Path(path).read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}:{error.lineno}: not a run record: {error.msg}") from error
    if not isinstance(record, dict) or record.get("schema") != RECORD_SCHEMA:
        raise ValueError(f"{path}: not a run record (schema is not {RECORD_SCHEMA})")
    return record
