"""OAI-PMH 2.0 sources, listed with sickle (a maintained harvester): ``ListRecords`` in the
source's metadata format (Dublin Core or EDM, records.py), from the last harvest's
``responseDate`` at the source's granularity, through every resumption token; a deleted
record's header says so. Every answer is bounded and checked before lxml reads it
(fetch.py); an OAI-PMH error (``badResumptionToken``, ...) ends the harvest with its code,
except ``noRecordsMatch``, which is an empty listing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests
from lxml import etree
from sickle import Sickle, oaiexceptions
from sickle.oaiexceptions import NoRecordsMatch

from .fetch import Limits, SourceFailed, check_xml, get
from .records import Harvested, Listing, described
from .sources import Source

OAI = "{http://www.openarchives.org/OAI/2.0/}"
#: The OAI-PMH errors sickle raises (each its own class: they share no base but Exception).
OAI_ERRORS = tuple(
    kind
    for kind in vars(oaiexceptions).values()
    if isinstance(kind, type) and issubclass(kind, Exception)
)


class GuardedSickle(Sickle):
    """Sickle whose every answer is bounded in time and size and checked before lxml
    reads it."""

    def __init__(self, endpoint: str, limits: Limits) -> None:
        super().__init__(endpoint, max_retries=2, timeout=limits.timeout)
        self.limits = limits

    def _request(self, kwargs: dict[str, Any]) -> requests.Response:
        response = get(self.endpoint, self.limits, params=kwargs)
        if response.ok:
            check_xml(response.content)
        return response


def granular(moment: str, granularity: str) -> str:
    """``moment`` (YYYY-MM-DDThh:mm:ssZ) at the source's granularity."""
    return moment[:10] if granularity == "YYYY-MM-DD" else moment


def list_records(
    source: Source, since: str | None, state: dict[str, Any], limits: Limits
) -> Listing:
    """The source's records changed ``since`` (all of them when None)."""
    client = GuardedSickle(source.url, limits)
    try:
        identify = client.Identify()
        granularity = getattr(identify, "granularity", "YYYY-MM-DDThh:mm:ssZ")
        arguments: dict[str, str] = {"metadataPrefix": source.metadata_prefix}
        if source.set:
            arguments["set"] = source.set
        if since:
            arguments["from"] = granular(since, granularity)
        try:
            listing = client.ListRecords(**arguments)
        except NoRecordsMatch:
            listing = None
    except (etree.XMLSyntaxError, *OAI_ERRORS) as error:
        raise failure(error) from error
    # Nothing new (noRecordsMatch: no responseDate to go by): the next harvest asks from
    # the same moment, never from this machine's clock, which may run ahead of the source's.
    answered = since or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    total = None
    if listing is not None:
        said = listing.oai_response.xml.find(f"{OAI}responseDate")
        if said is not None and said.text:
            answered = said.text.strip()
        token = listing.resumption_token
        if token is not None and str(token.complete_list_size or "").isdigit():
            total = int(token.complete_list_size)
    return Listing(records(source, listing), answered, total=total)


def failure(error: Exception) -> SourceFailed:
    if isinstance(error, OAI_ERRORS):
        return SourceFailed(f"{type(error).__name__}: {error}")
    return SourceFailed(str(error))


def records(source: Source, listing: Any) -> Iterator[Harvested]:
    if listing is None:
        return
    try:
        for record in listing:
            yield harvested(source, record)
    except (etree.XMLSyntaxError, *OAI_ERRORS) as error:
        raise failure(error) from error


def harvested(source: Source, record: Any) -> Harvested:
    header = record.header
    identifier = header.identifier
    if header.deleted:
        return Harvested(identifier, header.datestamp)
    try:
        metadata = record.xml.find(f".//{OAI}metadata")
        said = described(source.metadata_prefix, metadata[0] if metadata is not None else None)
    except (ValueError, IndexError, KeyError) as error:
        return Harvested(identifier, problem=str(error))
    url = get_record_url(source, identifier)
    return Harvested(identifier, header.datestamp, url, record.raw, said)


def get_record_url(source: Source, identifier: str) -> str:
    """The source's own address of the record (GetRecord)."""
    query = urlencode(
        {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": source.metadata_prefix}
    )
    return f"{source.url}?{query}"
