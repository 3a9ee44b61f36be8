"""The run record: what a run used and produced, written beside the output notebook.

Which data a run read is observed, not declared: before the first cell runs, the
kernel gets a small tracer (`KERNEL_TRACER`, run as a silent execute request) that

* writes the kernel's environment (Python, every installed distribution with its
  version and install time, the image identity) to a trace file, and
* installs a Python audit hook that appends every file the notebook opens for
  reading under the data roots (``ECHOES_DATA_DIR`` and the notebook's folder).

After the run each file read is checksummed and matched with the Intake catalog
entry that describes it (any ``*.yaml`` catalog under the data roots, Intake 2 or
0.x, whose entry reads that file), giving the entry name, the checksum the catalog
recorded and the licence. Catalog entries that the notebook's code or parameters
name are recorded too: Python cannot see files that C libraries open (Parquet
through Arrow, HDF5, netCDF), and `echoes.catalog().theme.read().entry` names them.
The heritage objects the code or parameters name (`objects_in`: a twin's IRI, or
``echoes.twin("coins/7")``) are recorded as ``objects``, so that `echoes link` can tell
the objects' twins which analyses used them.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from echoes_data import validate

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

#: Files a notebook opens that are not data: code, notebooks, installed packages.
NOT_DATA = re.compile(r"(\.py|\.pyc|\.so|\.ipynb|\.run\.json)$|/(__pycache__|site-packages)/")


def is_data(path: Path, roots: list[Path]) -> bool:
    """Not code, and not hidden (caches, settings: ~/.cache, .ipynb_checkpoints) in its root.

    The first root that holds the file decides, and the shared data folder comes first,
    so data under a hidden data folder (.echoes/heritage) stays data.
    """
    if NOT_DATA.search(str(path)):
        return False
    root = next((r for r in roots if path.is_relative_to(r)), None)
    return root is not None and not any(p.startswith(".") for p in path.relative_to(root).parts)


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
            else:
                reads.append(Path(item["read"]))
    return environment, reads


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def sha256_json(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def agent() -> dict[str, str]:
    """Who is at work: the hub user in a hub's server (JUPYTERHUB_USER), else the login."""
    return {"name": os.environ.get("JUPYTERHUB_USER") or getpass.getuser()}


def environment_identity(environment: dict[str, Any]) -> str:
    """The image when there is one, else the Python version and the exact package set."""
    if environment.get("image"):
        return f"image:{environment['image']}"
    pins = sorted(f"{n}=={p['version']}" for n, p in environment.get("packages", {}).items())
    return f"python-{environment.get('python')}:packages-{sha256_json(pins)[:16]}"


# --- catalog entries -------------------------------------------------------------------

_TEMPLATE = re.compile(r"\{\{?\s*(CATALOG_DIR|env\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\))\s*\}?\}")


def _resolve_url(url: str, catalog_dir: Path) -> Path | None:
    def value(match: re.Match[str]) -> str:
        return str(catalog_dir) if match.group(2) is None else os.environ.get(match.group(2), "")

    text = _TEMPLATE.sub(value, url)
    if "://" in text and not text.startswith("file://"):
        return None
    path = Path(text.removeprefix("file://"))
    return Path(os.path.realpath(path if path.is_absolute() else catalog_dir / path))


def _checksum(metadata: dict[str, Any]) -> str | None:
    value = metadata.get("sha256") or metadata.get("checksum")
    if isinstance(value, dict):
        value = value.get("sha256")
    return str(value).removeprefix("sha256:") if value else None


def _entry_files(spec: dict[str, Any], catalog_dir: Path) -> dict[str, tuple[list[Path], dict]]:
    """entry name -> (files, entry) for an Intake 2 (`data` + `entries`) or 0.x catalog."""
    found: dict[str, tuple[list[Path], dict]] = {}
    if isinstance(spec.get("entries"), dict):  # Intake 2: entries read `{data(name)}` refs
        urls = {
            name: (d.get("kwargs") or {}).get("url")
            for name, d in (spec.get("data") or {}).items()
            if isinstance(d, dict)
        }
        for name, entry in spec["entries"].items():
            refs = validate.data_refs((entry or {}).get("kwargs"))
            files = [
                _resolve_url(urls[r], catalog_dir) for r in refs if isinstance(urls.get(r), str)
            ]
            found[name] = ([f for f in files if f], entry or {})
    for name, source in (spec.get("sources") or {}).items():  # Intake 0.x
        args = (source or {}).get("args") or {}
        url = args.get("urlpath") or args.get("path")
        file = _resolve_url(url, catalog_dir) if isinstance(url, str) else None
        found[name] = ([file] if file else [], source or {})
    return found


