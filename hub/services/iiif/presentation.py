"""The IIIF Presentation 3 manifests of the shared data, as the service serves them.

The data build writes each manifest (catalogs/iiif.py) with ids under the data folder's
base URL (``https://heritage.echoes.invalid/...``); those ids, canvas ids above all, are
what annotations target, so they are served unchanged. What is added is what only a
running hub knows: each image body's ``service`` (this service's Image API for the file)
and each canvas's ``annotations``, an AnnotationPage of the public annotations on it,
read live from the annotation service.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .images import Images, NotFound, identifier_segment

#: The data build's record (catalogs/recipe.py), with the base URL of the manifests' ids.
BUILD_STAMP = "BUILD.json"


def annotations_page(annotations_url: str, canvas_id: str) -> str:
    """The annotation service's first page of the public annotations on ``canvas_id``: the
    same IRI as the page's own ``id`` (its search names its parameters in this order)."""
    query = urlencode({"target": canvas_id, "visibility": "public", "page": 0})
    return f"{annotations_url}search?{query}"


def manifest_path(root: Path, folder: str, name: str) -> Path:
    """The built manifest ``<folder>/<name>/manifest.json`` of the data folder, or NotFound."""
    path = (root / folder / name / "manifest.json").resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(f"no manifest {folder}/{name} in the shared data", "manifest")
    return path


def served_manifest(
    images: Images, folder: str, name: str, image_base: str, annotations_url: str
) -> dict[str, Any]:
    """The manifest ``folder/name`` with its image services and annotation pages.

    ``image_base``: this service's Image API base (a slash at the end);
    ``annotations_url``: the annotation service's public URL."""
    path = manifest_path(images.root, folder, name)
    manifest = json.loads(path.read_text(encoding="utf-8"))
    # The base URL the build gave the ids (read each time: the data may be rebuilt) maps
    # a body's id to its file.
    build = json.loads((images.root / BUILD_STAMP).read_text(encoding="utf-8"))
    prefix = build["base_url"].rstrip("/") + "/"
    for canvas in manifest.get("items", []):
        canvas["annotations"] = [
            {"id": annotations_page(annotations_url, canvas["id"]), "type": "AnnotationPage"}
        ]
        for page in canvas.get("items", []):
            for annotation in page.get("items", []):
                body = annotation.get("body", {})
                if body.get("type") != "Image" or not body.get("id", "").startswith(prefix):
                    continue
                identifier = body["id"][len(prefix) :]
                images.path(identifier)  # a manifest of a missing file is a broken build
                body["service"] = [
                    {
                        "id": image_base + identifier_segment(identifier),
                        "type": "ImageService3",
                        "profile": "level2",
                    }
                ]
    return manifest


def manifests(root: Path) -> list[str]:
    """Every manifest of the data folder, as ``folder/name``."""
    return sorted(p.parent.relative_to(root).as_posix() for p in root.glob("*/*/manifest.json"))
