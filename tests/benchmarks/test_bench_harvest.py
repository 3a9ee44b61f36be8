"""Benchmark: `echoes harvest` against a bare sickle loop over the same OAI-PMH provider.

pyoai's provider (tests/oai_provider.py) on loopback serves BENCH_HARVEST_RECORDS
(default 100,000) synthetic records, named so, 500 a page. In the same run: a bare
sickle loop that only iterates the records (``ListRecords``, oai_dc), and our harvest
of the same source into an empty harvest folder (each answer checked by defusedxml,
each record mapped to a twin, its raw XML kept, then the records, triples, origins and
raw records written, and the users' catalog table of the source). The ratio is our
overhead: issue 19's goal is within 3x. Not part of the suite: `make bench`.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from sickle import Sickle

from echoes_hub.services.twins.harvest.catalog import HarvestedCatalog
from echoes_hub.services.twins.harvest.fetch import Limits
from echoes_hub.services.twins.harvest.folder import HarvestFolder
from echoes_hub.services.twins.harvest.run import harvest
from echoes_hub.services.twins.harvest.sources import Source
from tests.benchmarks.report import ratio_line
from tests.oai_provider import Provider, Record

RECORDS = int(os.environ.get("BENCH_HARVEST_RECORDS", "100000"))


def synthetic(count: int) -> list[Record]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return [
        Record(
            identifier=f"oai:synthetic.example:{number}",
            datestamp=start + timedelta(seconds=number),
            sets=["synthetic"],
            dc={
                "title": [f"Synthetic object {number}"],
                "creator": [f"Synthetic maker {number % 500}"],
                "date": [str(1500 + number % 400)],
                "type": ["synthetic object"],
                "description": [f"A synthetic record for the harvest benchmark, number {number}."],
                "identifier": [f"https://synthetic.example/objects/{number}"],
            },
        )
        for number in range(1, count + 1)
    ]


def test_our_harvest_against_a_bare_sickle_loop(tmp_path):
    with Provider(synthetic(RECORDS), batch_size=500, name="Synthetic provider") as provider:
        started = time.perf_counter()
        bare = sum(1 for _ in Sickle(provider.url).ListRecords(metadataPrefix="oai_dc"))
        bare_seconds = time.perf_counter() - started
        source = Source(
            name="synthetic",
            url=provider.url,
            title="Synthetic records for the harvest benchmark",
            licence="CC0-1.0",
            citation="Synthetic, made by the benchmark.",
        )
        started = time.perf_counter()
        report = harvest(
            source,
            HarvestFolder(tmp_path / "harvest"),
            limits=Limits(timeout=60),
            catalog=HarvestedCatalog(tmp_path / "harvested"),
        )
        ours_seconds = time.perf_counter() - started
    assert bare == RECORDS and (report.error, report.added) == ("", RECORDS)
    assert (tmp_path / "harvested" / "synthetic.parquet").is_file()
    print(
        f"\n[bench] {RECORDS} synthetic records: bare sickle {RECORDS / bare_seconds:.0f}/s, "
        f"echoes harvest {RECORDS / ours_seconds:.0f}/s"
    )
    ratio = ratio_line(
        f"harvesting {RECORDS} synthetic records (seconds)",
        [ours_seconds],
        [bare_seconds],
        "bare sickle loop",
    )
    assert ratio > 0
