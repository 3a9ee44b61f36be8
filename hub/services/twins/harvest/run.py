"""Harvesting one source into the harvest folder, whatever its protocol, incrementally and
idempotently. The protocol's module (`PROTOCOLS`) lists the source's records; this merges
them into what was harvested before:

- **Incremental.** The first harvest takes everything; each next one gives the protocol the
  moment the last complete one started (as the source said it: OAI-PMH's
  ``responseDate``), and the protocol asks for what changed since where it can. A new
  record adds a twin, a changed one replaces its record (same IRI, so the interpretations
  made on it stay), a deleted one marks its twin withdrawn (never dropped), an unchanged
  one is left as it was. A protocol whose listing is whole (a IIIF collection) withdraws
  the records it no longer lists.
- **A source cannot take the platform down.** Every answer is bounded (fetch.py); one that
  ends the harvest keeps what was harvested before for the next try (nothing is written
  half). A record that cannot be read is reported (its identifier and why) and the
  harvest goes on.
- **Nothing is lost.** Each record as the source sent it is kept beside its twin
  (folder.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from . import iiif, linkedart, oaipmh, sparql
from .catalog import HarvestedCatalog, entry_path
from .fetch import Limits, SourceFailed, is_inside
from .folder import HarvestFolder
from .records import (
    Harvested,
    Listing,
    Note,
    Origin,
    Taken,
    local_id,
    note_quads,
    twin_quads,
    twin_record,
    with_notes,
    withdrawn,
    without_notes,
)
from .sources import Source

#: Reports kept per source (state/<name>.json).
REPORTS_KEPT = 20


@dataclass
class Report:
    """What one harvest of one source did."""

    source: str
    started: str
    asked_from: str | None = None
    finished: str = ""
    seen: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    total: int | None = None  # records listed, when the source says

    @property
    def rate(self) -> float:
        return self.seen / self.seconds if self.seconds else 0.0


class ListRecords(Protocol):
    def __call__(
        self, source: Source, since: str | None, state: dict[str, Any], limits: Limits
    ) -> Listing: ...


#: Each protocol's way of listing a source's records, by the name a source gives
#: (sources.PROTOCOLS).
LIST_RECORDS: dict[str, ListRecords] = {
    "oai-pmh": oaipmh.list_records,
    "iiif": iiif.list_records,
    "linked-art": linkedart.list_records,
    "sparql": sparql.list_records,
}


def harvest(
    source: Source,
    folder: HarvestFolder,
    *,
    limits: Limits | None = None,
    progress: Callable[[Report], None] | None = None,
    catalog: HarvestedCatalog | None = None,
) -> Report:
    """Harvest ``source`` into ``folder`` (from its last complete harvest on), each answer
    within ``limits`` (default: Limits()); one harvest of a source at a time. What it
    writes goes into ``catalog`` too (the users' table of the source), when given."""
    with folder.harvesting(source.name) as alone:
        if not alone:
            report = Report(source.name, datetime.now(UTC).isoformat(timespec="seconds"))
            report.error = f"a harvest of {source.name} is running already"
            return report
        # A source inside this machine's networks (another hub here) may name addresses
        # inside them; one outside may not (fetch.py).
        limits = replace(limits or Limits(), inside=is_inside(source.url))
        return harvest_alone(source, folder, limits, progress, catalog)


def harvest_alone(
    source: Source,
    folder: HarvestFolder,
    limits: Limits,
    progress: Callable[[Report], None] | None,
    catalog: HarvestedCatalog | None = None,
) -> Report:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    report = Report(source.name, now)
    started = time.monotonic()
    state = folder.state(source.name)
    taken = Taken(
        folder.records(source.name),
        folder.origins(source.name),
        folder.raw(source.name),
        folder.notes(source.name),
    )
    listed: set[str] = set()
    report.asked_from = state.get("last")
    try:
        listing = LIST_RECORDS[source.protocol](
            source, state.get("last"), state.get("protocol", {}), limits
        )
        report.total = listing.total
        for item in listing.records:
            report.seen += 1
            listed.add(local_id(item.identifier))
            take(source, item, taken, report, now)
            if progress and report.seen % 100 == 0:
                report.seconds = time.monotonic() - started
                progress(report)
        if listing.whole:
            for local in (set(taken.records) | set(taken.notes)) - listed:
                withdraw(taken, local, now, now, report)
    except SourceFailed as error:
        report.error = str(error)
    report.seconds = time.monotonic() - started
    report.finished = datetime.now(UTC).isoformat(timespec="seconds")
    changed = report.added + report.changed + report.withdrawn
    if not report.error and (changed or source.name not in folder.index()):
        entry = index_entry(source, len(taken.records), now)
        annotate(source, taken)
        quads = [
            q
            for local, r in taken.records.items()
            for q in twin_quads(taken.origins[local], r, entry["graph"])
        ]
        quads += notes_quads(taken, entry["dataset"])
        folder.write_collection(source.name, entry, taken, quads)
        if catalog is not None:
            catalog.write(folder, [source.name])
    if not report.error:
        state["last"] = listing.answered
        state["protocol"] = listing.state
    state["harvests"] = [*state.get("harvests", []), asdict(report)][-REPORTS_KEPT:]
    folder.save_state(source.name, state)
    if progress:
        progress(report)
    return report


def withdraw(taken: Taken, local: str, when: str, now: str, report: Report) -> None:
    """Mark the twin or interpretation ``local`` withdrawn by its source at ``when`` (once)."""
    origin, note = taken.origins.get(local), taken.notes.get(local)
    if origin is not None and not origin.withdrawn:
        taken.origins[local] = replace(origin, withdrawn=when, harvested=now)
        taken.records[local] = withdrawn(taken.records[local], when)
        report.withdrawn += 1
    elif note is not None and not note.withdrawn:
        taken.notes[local] = replace(note, withdrawn=when, harvested=now)
        report.withdrawn += 1


def take(source: Source, item: Harvested, taken: Taken, report: Report, now: str) -> None:
    """One listed record into what was ``taken`` (by local id)."""
    local = local_id(item.identifier)
    if item.problem:
        report.failed.append({"identifier": item.identifier, "reason": item.problem})
        return
    if item.said is None:
        withdraw(taken, local, item.datestamp or now, now, report)
        return
    taken.raw[local] = item.raw
    if item.said.interpretation:
        note = Note.of(item.identifier, item.datestamp, item.url, now, item.said)
        old_note = taken.notes.get(local)
        count(report, old_note is None, note.same_as(old_note))
        if not note.same_as(old_note):
            taken.notes[local] = note
        return
    origin = Origin(
        collection=source.name,
        source_title=source.title,
        dataset=f"urn:echoes:dataset:harvested.{source.name}",
        identifier=item.identifier,
        datestamp=item.datestamp,
        url=item.url,
        harvested=now,
    )
    new = twin_record(origin, item.said)
    old = without_notes(taken.records.get(local))
    count(report, old is None, old == new)
    if old != new:
        taken.records[local] = new
        taken.origins[local] = origin


def count(report: Report, new: bool, same: bool) -> None:
    if same:
        report.unchanged += 1
    else:
        report.added += new
        report.changed += not new


def annotate(source: Source, taken: Taken) -> None:
    """Put on each twin the source's interpretations about it (by the source's identifier
    of the object), and no others."""
    about: dict[str, list[Note]] = {}
    for note in taken.notes.values():
        for identifier in note.about:
            about.setdefault(identifier, []).append(note)
    for local, record in taken.records.items():
        on_it = about.get(taken.origins[local].identifier, [])
        taken.records[local] = with_notes(without_notes(record), on_it, source.title)


def notes_quads(taken: Taken, dataset: str) -> list:
    """The provenance of each interpretation, with the twins it is on."""
    twin_of = {taken.origins[k].identifier: r["id"] for k, r in taken.records.items()}
    return [
        q
        for note in taken.notes.values()
        for q in note_quads(note, [twin_of[i] for i in note.about if i in twin_of], dataset)
    ]


def index_entry(source: Source, objects: int, now: str) -> dict[str, Any]:
    """The source's entry in the harvest folder's index, as the data build writes them."""
    return {
        "entry": entry_path(source.name),
        "graph": f"urn:echoes:graph:{source.name}",
        "dataset": f"urn:echoes:dataset:harvested.{source.name}",
        "title": source.title,
        "licence": source.licence,
        "citation": source.citation,
        "iiif_image": None,
        "objects": objects,
        "built": now,
        "source": {
            "protocol": source.protocol,
            "url": source.url,
            "set": source.set,
            "metadata_prefix": source.metadata_prefix,
            "query": source.query,
        },
    }
