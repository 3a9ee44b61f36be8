"""The picture an Annotator shows and the IIIF canvas its annotations target.

An image comes as a numpy array, a PIL image, a file path, the name of a catalog entry
(``"images.coins"``, as ``echoes.search`` names it) or that entry's Intake reader. The
widget gets PNG bytes and the image's size in pixels; annotations target the entry's IIIF
canvas as its manifest names it (`echoes.annotations.entry_canvas`), as the JupyterLab
annotation view does, so both show the same annotations (and the coins annotator's proposals).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
from PIL import Image

from echoes import catalogs
from echoes.annotations import entry_canvas
from echoes_data import validate

#: The longest side, in pixels, of the picture sent to the browser.
MAX_SIDE = 2048
#: The Intake output of image entries (as the catalog browser classifies entries).
IMAGE_OUTPUT = "numpy:ndarray"


@dataclass
class Picture:
    """An image ready to show: PNG bytes, size, title and the canvas to annotate."""

    png: bytes
    width: int
    height: int
    canvas: dict | None
    title: str = ""


def png_bytes(image: Any) -> tuple[bytes, int, int]:
    """PNG bytes and (width, height) of a PIL image or a numpy array: grey (H, W), RGB or
    RGBA (H, W, 3|4); booleans become black and white, floats in 0..1 are scaled to 0..255,
    other integers are scaled so their maximum is white.

    An image larger than MAX_SIDE is sent scaled down (the browser shows it scaled anyway);
    the size returned stays the image's own, so regions are in its own pixels."""
    if not isinstance(image, Image.Image):
        image = Image.fromarray(_as_uint8(np.asarray(image)))
    width, height = image.size
    if image.mode not in ("L", "RGB", "RGBA", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if max(width, height) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), width, height


def _as_uint8(array: np.ndarray) -> np.ndarray:
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(
            "an image array has shape (height, width) or (height, width, 3 or 4), "
            f"not {array.shape}"
        )
    if array.size == 0:
        raise ValueError("the image is empty")
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("the image has NaN or infinite values")
    low, high = values.min(), values.max()
    if np.issubdtype(array.dtype, np.floating) and low >= 0 and high <= 1:
        return np.round(values * 255).astype(np.uint8)
    if low >= 0 and high <= 255:
        return np.round(values).astype(np.uint8)
    span = (high - low) or 1.0
    return np.round((values - low) * 255 / span).astype(np.uint8)


def _entries(data_dir: str | os.PathLike | None) -> list[tuple[str, Path, dict]]:
    """(name, data file, entry) of every entry of the shared catalog."""
    found = []
    for name, file, doc, entry_name in validate.walk(catalogs.root_path(data_dir)):
        entry = doc["entries"][entry_name]
        url, _ = validate.data_url(doc, entry)
        if url and validate.relative_path(url):
            path = validate.entry_path(file, doc, entry_name)
            found.append((name, path.resolve(), entry))
    return found


def from_catalog(name: str, data_dir: str | os.PathLike | None = None) -> Picture:
    """The image of catalog entry ``name`` (e.g. ``"images.coins"``)."""
    for entry_name, path, entry in _entries(data_dir):
        if entry_name == name:
            return _entry_picture(name, path, entry, data_dir)
    raise LookupError(
        f"no file or catalog entry {name!r} (entries are named theme.entry, e.g. 'images.coins')"
    )


def _entry_picture(
    name: str, path: Path, entry: dict, data_dir: str | os.PathLike | None
) -> Picture:
    if entry.get("output_instance") != IMAGE_OUTPUT:
        raise LookupError(f"catalog entry {name!r} is not an image")
    meta = entry.get("metadata") or {}
    try:
        canvas = entry_canvas(name, data_dir)
    except LookupError:
        canvas = None  # an image no manifest shows: the Annotator asks for canvas=
    return _picture(path, canvas, meta.get("title", name))


def from_reader(reader: Any, data_dir: str | os.PathLike | None = None) -> Picture:
    """The image an Intake reader of the shared catalog reads, found by its file."""
    urls = [getattr(a, "url", None) for a in getattr(reader, "kwargs", {}).get("args", [])]
    urls = [u for u in urls if isinstance(u, str)]
    files = {Path(unquote(urlparse(u).path)).resolve() for u in urls}
    for name, path, entry in _entries(data_dir):
        if path in files:
            return _entry_picture(name, path, entry, data_dir)
    raise LookupError("this reader does not read an entry of the shared catalog")


def _picture(path: Path, canvas: dict | None, title: str) -> Picture:
    with Image.open(path) as image:
        png, width, height = png_bytes(image)
    return Picture(png, width, height, canvas, title)


def picture(image: Any, canvas: str | dict | None = None, title: str = "") -> Picture:
    """A Picture of anything an Annotator accepts; ``canvas`` overrides the catalog's."""
    from echoes.catalogs import Hit

    if isinstance(image, Hit):  # a hit of echoes.search
        image = image.reader
    if isinstance(image, str) and not Path(image).exists():
        found = from_catalog(image)
    elif isinstance(image, str | os.PathLike):
        found = _picture(Path(image), None, Path(image).name)
    elif hasattr(image, "read") and hasattr(image, "kwargs"):  # an Intake reader
        found = from_reader(image)
    else:
        png, width, height = png_bytes(image)
        found = Picture(png, width, height, None)
    if canvas is not None:
        found.canvas = {"id": canvas, "type": "Canvas"} if isinstance(canvas, str) else canvas
    if title:
        found.title = title
    return found
