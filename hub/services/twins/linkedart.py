"""Reading the data build's Linked Art records: what the page, the related index and the
plots all need to read the same way."""

from __future__ import annotations

from typing import Any

#: How an access point names a region of a IIIF canvas (a media fragment).
CANVAS_REGION = "#xywh="


def label(node: dict[str, Any]) -> str:
    """What to call a node: its label, its content (a name, a statement), else its id."""
    return str(node.get("_label") or node.get("content") or node.get("id") or node.get("type"))
