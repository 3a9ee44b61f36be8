"""The shared heritage catalogs in a notebook: ``echoes.catalog()`` and ``echoes.search()``.

The root catalog is ``catalog.yaml`` in the shared data folder: ``$ECHOES_DATA_DIR`` (set by
the hub for every user server), else ``/srv/heritage`` (containers, Binder).
"""

from __future__ import annotations

import bisect
import copy
import json
import os
from pathlib import Path

import intake
from intake.readers.entry import Catalog

from echoes_data import validate

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
        validate.require(file, load=load_yaml_cached)
    return intake.from_yaml_file(str(file))


def search(text: str, path: str | os.PathLike | None = None) -> Catalog:
    """Entries of the whole catalog tree whose name, theme, description or other metadata
    contain every word of ``text`` (case-insensitive), as a catalog keyed "theme.entry"."""
    items, blob, starts = _index(root_path(path))
    # Find candidates with the rarest word, then check the others on those only.
    words = sorted(text.lower().split(), key=blob.count)
    data: dict = {}
    entries: dict = {}
    for n in _candidates(blob, starts, words[0]) if words else range(len(items)):
        name, file, doc, entry_name, haystack = items[n]
        if all(word in haystack for word in words[1:]):
            entries[name] = _resolved(name, file, doc, entry_name, data)
    return Catalog.from_dict(
        {
            "version": 2,
            "metadata": {"title": f"Search results for {text!r}"},
            "user_parameters": {},
            "aliases": {},
            "data": data,
            "entries": entries,
        }
    )


# Parsed catalog files and search indexes, kept while the files are unchanged: a rebuild
# swaps the folder (new inodes) and an edit changes mtime and size.
_PARSED: dict[Path, tuple[tuple, dict]] = {}
_INDEXES: dict[Path, tuple[list[Path], tuple, tuple]] = {}


def _stamp(files: list[Path]) -> tuple:
    try:
        stats = [f.stat() for f in files]
    except FileNotFoundError:
        return ()
    return tuple((s.st_ino, s.st_mtime_ns, s.st_size) for s in stats)


def load_yaml_cached(file: Path) -> tuple[dict | None, list[validate.Problem]]:
    """validate.load_yaml, remembered while the file is unchanged."""
    stamp = _stamp([file])
    cached = _PARSED.get(file)
    if stamp and cached and cached[0] == stamp:
        return cached[1], []
    doc, problems = validate.load_yaml(file)
    if doc is not None and stamp:
        _PARSED[file] = (stamp, doc)
    return doc, problems


def _index(root: Path) -> tuple[list[tuple], str, list[int]]:
    """Items (theme.entry, file, parsed file, entry, lower-case searchable text) of every
    entry, their texts joined in one string, and where each item's text starts in it."""
    cached = _INDEXES.get(root)
    if cached and cached[1] and _stamp(cached[0]) == cached[1]:
        return cached[2]
    items, files = [], {root}
    for name, file, doc, entry_name in validate.walk(root, load=load_yaml_cached):
        files.add(file)
        meta = doc["entries"][entry_name].get("metadata") or {}
        text = name.replace(".", " ").replace("_", " ") + " " + json.dumps(meta, ensure_ascii=False)
        items.append((name, file, doc, entry_name, text.lower()))
    starts, offset = [], 0
    for item in items:
        starts.append(offset)
        offset += len(item[4]) + 1
    index = (items, "\n".join(item[4] for item in items), starts)
    ordered = sorted(files)
    _INDEXES[root] = (ordered, _stamp(ordered), index)
    return index


def _candidates(blob: str, starts: list[int], word: str) -> list[int]:
    """Items whose text contains ``word``: one scan of the joined texts with str.find."""
    found: list[int] = []
    position = blob.find(word)
    while position != -1:
        n = bisect.bisect_right(starts, position) - 1
        found.append(n)
        # Continue after this item's text: one hit per item is enough.
        position = blob.find(word, starts[n + 1]) if n + 1 < len(starts) else -1
    return found


def _resolved(name: str, file: Path, doc: dict, entry_name: str, data: dict) -> dict:
    """A copy of an entry whose data items (added to ``data``) have {CATALOG_DIR} filled in,
    so entries from catalogs in different folders can share one result catalog."""

    def resolve(ref: str) -> str:
        item = copy.deepcopy(doc["data"][ref])
        url = item["kwargs"]["url"]
        item["kwargs"]["url"] = url.replace("{CATALOG_DIR}", str(file.parent), 1)
        data[f"{name}/{ref}"] = item
        return f"{name}/{ref}"

    entry = copy.deepcopy(doc["entries"][entry_name])
    entry["kwargs"] = validate.map_refs(entry.get("kwargs") or {}, resolve)
    return entry
