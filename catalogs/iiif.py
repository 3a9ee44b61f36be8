"""A small IIIF Presentation 3 manifest for a set of images: one Canvas per image."""

from __future__ import annotations

from typing import Any

CONTEXT = "http://iiif.io/api/presentation/3/context.json"


def manifest(
    base_url: str,
    label: str,
    images: list[dict[str, Any]],
    *,
    summary: str = "",
    rights: str = "",
    attribution: str = "",
) -> dict[str, Any]:
    """Manifest for ``images`` (dicts with file, label, width, height, format) at ``base_url``.

    ``base_url`` is where the image set's folder is published; every id is built from it, so
    canvas ids stay stable for annotations that target them.
    """
    base = base_url.rstrip("/")
    canvases = []
    for number, image in enumerate(images, start=1):
        canvas_id = f"{base}/canvas/{number}"
        canvases.append(
            {
                "id": canvas_id,
                "type": "Canvas",
                "label": {"none": [image["label"]]},
                "width": image["width"],
                "height": image["height"],
                "items": [
                    {
                        "id": f"{canvas_id}/page",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": f"{canvas_id}/page/image",
                                "type": "Annotation",
                                "motivation": "painting",
                                "target": canvas_id,
                                "body": {
                                    "id": f"{base}/{image['file']}",
                                    "type": "Image",
                                    "format": image["format"],
                                    "width": image["width"],
                                    "height": image["height"],
                                },
                            }
                        ],
                    }
                ],
            }
        )
    result: dict[str, Any] = {
        "@context": CONTEXT,
        "id": f"{base}/manifest.json",
        "type": "Manifest",
        "label": {"en": [label]},
        "items": canvases,
    }
    if summary:
        result["summary"] = {"en": [summary]}
    if rights:
        result["rights"] = rights
    if attribution:
        result["requiredStatement"] = {
            "label": {"en": ["Attribution"]},
            "value": {"en": [attribution]},
        }
    return result
