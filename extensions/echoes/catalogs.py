"""The shared heritage catalogs in a notebook: ``echoes.catalog()`` and ``echoes.search()``.

The root catalog is ``catalog.yaml`` in the shared data folder: ``$ECHOES_DATA_DIR`` (set by
the hub for every user server), else ``/srv/heritage`` (containers, Binder). When the hub
harvests other projects' collections (`echoes harvest`), their catalog is the theme
``harvested`` beside the data's themes: ``catalog.yaml`` in ``$ECHOES_HARVESTED_DIR`` (set
by the hub), else ``/srv/harvested`` (containers); without one, the tree is the data's.
"""

from __future__ import annotations

import bisect
import copy
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import intake
from intake.readers.datatypes import YAMLFile
from intake.readers.entry import Catalog
from intake.readers.readers import YAMLCatalogReader

from echoes_data import validate

DATA_DIR_ENV = "ECHOES_DATA_DIR"
CONTAINER_DATA_DIR = Path("/srv/heritage")
ROOT = "catalog.yaml"
HARVESTED_DIR_ENV = "ECHOES_HARVESTED_DIR"
CONTAINER_HARVESTED_DIR = Path("/srv/harvested")
#: The theme of the harvested collections in the root catalog.
HARVESTED = "harvested"


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


def harvested_path() -> Path | None:
    """The harvested collections' catalog file, if the hub wrote one: in
    ``$ECHOES_HARVESTED_DIR``, else ``/srv/harvested``; None without one."""
    folder = os.environ.get(HARVESTED_DIR_ENV)
    file = (Path(folder) if folder else CONTAINER_HARVESTED_DIR) / ROOT
    return file if file.is_file() else None


def themes(root: Path) -> list[tuple[str, Path]]:
    """The catalog files of the tree: the root (its themes are its entries), and the
    harvested collections' as the theme ``harvested`` (prefix "harvested."), if any."""
    harvested = harvested_path()
    return [("", root), *([(f"{HARVESTED}.", harvested)] if harvested else [])]


def walk(root: Path) -> Iterator[tuple[str, Path, dict, str]]:
    """validate.walk over the whole tree (``themes``): (``theme.entry``, catalog file, its
    parsed YAML, entry name) for every data entry, the harvested ones included."""
    for prefix, file in themes(root):
        yield from validate.walk(file, prefix, load=load_yaml_cached)


def catalog(path: str | os.PathLike | None = None, *, check: bool = True) -> Catalog:
    """The root Intake catalog, with the theme ``harvested`` when the hub harvested
    collections; with ``check``, a broken catalog raises a CatalogError that names each
    catalog file and entry at fault (missing file, licence, path, metadata)."""
    files = themes(root_path(path))
    if check:
        problems = [p for _, file in files for p in validate.check(file, load=load_yaml_cached)]
        if problems:
            raise validate.CatalogError(problems)
    root = intake.from_yaml_file(str(files[0][1]))
    for _, file in files[1:]:
        add_harvested(root, file)
    return root


def add_harvested(root: Catalog, file: Path) -> None:
    """The harvested collections' catalog ``file`` as the root's theme ``harvested``, an
    entry as the root's own themes are (Intake's YAMLCatalogReader)."""
    doc, _ = load_yaml_cached(file)
    meta = (doc or {}).get("metadata") or {}
    shown = {k: meta[k] for k in ("title", "description") if k in meta}
    root.add_entry(YAMLCatalogReader(YAMLFile(url=str(file)), metadata=shown), name=HARVESTED)


def opening_code(name: str) -> str:
    """The expression that reads the entry ``name`` ("theme.entry") from the root catalog."""
    *themes, entry = name.split(".")
    return "echoes.catalog()" + "".join(f".{t}.read()" for t in themes) + f".{entry}.read()"


@dataclass(frozen=True)
class Hit:
    """One entry that a search found: what it is, under which licence, how to open it."""

    name: str
    title: str
    description: str
    licence: str
    catalog: Catalog = field(repr=False, compare=False)

    @property
    def code(self) -> str:
        return opening_code(self.name)

    @property
    def reader(self) -> Any:
        """The entry's Intake reader."""
        return self.catalog[self.name]

    def read(self) -> Any:
        """The entry's data (a DataFrame, an image array, ...), read with Intake."""
        return self.reader.read()

    def summary(self) -> str:
        return f"{self.name}: {self.title} (licence {self.licence or 'not given'})"

    def __repr__(self) -> str:
        return f"<{self.summary()}: {self.code}>"


