"""The IIIF Image API 3.0 over the image files of the shared data folder.

Requests are parsed and checked by the IIIF reference implementation (the `iiif`
package: `IIIFRequest`, and the region, size and rotation arithmetic of its manipulator);
the pixels are Pillow's. An image is decoded once and kept with its pyramid (each level
half the one before, made on demand), so a tile of a large image is a crop and a resize
of the nearest level, never a new decode of the whole file: what deep zoom needs.

The identifier of an image is its path in the data folder (``images/coins/coins.png``,
``%2F``-escaped in URLs as the Image API asks).
"""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from iiif.error import IIIFError
from iiif.manipulator_pil import IIIFManipulatorPIL
from iiif.request import IIIFRequest
from PIL import Image

from ..base.errors import ServiceError

CONTEXT = "http://iiif.io/api/image/3/context.json"
SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
#: The identifiers of contributed photographs begin so (`Images.contributed`).
CONTRIBUTED = "contributed/"
FORMATS = {"jpg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png")}
#: The shared data are open data, and large (about 58 megapixels for the relief map):
#: Pillow's decompression-bomb guard is for untrusted uploads; the limit that matters
#: here is `IIIFService.max_area`, on what a request asks to be made.
Image.MAX_IMAGE_PIXELS = None


class NotFound(ServiceError):
    status = 404


class BadRequest(ServiceError):
    status = 400


class Unsupported(ServiceError):
    """A feature the service does not offer (the Image API's 501)."""

    status = 501


class UnsupportedFormat(ServiceError):
    """A format the service does not make (415, as the reference implementation answers)."""

    status = 415


@dataclass
class Pyramid:
    """A decoded image and its reductions by 2, 4, 8, ... (made when first needed)."""

    levels: dict[int, Image.Image]
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def full(self) -> Image.Image:
        return self.levels[1]

    def level(self, factor: int) -> Image.Image:
        with self.lock:
            done = max(f for f in self.levels if f <= factor)
            while done < factor:
                self.levels[done * 2] = self.levels[done].reduce(2)
                done *= 2
            return self.levels[factor]


class Manipulator(IIIFManipulatorPIL):
    """The reference implementation's manipulator over a kept `Pyramid`, writing to memory."""

    def __init__(self, pyramid: Pyramid, max_area: int) -> None:
        super().__init__(api_version="3.0")
        self.pyramid = pyramid
        self.max_area = max_area
        self.region: tuple[int, int, int, int] = (0, 0, *pyramid.full.size)
        self.body = b""

    def do_first(self) -> None:
        self.image = self.pyramid.full
        self.width, self.height = self.image.size

    def do_region(self, x: int | None, y: int | None, w: int | None, h: int | None) -> None:
        if x is not None and (w <= 0 or h <= 0):
            raise BadRequest("the region is outside the image", "region")
        if x is not None:  # applied with the size, from the nearest pyramid level
            # `square` centres with a half pixel offset (x.5): whole pixels, w by h kept.
            self.region = (int(x), int(y), w, h)
            self.width, self.height = w, h

    def do_size(self, w: int | None, h: int | None) -> None:
        x, y, rw, rh = self.region
        w, h = (w, h) if w is not None else (rw, rh)
        if w * h > self.max_area:
            raise BadRequest(
                f"the size asked for, {w}x{h}, is more than maxArea ({self.max_area} pixels)",
                "size",
            )
        # The smallest level that still has at least the pixels asked for.
        factor = 2 ** max(0, math.floor(math.log2(max(1.0, min(rw / w, rh / h)))))
        source = self.pyramid.level(factor)
        box = (x / factor, y / factor, (x + rw) / factor, (y + rh) / factor)
        if (w, h) == (rw, rh) and factor == 1:
            self.image = source.crop((x, y, x + rw, y + rh))
        else:
            self.image = source.resize((w, h), Image.Resampling.LANCZOS, box=box)
        self.width, self.height = w, h

    def do_format(self, format: str | None) -> None:
        name, self.mime_type = FORMATS[format or "jpg"]
        image = self.image
        if name == "JPEG" and image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, format=name, quality=85)
        self.body = out.getvalue()

    def cleanup(self) -> None:
        # The kept pyramid stays open; results are garbage-collected.
        self.image = None


