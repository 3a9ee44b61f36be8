"""Benchmark: `echoes contribute publish` against a bare csv-to-pyoxigraph loop over the same sheet.

Issue 22: rows per second from a synthetic sheet to published twins. A UTF-8 CSV of
BENCH_CONTRIBUTE_ROWS (default 100,000) synthetic rows, named so (identifier ``S{n}``,
title ``Synthetic object {n}``, a synthetic maker, a year, dimensions, a description),
is written to tmp_path with the csv module. In the same run, over the same file:

- the baseline: ``csv.DictReader`` over the file, and for each row a NamedNode
  (``urn:synthetic:{identifier}``) with three quads in the default graph (rdf:type
  crm:E22_Human-Made_Object, rdfs:label the title, dcterms:identifier the identifier),
  loaded with ``pyoxigraph.Store().bulk_extend`` (an in-memory store), then ``flush``;
- ours, exactly what `echoes contribute publish` does, in-process: ``read_sheet``,
  ``suggest`` (the mapping from the column names), ``check`` (no problem but warnings),
  then ``publish`` (licence CC0-1.0) into an empty harvest folder with its users'
  catalog table.

The ratio is our overhead: the checks of every cell (dates read as EDTF, dimensions
parsed), a Linked Art record per row, its provenance (who, which file, its sha256 and
row), the sheet kept, atomic writes of the records, triples, origins and raw rows, and
the catalog table. Not part of the suite: `make bench` runs tests/benchmarks.
"""

from __future__ import annotations

import csv
import os
import time

import pyoxigraph as ox

from echoes_hub.services.twins.contribute.checks import check
from echoes_hub.services.twins.contribute.mapping import suggest
from echoes_hub.services.twins.contribute.publish import publish
from echoes_hub.services.twins.contribute.sheets import read_sheet
from echoes_hub.services.twins.harvest.catalog import HarvestedCatalog
from echoes_hub.services.twins.harvest.folder import HarvestFolder
from tests.benchmarks.report import ratio_line

ROWS = int(os.environ.get("BENCH_CONTRIBUTE_ROWS", "100000"))
HEADER = ["Identifier", "Title", "Maker", "Date", "Dimensions", "Description"]

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
DCTERMS_IDENTIFIER = ox.NamedNode("http://purl.org/dc/terms/identifier")
OBJECT = ox.NamedNode("http://www.cidoc-crm.org/cidoc-crm/E22_Human-Made_Object")


def write_sheet(path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for number in range(1, count + 1):
            writer.writerow(
                [
                    f"S{number}",
                    f"Synthetic object {number}",
                    f"Synthetic maker {number % 500}",
                    str(1500 + number % 400),
                    f"{10 + number % 40} x {20 + number % 30} cm",
                    f"A synthetic row for the contribute benchmark, number {number}.",
                ]
            )


def bare(path) -> int:
    """The CSV as three quads a row in an in-memory pyoxigraph store: the rows read."""
    store = ox.Store()
    rows = 0

    def quads():
        nonlocal rows
        with path.open(encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file):
                rows += 1
                node = ox.NamedNode(f"urn:synthetic:{row['Identifier']}")
                yield ox.Quad(node, RDF_TYPE, OBJECT)
                yield ox.Quad(node, RDFS_LABEL, ox.Literal(row["Title"]))
                yield ox.Quad(node, DCTERMS_IDENTIFIER, ox.Literal(row["Identifier"]))

    store.bulk_extend(quads())
    store.flush()
    assert len(store) == 3 * rows
    return rows


def test_our_contribute_publish_against_a_bare_csv_to_store_loop(tmp_path):
    sheet_path = tmp_path / "synthetic.csv"
    write_sheet(sheet_path, ROWS)

    started = time.perf_counter()
    bare_rows = bare(sheet_path)
    bare_seconds = time.perf_counter() - started

    started = time.perf_counter()
    sheet = read_sheet(sheet_path)
    fields = suggest(sheet.header)
    rows, problems = check(sheet, fields, None, max_rows=max(ROWS, 200_000))
    assert [p for p in problems if not p.warning] == []
    done = publish(
        sheet,
        sheet_path,
        fields,
        rows,
        HarvestFolder(tmp_path / "harvest"),
        name="synthetic",
        title="Synthetic objects for the contribute benchmark",
        licence="CC0-1.0",
        citation="Synthetic, made by the benchmark.",
        contributor="benchmark",
        catalog=HarvestedCatalog(tmp_path / "harvested"),
    )
    ours_seconds = time.perf_counter() - started

    assert bare_rows == ROWS and done.added == ROWS
    assert [fields[f] for f in ("identifier", "title", "maker", "date", "dimensions")] == HEADER[:5]
    assert (tmp_path / "harvested" / "synthetic.parquet").is_file()
    print(
        f"\n[bench] {ROWS} synthetic rows: bare csv + pyoxigraph {ROWS / bare_seconds:.0f}/s, "
        f"echoes contribute publish {ROWS / ours_seconds:.0f}/s"
    )
    ratio = ratio_line(
        f"publishing a sheet of {ROWS} synthetic rows (seconds)",
        [ours_seconds],
        [bare_seconds],
        "bare csv + pyoxigraph loop",
    )
    assert ratio > 0
