"""At start-up: annotations made on the old canvas IRIs move to the images' IIIF canvases.

Before issue 14 every view targeted ``urn:echoes:canvas:<theme>/<entry>`` (e.g.
``urn:echoes:canvas:images/coins``), an IRI no IIIF viewer knows. An image's canvas is
now the one its manifest in the shared data folder names; the data build lists them by
entry name in ``canvases.json`` (catalogs/canvases.py), which the hub hands to this service
(`AnnotationsService.canvases_file`): the service reads no catalogs.

Each annotation that targets an old IRI (as a target, or as the source of a region) gets
the canvas in its place, with the selector kept, in one transaction for all of them. The
change is a new revision (action ``migrate``, by the service, ``modified`` now), so the
ETag changes and a client holding the old one is told to read again; the earlier
revisions stay as they were written, so the history still shows what was said on which
IRI. Deleted annotations are history only and are left alone. A second start finds
nothing left to move.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

from .model import target_iris
from .store import Store, now

#: The prefix of the canvas IRIs the views made before the IIIF canvases.
LEGACY = "urn:echoes:canvas:"
#: Who the revisions of a migration are by: the service itself, a name no hub account can
#: have (hub/auth.py USERNAME_PATTERN has no colon).
BY = "echoes:migration"


def legacy_iri(entry: str) -> str:
    """The IRI the views gave the image entry ``entry`` (``theme.entry``) before."""
    return LEGACY + entry.replace(".", "/")


def read_canvases(path: str | Path, log: logging.Logger) -> dict[str, dict]:
    """The canvas of each image entry, from the data folder's ``canvases.json``; none when
    the data folder is not built yet (nothing can move then)."""
    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.info("no %s: annotations on old canvas IRIs stay where they are", path)
        return {}
    if not isinstance(found, dict):
        raise ValueError(f"{path}: not a JSON object of canvases by entry name")
    return found


def move_to_canvases(store: Store, canvases: dict[str, dict]) -> int:
    """Move every live annotation on an old canvas IRI to its IIIF canvas; return how many."""
    moves = {legacy_iri(entry): canvas for entry, canvas in canvases.items()}
    stamp = now()

    def change(doc: dict) -> tuple[dict, list[str]] | None:
        target = _retarget(doc["target"], moves)
        if target == doc["target"]:
            return None
        return {**doc, "target": target, "modified": stamp}, target_iris(target)

    return store.rewrite(sorted(moves), change, "migrate", BY)


def _retarget(target: Any, moves: dict[str, dict]) -> Any:
    """``target`` with each old canvas IRI replaced by its canvas (selectors kept)."""
    if isinstance(target, list):
        return [_retarget(t, moves) for t in target]
    if isinstance(target, str):
        iri, hash_, fragment = target.partition("#")
        return moves[iri]["id"] + hash_ + fragment if iri in moves else target
    if isinstance(target, dict):
        if "source" in target:
            source = target["source"]
            iri = source.get("id") if isinstance(source, dict) else source
            if iri in moves:
                return {**target, "source": copy.deepcopy(moves[iri])}
        elif target.get("id") in moves:
            return copy.deepcopy(moves[target["id"]])
    return target