class SearchResults:
    """What ``echoes.search`` found: iterate for the hits (sorted by name), index by position
    or by name ("theme.entry"); shown as a list in a terminal and a table in a notebook.
    ``catalog`` is the hits as one Intake catalog, ``entries`` its entries."""

    def __init__(self, text: str, catalog: Catalog) -> None:
        self.text = text
        self.catalog = catalog
        self.hits = [_hit(name, entry, catalog) for name, entry in sorted(catalog.entries.items())]

    @property
    def entries(self) -> dict:
        return self.catalog.entries

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __contains__(self, name: object) -> bool:
        return name in self.catalog.entries

    def __getitem__(self, key: int | str) -> Hit:
        if isinstance(key, int):
            return self.hits[key]
        for hit in self.hits:
            if hit.name == key:
                return hit
        raise KeyError(f"{key!r} is not among the results for {self.text!r}")

    def _heading(self) -> str:
        if not self.hits:
            return f"No catalog entry matches {self.text!r}."
        entries = "entry matches" if len(self.hits) == 1 else "entries match"
        return f"{len(self.hits)} catalog {entries} {self.text!r}:"

    def __repr__(self) -> str:
        lines = [self._heading()]
        for hit in self.hits:
            lines += [f"- {hit.summary()}", f"    {hit.code}"]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr>"
            f"<td><code>{escape(hit.name)}</code></td>"
            f"<td><b>{escape(hit.title)}</b><br>{escape(hit.description)}</td>"
            f"<td>{escape(hit.licence or 'not given')}</td>"
            f"<td><code>{escape(hit.code)}</code></td>"
            "</tr>"
            for hit in self.hits
        )
        heading = f"<p>{escape(self._heading())}</p>"
        if not self.hits:
            return heading
        head = "<tr><th>Entry</th><th>Title</th><th>Licence</th><th>Open it with</th></tr>"
        return f"{heading}<table><thead>{head}</thead><tbody>{rows}</tbody></table>"


def _hit(name: str, entry: Any, catalog: Catalog) -> Hit:
    meta = entry.metadata or {}
    return Hit(
        name=name,
        title=str(meta.get("title", name.rpartition(".")[2])),
        description=str(meta.get("description", "")),
        licence=str(meta.get("licence", "")),
        catalog=catalog,
    )


def search(text: str, path: str | os.PathLike | None = None) -> SearchResults:
    """Entries of the whole catalog tree whose name, theme, description or other metadata
    contain every word of ``text`` (case-insensitive)."""
    items, blob, starts = _index(root_path(path))
    # Find candidates with the rarest word, then check the others on those only.
    words = sorted(text.lower().split(), key=blob.count)
    data: dict = {}
    entries: dict = {}
    for n in _candidates(blob, starts, words[0]) if words else range(len(items)):
        name, file, doc, entry_name, haystack = items[n]
        if all(word in haystack for word in words[1:]):
            entries[name] = _resolved(name, file, doc, entry_name, data)
    found = Catalog.from_dict(
        {
            "version": 2,
            "metadata": {"title": f"Search results for {text!r}"},
            "user_parameters": {},
            "aliases": {},
            "data": data,
            "entries": entries,
        }
    )
    return SearchResults(text, found)


# Parsed catalog files and search indexes, kept while the files are unchanged: a rebuild
# swaps the folder (new inodes) and an edit changes mtime and size.
_PARSED: dict[Path, tuple[tuple, dict]] = {}
_INDEXES: dict[tuple[Path, Path | None], tuple[list[Path], tuple, tuple]] = {}


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
    # A harvested catalog that appears or goes is another tree.
    key = (root, harvested_path())
    cached = _INDEXES.get(key)
    if cached and cached[1] and _stamp(cached[0]) == cached[1]:
        return cached[2]
    items, files = [], {root}
    for name, file, doc, entry_name in walk(root):
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
    _INDEXES[key] = (ordered, _stamp(ordered), index)
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
