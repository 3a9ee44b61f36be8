"""Reading the data build's Linked Art records: what the page, the related index and the
plots all need to read the same way."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

#: What a IIIF Image API service conforms to in Linked Art (no version: its info.json says
#: which); a harvested record's images have one (harvest/records.py).
IIIF_IMAGE_API = "http://iiif.io/api/image"
#: How an access point names a region of a IIIF canvas (a media fragment).
CANVAS_REGION = "#xywh="


def label(node: dict[str, Any]) -> str:
    """What to call a node: its label, its content (a name, a statement), else its id."""
    return str(node.get("_label") or node.get("content") or node.get("id") or node.get("type"))


def image_service(iiif_url: str, image: str) -> str:
    """The IIIF Image API 3 base of the data folder's image ``image`` (its path, e.g.
    ``images/coins/coins.png``) in the IIIF service at ``iiif_url``."""
    return f"{iiif_url}image/3/{quote(image, safe='')}"
