"""The shared heritage catalogs in a notebook: ``echoes.catalog()`` and ``echoes.search()``.

The root catalog is ``catalog.yaml`` in the shared data folder: ``$ECHOES_DATA_DIR`` (set by
the hub for every user server), else ``/srv/heritage`` (containers, Binder).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import intake
from echoes_data import validate
from intake.readers.entry import Catalog

DATA_DIR_ENV = "ECHOES_DATA_DIR"
CONTAINER_DATA_DIR = Path("/srv/heritage")
ROOT = "catalog.yaml"


def root_path(path: str | os.PathLike | None = None) -> Path:
    """The root catalog file: ``path`` (a file or a data folder), else the shared data folder."""
    if path is not None:
        path = Path(path)
        return path / ROOT if path.is_dir() else path
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]) / ROOT
    if (CONTAINER_DATA_DIR / ROOT).is_file():
        return CONTAINER_DATA_DIR / ROOT
    raise FileNotFoundError(
        f"no shared heritage data: set {DATA_DIR_ENV} to a data folder built by "
        f"`echoes data build`, or mount one at {CONTAINER_DATA_DIR}"
    )


def catalog(path: str | os.PathLike | None = None, *, check: bool = True) -> Catalog:
    """The root Intake catalog; with ``check``, a broken catalog raises a CatalogError that
    names each catalog file and entry at fault (missing file, licence, path, metadata)."""
    file = root_path(path)
    if check:
        validate.require(file)
    return intake.from_yaml_file(str(file))


@dataclass(frozen=True)
class _Item:
    name: str  # "theme.entry"
    file: Path
    entry: str
    text: str  # lower-case words of the name, theme and metadata


_INDEXES: dict[Path, tuple[tuple, list[_Item]]] = {}
_CATALOGS: dict[Path, tuple[tuple, Catalog]] = {}


def search(text: str, path: str | os.PathLike | None = None) -> Catalog:
    """Entries of the whole catalog tree whose name, theme, description or other metadata
    contain every word of ``text`` (case-insensitive), as a catalog keyed "theme.entry"."""
    words = text.lower().split()
    hits = Catalog(metadata={"title": f"Search results for {text!r}"})
    for item in _index(root_path(path)):
        if all(word in item.text for word in words):
            hits[item.name] = _catalog_of(item.file)[item.entry]
    return hits


def _stamp(files: list[Path]) -> tuple:
    """Identity of the files' current versions; a rebuild or an edit changes it."""
    try:
        stats = [f.stat() for f in files]
    except FileNotFoundError:
        return ()
    return tuple((s.st_ino, s.st_mtime_ns, s.st_size) for s in stats)


def _index(root: Path) -> list[_Item]:
    """Searchable text of every data entry under ``root``, rebuilt when a catalog changes."""
    cached = _INDEXES.get(root)
    if cached and cached[0][1] and _stamp(cached[0][0]) == cached[0][1]:
        return cached[1]
    items: list[_Item] = []
    files: set[Path] = set()
    for name, file, entry_name, entry in validate.walk(root):
        files.add(file)
        words = [name.replace(".", " ").replace("_", " ")]
        words.append(json.dumps(entry.get("metadata") or {}, ensure_ascii=False))
        items.append(_Item(name, file, entry_name, " ".join(words).lower()))
    files.add(root)
    ordered = sorted(files)
    _INDEXES[root] = ((ordered, _stamp(ordered)), items)
    return items


def _catalog_of(file: Path) -> Catalog:
    stamp = _stamp([file])
    cached = _CATALOGS.get(file)
    if cached is None or not stamp or cached[0] != stamp:
        cached = (stamp, intake.from_yaml_file(str(file)))
        _CATALOGS[file] = cached
    return cached[1]
