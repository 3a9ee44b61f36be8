"""The heritage catalog tree for the JupyterLab catalog browser: themes, entries, search,
an entry's metadata with the code that loads it, and a small preview of its data.

No web framework here: the handlers (handlers.py) turn these dicts into JSON and
``CatalogError``s into 4xx/5xx replies.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from typing import Any

from echoes import catalogs
from echoes.annotations import entry_item
from echoes_data import canvases, validate
from echoes_data.validate import CatalogError

#: Rows of a table preview, and how long a preview's cell text may be.
PREVIEW_ROWS = 5
CELL_CHARS = 80
#: Kinds of data an entry holds, from its Intake ``output_instance``.
KINDS = {
    "pandas:DataFrame": "table",
    "numpy:ndarray": "image",
    "xarray:Dataset": "array",
    "builtins:dict": "document",
}
SHOWN_METADATA = ("title", "description", "licence", "licence_note", "citation", "keywords")
#: Pillow's image modes in words.
MODES = {"1": "black and white", "L": "greyscale", "RGB": "colour", "RGBA": "colour, transparent"}


def _root(data_dir: str | None) -> Path:
    try:
        return catalogs.root_path(data_dir)
    except FileNotFoundError as error:
        raise CatalogError(str(error)) from None


def _walk(root: Path) -> list[tuple[str, Path, dict, str]]:
    try:
        return list(catalogs.walk(root))
    except (CatalogError, OSError) as error:
        raise CatalogError(f"the shared catalog cannot be read: {error}") from None


def _kind(entry: dict) -> str:
    return KINDS.get(entry.get("output_instance", ""), "other")


def _summary(name: str, entry: dict) -> dict[str, Any]:
    meta = entry.get("metadata") or {}
    theme, _, short = name.rpartition(".")
    return {
        "path": name,
        "theme": theme,
        "name": short,
        "title": meta.get("title", short),
        "kind": _kind(entry),
    }


def tree(data_dir: str | None = None) -> dict[str, Any]:
    """The root catalog's themes (and the harvested collections', ``harvested``), each
    with the summaries of its entries."""
    root = _root(data_dir)
    doc, problems = catalogs.load_yaml_cached(root)
    if doc is None:
        raise CatalogError(problems)
    shown = {name: entry.get("metadata") or {} for name, entry in doc["entries"].items()}
    for prefix, file in catalogs.themes(root)[1:]:
        harvested, _ = catalogs.load_yaml_cached(file)
        shown[prefix.rstrip(".")] = (harvested or {}).get("metadata") or {}
    themes: dict[str, dict] = {}
    for name, meta in shown.items():
        themes[name] = {
            "name": name,
            "title": meta.get("title", name),
            "description": meta.get("description", ""),
            "entries": [],
        }
    for name, _file, parsed, entry_name in _walk(root):
        theme = name.rpartition(".")[0].split(".")[0]
        if theme in themes:
            themes[theme]["entries"].append(_summary(name, parsed["entries"][entry_name]))
    meta = doc.get("metadata") or {}
    return {"title": meta.get("title", "Catalog"), "themes": list(themes.values())}


def search(text: str, data_dir: str | None = None) -> dict[str, Any]:
    """Entries whose name or metadata contain every word of ``text`` (as ``echoes.search``)."""
    if not text.strip():
        raise CatalogError("give words to search for (?q=...)", status=400)
    if len(text) > 200:
        raise CatalogError("search text longer than 200 characters", status=400)
    root = _root(data_dir)
    found = catalogs.search(text, root)
    results = [_summary(name, found.entries[name].to_dict()) for name in sorted(found.entries)]
    return {"query": text, "results": results}


def _find(path: str, data_dir: str | None) -> tuple[Path, dict, str, str]:
    """The catalog file, its YAML, the entry's name and its dotted path, for "theme.entry"."""
    if not re.fullmatch(r"[\w-]+(\.[\w-]+)+", path or ""):
        raise CatalogError(f"not an entry path (theme.entry): {path!r}", status=400)
    for name, file, doc, entry_name in _walk(_root(data_dir)):
        if name == path:
            return file, doc, entry_name, name
    raise CatalogError(f"no catalog entry {path!r}", status=404)


def _variable(name: str) -> str:
    name = re.sub(r"\W", "_", name)
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = f"data_{name}"
    return name


def loading_code(path: str, title: str = "", licence: str = "") -> str:
    """The cell that loads an entry with ``echoes.catalog()``, as a person would write it."""
    entry = path.rpartition(".")[2]
    lines = []
    if title:
        lines.append(f"# {title}" + (f" (licence: {licence})" if licence else ""))
    lines += [
        "import echoes",
        "",
        f"{_variable(entry)} = {catalogs.opening_code(path)}",
        _variable(entry),
    ]
    return "\n".join(lines)


