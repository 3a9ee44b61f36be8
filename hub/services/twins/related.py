"""Which objects an object's page links to as related, and the images its regions are of.

Both are worked out once per load of the data build (`Related.of`), from the records the
store read and the IIIF manifests beside the collections' images, so a page costs a few
dictionary look-ups however large the collection (the Tate's 4,284 records index in
milliseconds). No web framework here.

Objects are related when their records name the same node by the same relation, read
from the Linked Art as built (catalogs/twins.py), whatever the collection:

- ``by``: the same agent carried out their production (a Tate artwork's artist);
- ``made_at``: their production took place at the same place (a pottery sample's kiln);
- ``member_of``: the same group (a painter's school, as de Piles classed them);
- ``part_of``: the same place (a rock art site's island and district);
- ``image``: regions of the same IIIF canvas (the coins of one photograph);
- ``epoch``: the same epoch, which the skulls' records state only in their description
  ("Epoch c4000BC (about 4000 BC) as given by the source.", no node of its own).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..base.languages import _
from .linkedart import CANVAS_REGION, label

#: What each relation says of the group's node, as a heading ("Also made at kiln 1").
HEADINGS = {
    "by": "Also by",
    "made_at": "Also made at",
    "member_of": "Also a member of",
    "part_of": "Also in",
    "image": "Also in the image",
    "epoch": "Also of the epoch",
}
EPOCH = re.compile(r"^Epoch (\S+) ")


@dataclass(frozen=True)
class Group:
    """Objects of one collection whose records name ``key`` by ``relation``."""

    collection: str
    relation: str
    key: str
    label: str
    members: tuple[str, ...]

    @property
    def heading(self) -> str:
        """ "Also made at kiln 1", in the language spoken (base/languages.py)."""
        return f"{_(HEADINGS[self.relation])} {self.label}"


@dataclass(frozen=True)
class Canvas:
    """A IIIF canvas that objects are regions of, as its manifest in the data folder says."""

    id: str
    label: str
    width: int
    height: int
    #: The manifest's path in the data folder (the IIIF service's ``presentation/`` path).
    manifest: str


def nodes(relation: str, record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The (key, label) of each node ``record`` names by ``relation``."""
    produced = record.get("produced_by", {})
    if relation == "by":
        found = produced.get("carried_out_by", [])
    elif relation == "made_at":
        found = produced.get("took_place_at", [])
    elif relation in ("member_of", "part_of"):
        found = record.get(relation, [])
    elif relation == "image":
        for visual in record.get("representation", []):
            for digital in visual.get("digitally_shown_by", []):
                for point in digital.get("access_point", []):
                    canvas = point["id"].partition(CANVAS_REGION)[0]
                    yield canvas, canvas
        return
    else:  # epoch
        for statement in record.get("referred_to_by", []):
            matched = EPOCH.match(statement.get("content", ""))
            if matched:
                yield f"epoch/{matched.group(1)}", matched.group(1)
        return
    for node in found:
        if "id" in node:
            yield node["id"], label(node)


def natural(local_id: str) -> list[Any]:
    """Sort key: GA2 before GA10, 9 before 10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", local_id)]


def read_canvases(data_dir: Path, index: dict[str, Any]) -> dict[str, Canvas]:
    """The canvases of the manifests beside the collections' images (the data build
    writes an image's manifest in its folder); none for a manifest that is missing."""
    found: dict[str, Canvas] = {}
    for entry in index.values():
        image = entry.get("iiif_image")
        if not image:
            continue
        manifest = str(Path(image).parent / "manifest.json")
        try:
            document = json.loads((data_dir / manifest).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for canvas in document.get("items", []):
            names = [text for texts in canvas.get("label", {}).values() for text in texts]
            found[canvas["id"]] = Canvas(
                canvas["id"],
                names[0] if names else canvas["id"],
                int(canvas["width"]),
                int(canvas["height"]),
                manifest,
            )
    return found


class Related:
    """The groups of related objects of one load, and the canvases of its images."""

    def __init__(
        self, records: dict[str, dict[str, Any]], canvases: dict[str, Canvas] | None = None
    ) -> None:
        self.records = records
        self.canvases = canvases or {}
        members: dict[tuple[str, str, str], list[str]] = {}
        labels: dict[tuple[str, str, str], str] = {}
        for collection, by_id in records.items():
            for local_id, record in by_id.items():
                for relation in HEADINGS:
                    for key, name in nodes(relation, record):
                        group = (collection, relation, key)
                        members.setdefault(group, []).append(local_id)
                        labels.setdefault(group, name)
        self.groups: dict[tuple[str, str, str], Group] = {}
        self.of_object: dict[tuple[str, str], list[Group]] = {}
        for (collection, relation, key), ids in members.items():
            name = labels[(collection, relation, key)]
            if relation == "image" and key in self.canvases:
                name = self.canvases[key].label
            group = Group(collection, relation, key, name, tuple(sorted(ids, key=natural)))
            self.groups[(collection, relation, key)] = group
            for local_id in ids:
                self.of_object.setdefault((collection, local_id), []).append(group)

    def groups_of(self, collection: str, local_id: str) -> list[Group]:
        """The groups the object is in with at least one other object, in `HEADINGS`' order."""
        order = list(HEADINGS)
        found = [g for g in self.of_object.get((collection, local_id), []) if len(g.members) > 1]
        return sorted(found, key=lambda g: (order.index(g.relation), g.label))

    def group(self, collection: str, local_id: str, relation: str) -> Group | None:
        """The object's first group by ``relation`` (None: it has none)."""
        return next(
            (g for g in self.of_object.get((collection, local_id), []) if g.relation == relation),
            None,
        )


class Pages:
    """The `Related` of the load last asked for, made again when a load replaced it."""

    def __init__(self) -> None:
        self._records: dict[str, dict[str, Any]] | None = None
        self._related = Related({})

    def related(
        self, records: dict[str, dict[str, Any]], index: dict[str, Any], data_dir: Path
    ) -> Related:
        # A load replaces the records dictionary whole: the same one is the same load.
        if records is not self._records:
            self._related = Related(records, read_canvases(data_dir, index))
            self._records = records
        return self._related
