"""`echoes link`: tell the objects' twins which analyses used them.

A run record names the heritage objects its notebook's code or parameters name
(``objects``, `record.objects_in`). The record stays in its author's home, which the
twins service never reads, so for each object the author posts one annotation to the
annotation service: motivation ``linking``, its target the object's twin IRI, its body
the run (`run_body`). The service sets who made it and when, as for any annotation. A
public one reaches the twins service through the change feed it follows anonymously, and
the object's page lists it under "Analyses that used this object"; a private one stays
its author's.

Linking again makes no second annotation: an object you already linked to the run keeps
its link, given the visibility asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..annotations import AnnotationClient
from .record import load_record, sha256_json
from .reproduce import find_record

#: A run is named by the digest of its record: the record is what says what it was.
RUN = "urn:echoes:run:sha256:"
#: What the run's RO-Crate (crate.py) calls a run, Workflow Run Crate's CreateAction.
RUN_TYPE = "http://schema.org/CreateAction"
MOTIVATION = "linking"
USER = "urn:echoes:user:"


def run_iri(record: dict[str, Any]) -> str:
    """The run's IRI: the same for the same record, whoever computes it."""
    return RUN + sha256_json(record)


def run_body(record: dict[str, Any]) -> dict[str, Any]:
    """The run as a linking annotation's body: its IRI, type, the notebook's name as its
    label, and when it was made (the run's end)."""
    return {
        "id": run_iri(record),
        "type": RUN_TYPE,
        "label": Path(record["notebook"]["input"]).name,
        "created": record["finished"],
    }


@dataclass
class Link:
    """One object's link to the run: the annotation, and whether this call made it."""

    object: str
    annotation: str
    made: bool


def _links_to(annotation: dict[str, Any], run: str) -> bool:
    bodies = annotation.get("body")
    bodies = bodies if isinstance(bodies, list) else [bodies]
    return any(isinstance(b, dict) and b.get("id") == run for b in bodies)


def link(run: str | Path, client: AnnotationClient, visibility: str = "public") -> list[Link]:
    """Link each object the run ``run`` (its record, or its output notebook) names to the
    run, as the user of ``client``, who must be who ran it (the record's agent)."""
    run = Path(run)
    record_path = find_record(run) if run.is_file() else None
    if record_path is None:
        raise FileNotFoundError(f"{run}: no run record (.run.json) for this run")
    record = load_record(record_path)
    me = client.whoami()
    ran_by = (record.get("agent") or {}).get("name")
    if ran_by != me:
        raise PermissionError(
            f"{record_path}: the record says {ran_by!r} ran it, and you are {me!r}: "
            "link only your own runs"
        )
    body = run_body(record)
    links = []
    # Records written before objects were recorded name none.
    for obj in record.get("objects") or []:
        mine = client.search(obj, creator=USER + me, motivation=MOTIVATION)
        found = next((a for a in mine if _links_to(a, body["id"])), None)
        if found is None:
            made = client.annotate(obj, body, MOTIVATION, visibility=visibility)
            links.append(Link(obj, made["id"], True))
            continue
        if found.get("visibility") != visibility:
            client.update({**client.get(found["id"]), "visibility": visibility})
        links.append(Link(obj, found["id"], False))
    return links
