"""Propose one region annotation per coin on the `coins` photograph of scikit-image.

The image (Greek coins from Pompeii, Brooklyn Museum; shipped in the scikit-image
wheel as `skimage.data.coins()`) is segmented by the region-based watershed of the
scikit-image gallery: a Sobel elevation map, markers for background (dark) and coins
(bright), watershed, holes filled, small specks dropped. Each coin becomes an
`identifying` annotation on its bounding box, with its area in pixels and a
confidence from its roundness (4 pi area / perimeter^2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..annotations import entry_canvas

NAME = "echoes-coins-annotator"
VERSION = "1.0"
#: The photograph's catalog entry; its IIIF canvas (`canvas`) is what the proposals target.
COINS_ENTRY = "images.coins"
SOURCE = (
    "scikit-image data.coins(): Greek coins from Pompeii, Brooklyn Museum collection "
    "(public domain), via scikit-image's bundled sample data"
)
MIN_AREA = 200


@dataclass
class Coin:
    """One segmented coin: bounding box in pixels, area and confidence."""

    x: int
    y: int
    w: int
    h: int
    area: int
    confidence: float


def coins_image() -> np.ndarray:
    from skimage import data

    return data.coins()


def segment(image: np.ndarray | None = None) -> list[Coin]:
    """The coins of a grey image of bright coins on a dark ground, in reading order."""
    from scipy import ndimage as ndi
    from skimage import filters, measure, segmentation

    image = coins_image() if image is None else image
    elevation = filters.sobel(image)
    markers = np.zeros_like(image, dtype=np.uint8)
    markers[image < 30] = 1
    markers[image > 150] = 2
    regions = segmentation.watershed(elevation, markers)
    mask = ndi.binary_fill_holes(regions == 2)
    found = []
    for region in measure.regionprops(measure.label(mask)):
        if region.area < MIN_AREA:
            continue  # specks of glare, not coins
        top, left, bottom, right = region.bbox
        roundness = 4 * math.pi * region.area / max(region.perimeter, 1.0) ** 2
        found.append(
            Coin(
                x=int(left),
                y=int(top),
                w=int(right - left),
                h=int(bottom - top),
                area=int(region.area),
                confidence=round(float(min(1.0, roundness)), 3),
            )
        )
    # Reading order: rows of coins (a quarter of the image high), then left to right.
    row_height = image.shape[0] / 4
    return sorted(found, key=lambda c: (int((c.y + c.h / 2) // row_height), c.x))


def canvas(data_dir: str | None = None) -> dict:
    """The photograph's IIIF canvas, as its manifest in the shared data folder (``data_dir``,
    else as ``echoes.catalog()`` finds it) says: the proposals target it."""
    return entry_canvas(COINS_ENTRY, data_dir)


def proposals(coins: list[Coin], data_dir: str | None = None) -> list[dict]:
    """One annotation document per coin, created by this annotator."""
    from ..annotations import AnnotationClient, region

    creator = {"type": "Software", "name": NAME, "version": VERSION}
    on = canvas(data_dir)
    documents = []
    for number, coin in enumerate(coins, start=1):
        document = AnnotationClient.document(
            region(on, coin.x, coin.y, coin.w, coin.h),
            [
                {"type": "TextualBody", "value": f"coin {number}", "purpose": "identifying"},
                {
                    "type": "TextualBody",
                    "value": f"area {coin.area} px",
                    "purpose": "describing",
                },
                {"type": "TextualBody", "value": "coin", "purpose": "tagging"},
            ],
            "identifying",
            creator=creator,
            confidence=coin.confidence,
        )
        documents.append(document)
    return documents


def annotate(
    client=None,
    container: str | None = None,
    visibility: str = "private",
    data_dir: str | None = None,
) -> list[str]:
    """Segment the photograph and store one proposal per coin; return their IRIs."""
    from ..annotations import client as default_client

    client = client or default_client()
    documents = proposals(segment(), data_dir)
    for document in documents:
        document["visibility"] = visibility
    return client.annotate_many(documents, container)
