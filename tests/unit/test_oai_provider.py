"""The pyoai test provider (tests/oai_provider.py) works: sickle, a harvester we did not write
either, harvests it over HTTP in pages, sees deleted records and selective harvests, and its
misbehaving modes fail the way harvest tests rely on. The records are synthetic test records."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from lxml import etree
from sickle import Sickle
from sickle.oaiexceptions import BadResumptionToken, IdDoesNotExist, NoRecordsMatch

from tests.oai_provider import HUGE_BYTES, Provider, museum_records


@pytest.fixture
def provider() -> Iterator[Provider]:
    with Provider(museum_records(), batch_size=3) as running:
        yield running


def test_harvests_every_record_in_pages(provider: Provider) -> None:
    records = list(Sickle(provider.url, timeout=10).ListRecords(metadataPrefix="oai_dc"))
    assert [record.header.identifier for record in records] == [
        f"oai:museum.example:{number}" for number in range(1, 11)
    ]
    assert records[0].metadata["title"] == ["Portrait of a Lady"]
    assert records[0].metadata["creator"] == ["Anonymous, Flemish school"]
    assert records[0].metadata["date"] == ["c. 1520"]
    assert records[0].header.datestamp == "2024-01-01T09:30:00Z"
    assert records[0].header.setSpecs == ["paintings"]
    # 10 records in pages of 3: the first request and three resumption tokens.
    assert provider.requests > 3


def test_identify_and_errors(provider: Provider) -> None:
    sickle = Sickle(provider.url, timeout=10)
    identify = sickle.Identify()
    assert identify.repositoryName == "Test museum"
    assert identify.deletedRecord == "persistent"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.earliestDatestamp == "2024-01-01T09:30:00Z"
    with pytest.raises(IdDoesNotExist):
        sickle.GetRecord(identifier="oai:museum.example:999", metadataPrefix="oai_dc")
    with pytest.raises(BadResumptionToken):
        sickle.ListRecords(resumptionToken="not-a-token")
    answer = requests.post(
        provider.url, data={"verb": "ListRecords", "metadataPrefix": "marc21"}, timeout=10
    )
    assert 'code="cannotDisseminateFormat"' in answer.text
    coins = sickle.ListIdentifiers(metadataPrefix="oai_dc", set="coins")
    assert [header.identifier for header in coins] == [
        "oai:museum.example:4",
        "oai:museum.example:5",
    ]


def test_deleted_record_comes_out_as_a_deleted_header(provider: Provider) -> None:
    provider.records[1].deleted = True
    sickle = Sickle(provider.url, timeout=10)
    record = sickle.GetRecord(identifier="oai:museum.example:2", metadataPrefix="oai_dc")
    assert record.header.deleted is True
    harvested = {
        record.header.identifier: record
        for record in sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False)
    }
    assert harvested["oai:museum.example:2"].header.deleted is True
    assert harvested["oai:museum.example:1"].header.deleted is False


def test_from_harvests_only_what_changed(provider: Provider) -> None:
    sickle = Sickle(provider.url, timeout=10)
    since = "2024-02-01T00:00:00Z"
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": since}))
    provider.records[6].datestamp = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    changed = list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": since}))
    assert [record.header.identifier for record in changed] == ["oai:museum.example:7"]
    until = sickle.ListIdentifiers(metadataPrefix="oai_dc", until="2024-01-02T09:30:00Z")
    assert [header.identifier for header in until] == [
        "oai:museum.example:1",
        "oai:museum.example:2",
    ]


def test_garbage_is_malformed_xml(provider: Provider) -> None:
    provider.mode = "garbage"
    answer = requests.get(provider.url, params={"verb": "Identify"}, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(answer.content)
    # sickle parses with lxml's recover=True, so it never says XMLSyntaxError here: it fails
    # later on the half-tree it recovered (IndexError, AttributeError), or, for ListIdentifiers,
    # harvests what it recovered. A harvester must parse strictly itself to notice garbage.
    with pytest.raises((IndexError, AttributeError)):
        list(Sickle(provider.url, timeout=10).ListRecords(metadataPrefix="oai_dc"))
    recovered = Sickle(provider.url, timeout=10).ListIdentifiers(metadataPrefix="oai_dc")
    assert [header.identifier for header in recovered] == ["oai:broken:1"]


def test_hang_makes_a_client_timeout_fire(provider: Provider) -> None:
    provider.mode = "hang"
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        Sickle(provider.url, timeout=2).ListRecords(metadataPrefix="oai_dc")
    assert time.monotonic() - started < 10


def test_exit_does_not_wait_for_a_hanging_request() -> None:
    started = time.monotonic()
    with Provider(museum_records()) as hanging:
        hanging.mode = "hang"
        with pytest.raises(requests.exceptions.Timeout):
            requests.get(hanging.url, params={"verb": "Identify"}, timeout=0.5)
    assert time.monotonic() - started < 10


def test_huge_streams_past_any_sane_limit(provider: Provider) -> None:
    provider.mode = "huge"
    assert HUGE_BYTES > 50 * 1024 * 1024
    wanted = 4 * 1024 * 1024
    read = b""
    with requests.get(
        provider.url,
        params={"verb": "ListRecords", "metadataPrefix": "oai_dc"},
        stream=True,
        timeout=10,
    ) as answer:
        assert answer.status_code == 200
        assert "Content-Length" not in answer.headers
        for chunk in answer.iter_content(1024 * 1024):
            read += chunk
            if len(read) >= wanted:
                break
    assert len(read) >= wanted
    assert read.startswith(b'<?xml version="1.0"')
    assert b"<ListRecords><record>" in read[:1000]