def _canvases(name: str, data_dir: str | None) -> list[dict[str, Any]]:
    """What "Annotate" shows of an entry: an image's own IIIF canvas, or each canvas of a
    manifest; with the image entry it shows and that entry's title."""
    root = _root(data_dir)
    try:
        shown = canvases.manifests(root, load=catalogs.load_yaml_cached)
    except (OSError, ValueError) as error:  # CatalogError is a ValueError, as bad JSON is
        raise CatalogError(f"the IIIF manifests cannot be read: {error}") from None
    pairs = shown.get(name) or [
        (image, canvas) for found in shown.values() for image, canvas in found if image == name
    ]
    result = []
    for image, canvas in pairs:
        _file, doc, entry_name, _ = _find(image, data_dir)
        title = (doc["entries"][entry_name].get("metadata") or {}).get("title", image)
        result.append({"entry": image, "title": title, "canvas": canvas})
    return result


def entry(path: str, data_dir: str | None = None) -> dict[str, Any]:
    """An entry's metadata, kind, loading code and annotation targets: the catalog item,
    and the IIIF canvases of an image or a manifest (``canvases``; an image's ``canvas``);
    an image's identifier in the hub's IIIF Image API (``iiif_image``)."""
    _file, doc, entry_name, name = _find(path, data_dir)
    spec = doc["entries"][entry_name]
    meta = spec.get("metadata") or {}
    result = {**_summary(name, spec), **{k: meta[k] for k in SHOWN_METADATA if k in meta}}
    result["provenance"] = meta.get("provenance") or {}
    result["fields"] = meta.get("columns") or meta.get("variables") or {}
    result["code"] = loading_code(name, meta.get("title", ""), meta.get("licence", ""))
    result["target"] = entry_item(name)
    result["canvases"] = _canvases(name, data_dir)
    if meta.get("iiif_image"):
        result["iiif_image"] = meta["iiif_image"]
    if result["kind"] == "image" and result["canvases"]:
        result["canvas"] = result["canvases"][0]["canvas"]
    return result


def image_file(path: str, data_dir: str | None = None) -> Path:
    """The image file of an image entry (for thumbnails and the annotation view)."""
    file, doc, entry_name, _name = _find(path, data_dir)
    if _kind(doc["entries"][entry_name]) != "image":
        raise CatalogError(f"catalog entry {path!r} is not an image", status=400)
    local = validate.entry_path(file, doc, entry_name)
    if not local.is_file():
        raise CatalogError(f"the image of {path!r} is missing from the shared data")
    return local


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value if not isinstance(value, str) else value[:CELL_CHARS]
    if isinstance(value, float):
        return None if value != value else value  # NaN is not JSON
    return str(value)[:CELL_CHARS]


def preview(path: str, data_dir: str | None = None) -> dict[str, Any]:
    """A small look at an entry's data: first rows, image size, or array variables."""
    _file, _doc, _entry_name, name = _find(path, data_dir)
    info = entry(name, data_dir)
    kind = info["kind"]
    if kind == "image":
        from PIL import Image

        with Image.open(image_file(name, data_dir)) as image:
            width, height = image.size
            mode = MODES.get(image.mode, image.mode)
        return {"kind": kind, "width": width, "height": height, "mode": mode}
    data = _read(name, data_dir)
    if kind == "table":
        head = data.head(PREVIEW_ROWS)
        return {
            "kind": kind,
            "shape": list(data.shape),
            "columns": [str(c) for c in head.columns],
            "rows": [[_cell(v) for v in row] for row in head.itertuples(index=False)],
        }
    if kind == "array":
        return {
            "kind": kind,
            "dims": {str(k): int(v) for k, v in data.sizes.items()},
            "variables": [
                {
                    "name": str(var),
                    "dims": [str(d) for d in data[var].dims],
                    "dtype": str(data[var].dtype),
                    "units": str(data[var].attrs.get("units", "")),
                    "long_name": str(data[var].attrs.get("long_name", "")),
                }
                for var in [*data.coords, *data.data_vars]
            ],
        }
    if isinstance(data, dict):
        return {"kind": kind, "keys": sorted(str(k) for k in data)[:50]}
    return {"kind": kind, "type": type(data).__name__}


def _read(path: str, data_dir: str | None) -> Any:
    """Read an entry with Intake, through the same root catalog a notebook uses."""
    node: Any = catalogs.catalog(_root(data_dir), check=False)
    *themes, last = path.split(".")
    try:
        for theme in themes:
            node = node[theme].read()
        return node[last].read()
    except Exception as error:  # any reader failure becomes a message naming the entry
        raise CatalogError(f"cannot read {path!r}: {type(error).__name__}: {error}") from None
