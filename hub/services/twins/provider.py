"""What the twins service's OAI-PMH provider (`oai`) offers: every twin and every public
interpretation, with their sets and datestamps.

- A twin's identifier is its IRI (``urn:echoes:object:coins/7``), its datestamp the time
  its folder was written (the data build's, or the last harvest's that changed it: each
  writes every record of the folder anew), its sets ``twins`` and
  ``twins:<collection>``; it is offered as ``oai_dc`` and ``edm`` (`crosswalk`).
- A public interpretation's identifier is its annotation's IRI, its datestamp the
  annotation's last change, its set ``interpretations``; it is offered as ``oai_dc``.

Only what the twins service holds is offered, which is only what everyone may read: the
records of the shared data and the annotations the annotation service made public.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from . import crosswalk
from .commons import Commons
from .oai import Item, Repository, Set
from .store import Snapshot

TWINS_SET = "twins"
INTERPRETATIONS_SET = "interpretations"


def twin_items(
    snapshot: Snapshot, page_url: Callable[[str, str], str], iiif_url: str
) -> list[Item]:
    items = []
    for collection, records in snapshot.records.items():
        entry = snapshot.index[collection]
        built = datetime.fromisoformat(entry["built"]) if "built" in entry else snapshot.built
        for local_id, record in records.items():
            twin = crosswalk.Twin(record, entry, page_url(collection, local_id), iiif_url)

            def metadata(prefix: str, twin: crosswalk.Twin = twin) -> Any:
                return crosswalk.twin_edm(twin) if prefix == "edm" else crosswalk.twin_dc(twin)

            items.append(
                Item(
                    record["id"],
                    built,
                    (TWINS_SET, f"{TWINS_SET}:{collection}"),
                    tuple(crosswalk.FORMATS),
                    metadata,
                )
            )
    return items


def changed(doc: dict[str, Any], fallback: datetime) -> datetime:
    """When an annotation last changed (its modified, else created)."""
    for name in ("modified", "created"):
        try:
            return datetime.fromisoformat(str(doc[name]).replace("Z", "+00:00")).astimezone(UTC)
        except (KeyError, ValueError):
            continue
    return fallback


def interpretation_items(commons: Commons, fallback: datetime) -> list[Item]:
    """The public interpretations' items; each is described (its status, verdicts and
    replies) only when a record's metadata is written, not for every list."""

    def metadata(_: str, annotation: str) -> Any:
        return crosswalk.interpretation_dc(commons.describe(annotation), commons.about(annotation))

    return [
        Item(
            annotation,
            changed(commons.docs[annotation], fallback),
            (INTERPRETATIONS_SET,),
            crosswalk.INTERPRETATION_FORMATS,
            lambda prefix, a=annotation: metadata(prefix, a),
        )
        for annotation in commons.public_interpretations()
    ]


def sets(snapshot: Snapshot) -> list[Set]:
    found = [
        Set(TWINS_SET, "Every digital twin", {"description": ["The objects of the shared data"]}),
        Set(
            INTERPRETATIONS_SET,
            "The public interpretations of the twins",
            {"description": ["What people and software said about the objects, in public"]},
        ),
    ]
    for collection, entry in snapshot.index.items():
        found.append(
            Set(
                f"{TWINS_SET}:{collection}",
                entry["title"],
                {
                    "description": [f"{entry['objects']} objects, catalog entry {entry['entry']}"],
                    "source": [entry["citation"]],
                    "rights": [crosswalk.rights_uri(entry["licence"])],
                },
            )
        )
    return found


def by_key(item: Item) -> tuple[str, str]:
    return item.key


class Provider:
    """The repository each request is answered from; the twins' items are made once per
    load (a load replaces the snapshot whole), the interpretations' at each request."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._twins: list[Item] = []

    def repository(
        self,
        snapshot: Snapshot,
        commons: Commons,
        *,
        base_url: str,
        name: str,
        admin_email: str,
        page_size: int,
        page_url: Callable[[str, str], str],
        iiif_url: str,
    ) -> Repository:
        """What one request sees, in (datestamp, identifier) order."""
        if snapshot is not self._snapshot:
            self._twins = sorted(twin_items(snapshot, page_url, iiif_url), key=by_key)
            self._snapshot = snapshot
        interpretations = sorted(interpretation_items(commons, snapshot.built), key=by_key)
        items = list(heapq.merge(self._twins, interpretations, key=by_key))
        return Repository(
            name,
            base_url,
            admin_email,
            snapshot.fingerprint or "",
            items,
            sets(snapshot),
            page_size,
            {item.identifier: item for item in items},
        )
