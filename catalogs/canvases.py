"""The IIIF canvas of each image entry: the image's one identity, read from its built manifest.

A manifest entry (``recipe: iiif_manifest``) lists image entries of its catalog in
``metadata.images``; the data build writes one Canvas per listed image, in that order.
Region annotations of an image target that canvas (its ``id``, ``partOf`` the manifest),
so every view, widget, annotator and export names the image as any IIIF viewer does.

`INDEX` in the data folder records the same canvases by entry name, for the hub's
annotation service, which reads no catalogs (it moves annotations made on the old
``urn:echoes:canvas:`` IRIs to these canvases).
"""

from __future__ import annotations

import json
from pathlib import Path

from . import validate

#: The file, at the top of a built data folder, that lists every image entry's canvas.
INDEX = "canvases.json"


def manifests(
    catalog_file: Path, load: validate.Loader = validate.load_yaml
) -> dict[str, list[tuple[str, dict]]]:
    """Every manifest entry (``theme.entry``) and its (image entry, canvas) pairs, in order."""
    found: dict[str, list[tuple[str, dict]]] = {}
    for name, file, doc, entry_name in validate.walk(catalog_file, load=load):
        meta = doc["entries"][entry_name].get("metadata") or {}
        if meta.get("recipe") != "iiif_manifest":
            continue
        path = validate.entry_path(file, doc, entry_name)
        manifest = json.loads(path.read_text(encoding="utf-8"))
        images, items = meta.get("images") or [], manifest.get("items") or []
        if len(images) != len(items):
            raise validate.CatalogError(
                f"{path}: {len(items)} canvases for the {len(images)} images of {name!r}"
            )
        prefix = name.rpartition(".")[0]
        part_of = [{"id": manifest["id"], "type": "Manifest"}]
        found[name] = [
            (f"{prefix}.{image}", {"id": item["id"], "type": "Canvas", "partOf": part_of})
            for image, item in zip(images, items, strict=True)
        ]
    return found


def canvases(catalog_file: Path, load: validate.Loader = validate.load_yaml) -> dict[str, dict]:
    """The canvas of every image entry that a manifest shows, by entry name."""
    shown = manifests(catalog_file, load).values()
    return {image: canvas for pairs in shown for image, canvas in pairs}


def write_index(data_dir: Path) -> Path:
    """Write `INDEX` for the data folder ``data_dir`` (its catalogs and manifests built)."""
    index = data_dir / INDEX
    found = canvases(data_dir / "catalog.yaml")
    index.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return index