class Images:
    """The image files under ``root``, decoded on first use, the last ``keep`` kept."""

    def __init__(
        self,
        root: str | Path,
        *,
        tile_size: int,
        max_area: int,
        keep: int,
        contributed: str | Path | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        #: The photographs of contributed collections (the twins' harvest folder's
        #: ``images/``), served as ``contributed/<collection>/<file>``.
        self.contributed = Path(contributed).resolve() if contributed else None
        self.tile_size = tile_size
        self.max_area = max_area
        self.keep = keep
        self._kept: OrderedDict[Path, tuple[float, Pyramid]] = OrderedDict()
        self._lock = threading.Lock()

    def identifiers(self) -> list[str]:
        """Every image of the data folder, as its identifier."""
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.suffix.lower() in SUFFIXES and p.is_file()
        )

    def path(self, identifier: str) -> Path:
        """The file of ``identifier``: an image file inside the data folder (or, for
        ``contributed/...``, the contributed photographs' folder), or NotFound."""
        root, name = self.root, identifier
        if self.contributed is not None and identifier.startswith(CONTRIBUTED):
            root, name = self.contributed, identifier.removeprefix(CONTRIBUTED)
        path = (root / name).resolve()
        if (
            not name
            or not path.is_relative_to(root)
            or path.suffix.lower() not in SUFFIXES
            or not path.is_file()
        ):
            raise NotFound(f"no image {identifier!r} in the shared data", "identifier")
        return path

    def size(self, identifier: str) -> tuple[int, int]:
        with Image.open(self.path(identifier)) as image:
            return image.size

    def pyramid(self, identifier: str) -> Pyramid:
        path = self.path(identifier)
        mtime = path.stat().st_mtime
        with self._lock:
            kept = self._kept.get(path)
            if kept and kept[0] == mtime:
                self._kept.move_to_end(path)
                return kept[1]
        with Image.open(path) as image:
            image.load()
            decoded = image if image.mode in ("1", "L", "RGB", "RGBA") else image.convert("RGB")
            pyramid = Pyramid({1: decoded})
        with self._lock:
            self._kept[path] = (mtime, pyramid)
            while len(self._kept) > self.keep:
                self._kept.popitem(last=False)
        return pyramid

    def info(self, identifier: str, base: str) -> dict[str, Any]:
        """The image's info.json (``base``: the service's image base, ending in a slash)."""
        width, height = self.size(identifier)
        factors = [2**n for n in range(max(1, math.ceil(math.log2(max(width, height) / 256)) + 1))]
        sizes = [
            {"width": math.ceil(width / f), "height": math.ceil(height / f)}
            for f in reversed(factors)
            if math.ceil(width / f) * math.ceil(height / f) <= self.max_area
        ]
        return {
            "@context": CONTEXT,
            "id": base + identifier_segment(identifier),
            "type": "ImageService3",
            "protocol": "http://iiif.io/api/image",
            "profile": "level2",
            "width": width,
            "height": height,
            "maxArea": self.max_area,
            "sizes": sizes,
            "tiles": [{"width": self.tile_size, "height": self.tile_size, "scaleFactors": factors}],
            "extraQualities": ["color", "gray", "bitonal"],
            "extraFeatures": ["sizeUpscaling"],
        }

    def render(
        self, identifier: str, region: str, size: str, rotation: str, quality_format: str
    ) -> tuple[bytes, str]:
        """The image ``region/size/rotation/quality.format`` of ``identifier``: bytes and media
        type. Bad parameters raise `BadRequest` naming the parameter."""
        quality, dot, fmt = quality_format.rpartition(".")
        if not dot:
            raise BadRequest(f"{quality_format!r} is not quality.format", "quality")
        pyramid = self.pyramid(identifier)
        request = IIIFRequest(
            api_version="3.0",
            identifier=identifier,
            region=region,
            size=size,
            rotation=rotation,
            quality=quality,
            format=fmt,
        )
        manipulator = Manipulator(pyramid, self.max_area)
        try:
            request.parse_parameters()
            if request.rotation_mirror:  # level 2 does not ask for mirroring
                raise Unsupported("mirroring (!) is not offered", "rotation")
            if fmt not in FORMATS:
                raise UnsupportedFormat(f"format {fmt!r} is not offered (jpg, png)", "format")
            manipulator.derive(request=request)
        except IIIFError as error:
            parameter = error.parameter if error.parameter != "unknown" else "region"
            raise BadRequest(error.text or f"bad {parameter}", parameter) from None
        finally:
            manipulator.cleanup()
        return manipulator.body, manipulator.mime_type


def identifier_segment(identifier: str) -> str:
    """The identifier as one URL path segment (``/`` as ``%2F``)."""
    return quote(identifier, safe="")
