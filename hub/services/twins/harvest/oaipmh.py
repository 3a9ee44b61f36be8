"""Harvesting one OAI-PMH 2.0 source into the harvest folder, with sickle (a maintained
harvester), incrementally and idempotently.

- **Incremental.** The first harvest takes everything; each next one asks ``from`` the
  ``responseDate`` of the last complete one (at the source's granularity), as the
  protocol advises, and merges: a new record adds a twin, a changed one replaces its
  record (same IRI, so the interpretations made on it stay), a deleted one marks its twin
  withdrawn (never dropped), an unchanged one is left as it was.
- **A source cannot take the platform down.** Each answer has a time limit and a size
  limit, and is checked before it is parsed (defusedxml: no DTD, no entities); an answer
  that breaks either ends this source's harvest with the reason, and what was harvested
  before it is kept for the next try (nothing is written half). A record that cannot be
  read is reported (its identifier and why) and the harvest goes on.
- **Nothing is lost.** Each record's raw XML is kept beside its twin (folder.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as checked_xml
from lxml import etree
from sickle import Sickle, oaiexceptions
from sickle.oaiexceptions import NoRecordsMatch

from .folder import HarvestFolder
from .records import Origin, described, local_id, twin_quads, twin_record, withdrawn
from .sources import Source

OAI = "{http://www.openarchives.org/OAI/2.0/}"
#: The OAI-PMH errors sickle raises (each its own class: they share no base but Exception).
OAI_ERRORS = tuple(
    kind
    for kind in vars(oaiexceptions).values()
    if isinstance(kind, type) and issubclass(kind, Exception)
)
#: Reports kept per source (state/<name>.json).
REPORTS_KEPT = 20


class SourceFailed(Exception):
    """The source answered in a way that ends its harvest (the message says how)."""


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

    @property
    def rate(self) -> float:
        return self.seen / self.seconds if self.seconds else 0.0


class GuardedSickle(Sickle):
    """Sickle whose every answer is bounded in time and size and checked before lxml
    reads it."""

    def __init__(self, endpoint: str, *, timeout: float, max_bytes: int) -> None:
        super().__init__(endpoint, max_retries=2, timeout=timeout)
        self.limit_seconds = timeout
        self.max_bytes = max_bytes

    def _request(self, kwargs: dict[str, Any]) -> requests.Response:
        started = time.monotonic()
        try:
            response = requests.get(
                self.endpoint, params=kwargs, timeout=self.limit_seconds, stream=True
            )
            body = bytearray()
            for chunk in response.iter_content(1 << 16):
                body += chunk
                if len(body) > self.max_bytes:
                    raise SourceFailed(f"an answer larger than {self.max_bytes} bytes")
                if time.monotonic() - started > self.limit_seconds:
                    raise SourceFailed(f"an answer still coming after {self.limit_seconds:g} s")
            response.close()
        except requests.RequestException as error:
            raise SourceFailed(f"no answer: {error}") from error
        response._content = bytes(body)
        if response.ok:
            try:
                checked_xml(bytes(body), forbid_dtd=True)
            except DefusedXmlException as error:
                raise SourceFailed(f"an answer with a DTD or entities, refused: {error}") from error
            except Exception as error:  # the parser's own error types vary
                raise SourceFailed(f"an answer that is not XML: {error}") from error
        return response


def granular(moment: str, granularity: str) -> str:
    """``moment`` (YYYY-MM-DDThh:mm:ssZ) at the source's granularity."""
    return moment[:10] if granularity == "YYYY-MM-DD" else moment