def catalog_entries(roots: Iterable[Path]) -> dict[Path, dict[str, Any]]:
    """Intake catalog entries under the roots, keyed by the data file they read.

    Understands Intake 2 catalogs (`data:` with `kwargs.url`, `entries:` reading them as
    `{data(name)}`) and Intake 0.x ones (`sources:` with `args.urlpath`). The checksum is
    the entry's `metadata.sha256` (or `checksum: sha256:<hex>`), the licence its
    `metadata.licence`/`license`, the source its `citation`/`source`.
    """
    entries: dict[Path, dict[str, Any]] = {}
    for root in roots:
        for catalog in sorted(Path(root).rglob("*.y*ml")) if Path(root).is_dir() else []:
            try:
                spec = yaml.safe_load(catalog.read_text())
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # not a catalog we can read: it cannot describe a file either
            if not isinstance(spec, dict):
                continue
            for name, (files, entry) in _entry_files(spec, catalog.parent).items():
                metadata = entry.get("metadata") or {}
                for path in files:
                    entries[path] = {
                        "catalog_entry": name,
                        "catalog": str(catalog),
                        "recorded_sha256": _checksum(metadata),
                        "license": metadata.get("licence") or metadata.get("license"),
                        "source": metadata.get("citation") or metadata.get("source"),
                        "description": metadata.get("title") or entry.get("description"),
                    }
    return entries


def data_entries(
    reads: Iterable[Path], named: Iterable[str], roots: list[Path]
) -> list[dict[str, Any]]:
    """One entry per data file the run used: checksum now, and its catalog entry if any.

    Used means opened by the kernel (`reads`, how: "opened"), or belonging to a catalog
    entry whose name the notebook's parameters or code mention (`named`, how: "named"),
    which covers files that C libraries open where Python's audit hook cannot see them
    (Parquet through Arrow, HDF5, netCDF).
    """
    catalog = catalog_entries(roots)
    used = {path: "opened" for path in map(Path, map(os.path.realpath, reads))}
    used = {path: how for path, how in used.items() if is_data(path, roots)}
    words = set(named)
    for path, entry in catalog.items():
        if entry["catalog_entry"] in words:
            used.setdefault(path, "named")
    entries = []
    for path, how in sorted(used.items()):
        if not path.is_file():
            continue
        stat = path.stat()
        entry = {
            "path": str(path),
            "how": how,
            "sha256": sha256_file(path),
            "size": stat.st_size,
            "modified": iso(stat.st_mtime),
        }
        entry.update(catalog.get(path, {"catalog_entry": None}))
        entries.append(entry)
    return entries


def _code(notebook: dict[str, Any]) -> str:
    return "\n".join(c["source"] for c in notebook["cells"] if c["cell_type"] == "code")


def names_in(notebook: dict[str, Any], parameters: dict[str, Any]) -> set[str]:
    """The identifiers and strings a notebook's code and parameters mention."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", _code(notebook)))
    return words | {v for v in parameters.values() if isinstance(v, str)}


# --- heritage objects -------------------------------------------------------------------

#: The IRI of a heritage object's digital twin (the twins service's).
OBJECT = "urn:echoes:object:"
#: <collection>/<id>, the id not ending in "." or ":" (an IRI ending a sentence).
_REF = r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.:-]*[A-Za-z0-9_-]"
_OBJECT_IRI = re.compile(re.escape(OBJECT) + _REF)
#: ``twin("coins/7")``: a string literal <collection>/<id> passed to echoes.twin.
_TWIN_CALL = re.compile(rf"""\btwin\(\s*(["'])({_REF})\1\s*\)""")


def objects_in(notebook: dict[str, Any], parameters: dict[str, Any]) -> list[str]:
    """The twin IRIs a notebook's code and parameters name, sorted: written as IRIs
    (``urn:echoes:object:coins/7``), or as ``echoes.twin("coins/7")`` in the code.

    As with catalog entries (`names_in`), named is not proven used: an object named in a
    comment counts too, one reached only through a variable (``twin(ref)``) does not.
    """
    code = _code(notebook)
    texts = [code, *(v for v in parameters.values() if isinstance(v, str))]
    found = {m.group(0) for text in texts for m in _OBJECT_IRI.finditer(text)}
    found |= {OBJECT + m.group(2) for m in _TWIN_CALL.finditer(code)}
    return sorted(found)


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