def harvest(
    source: Source,
    folder: HarvestFolder,
    *,
    timeout: float = 30.0,
    max_bytes: int = 50 << 20,
    progress: Callable[[Report], None] | None = None,
) -> Report:
    """Harvest ``source`` into ``folder`` (from its last complete harvest on)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    report = Report(source.name, now)
    started = time.monotonic()
    state = folder.state(source.name)
    records = folder.records(source.name)
    origins = folder.origins(source.name)
    raw = folder.raw(source.name)
    client = GuardedSickle(source.url, timeout=timeout, max_bytes=max_bytes)
    try:
        identify = client.Identify()
        granularity = getattr(identify, "granularity", "YYYY-MM-DDThh:mm:ssZ")
        arguments: dict[str, str] = {"metadataPrefix": source.metadata_prefix}
        if source.set:
            arguments["set"] = source.set
        if state.get("last"):
            report.asked_from = arguments["from"] = granular(state["last"], granularity)
        try:
            listing = client.ListRecords(**arguments)
        except NoRecordsMatch:
            listing = None
        response_date = now
        if listing is not None:
            answered = listing.oai_response.xml.find(f"{OAI}responseDate")
            if answered is not None and answered.text:
                response_date = answered.text.strip()
            for record in listing:
                report.seen += 1
                take(source, record, records, origins, raw, report, now)
                if progress and report.seen % 100 == 0:
                    report.seconds = time.monotonic() - started
                    progress(report)
    except (SourceFailed, etree.XMLSyntaxError, *OAI_ERRORS) as error:
        code = type(error).__name__
        report.error = f"{code}: {error}" if isinstance(error, OAI_ERRORS) else str(error)
    report.seconds = time.monotonic() - started
    report.finished = datetime.now(UTC).isoformat(timespec="seconds")
    changed = report.added + report.changed + report.withdrawn
    if not report.error and (changed or source.name not in folder.index()):
        entry = index_entry(source, len(records), now)
        quads = [
            q for local, r in records.items() for q in twin_quads(origins[local], r, entry["graph"])
        ]
        folder.write_collection(source.name, entry, records, origins, quads, raw)
    if not report.error:
        state["last"] = response_date
        state["granularity"] = granularity
    state["harvests"] = [*state.get("harvests", []), asdict(report)][-REPORTS_KEPT:]
    folder.save_state(source.name, state)
    if progress:
        progress(report)
    return report


def take(
    source: Source,
    record: Any,
    records: dict[str, dict[str, Any]],
    origins: dict[str, Origin],
    raw: dict[str, str],
    report: Report,
    now: str,
) -> None:
    """One harvested record into ``records``, ``origins`` and ``raw`` (by local id)."""
    header = record.header
    identifier = header.identifier
    local = local_id(identifier)
    if header.deleted:
        if local in origins and not origins[local].withdrawn:
            origins[local] = replace(origins[local], withdrawn=header.datestamp, harvested=now)
            records[local] = withdrawn(records[local], header.datestamp)
            report.withdrawn += 1
        return
    try:
        metadata = record.xml.find(f".//{OAI}metadata")
        said = described(source.metadata_prefix, metadata[0] if metadata is not None else None)
    except (ValueError, IndexError, KeyError) as error:
        report.failed.append({"identifier": identifier, "reason": str(error)})
        return
    origin = Origin(
        collection=source.name,
        source_title=source.title,
        dataset=f"urn:echoes:dataset:harvested.{source.name}",
        identifier=identifier,
        datestamp=header.datestamp,
        url=get_record_url(source, identifier),
        harvested=now,
    )
    new = twin_record(origin, said)
    old = records.get(local)
    raw[local] = record.raw
    if old == new:
        report.unchanged += 1
        return
    report.added += old is None
    report.changed += old is not None
    records[local] = new
    origins[local] = origin


def get_record_url(source: Source, identifier: str) -> str:
    """The source's own address of the record (GetRecord)."""
    query = urlencode(
        {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": source.metadata_prefix}
    )
    return f"{source.url}?{query}"


def index_entry(source: Source, objects: int, now: str) -> dict[str, Any]:
    """The source's entry in the harvest folder's index, as the data build writes them."""
    return {
        "entry": f"harvested.{source.name}",
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
        },
    }
