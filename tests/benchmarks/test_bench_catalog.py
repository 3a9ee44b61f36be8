"""Catalog overhead and search speed, each against a baseline measured in the same run.

- opening the root catalog, searching it, and loading its largest table through the catalog,
  against reading the same file directly with pandas;
- a synthetic collection of 1,000,000 records: loading through the catalog vs pandas
  (goal: overhead under 10 %);
- a synthetic catalog of 10,000 entries: echoes.search vs Intake's own Catalog.search
  (goal: under 50 ms).

Run with `make bench`; figures are printed, not asserted (no timed assertions).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import intake
import pandas as pd
import pytest
from intake.readers.entry import Catalog

import echoes
from echoes_data import recipe, synthetic, validate

REPO = Path(__file__).resolve().parents[2]


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def interleaved(
    baseline: Callable[[], object], candidate: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median times of two calls run in turns, so both see the same machine state."""
    pairs = [(timed(baseline, 1)[0], timed(candidate, 1)[0]) for _ in range(repeat)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def report(what: str, seconds: float, baseline: float | None = None, name: str = "") -> None:
    ratio = (
        f"  ratio {seconds / baseline:5.2f} vs {name} {baseline * 1000:9.1f} ms" if baseline else ""
    )
    print(f"  {what:<52} {seconds * 1000:9.1f} ms{ratio}")


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return recipe.build(Path(os.environ.get("ECHOES_DATA_DIR") or REPO / ".echoes" / "heritage"))


def test_bench_real_catalog(data_dir):
    root = data_dir / "catalog.yaml"
    print("\nreal heritage catalogs")
    t_open, _ = timed(lambda: echoes.catalog(data_dir), 5)
    t_plain, _ = timed(lambda: intake.from_yaml_file(str(root)), 5)
    report(
        "open root catalog (echoes.catalog, with checks)", t_open, t_plain, "intake.from_yaml_file"
    )
    t_search, hits = timed(lambda: echoes.search("pottery", data_dir), 20)
    assert "archaeometry.pottery_kilns" in hits.entries
    report("echoes.search('pottery') over all themes", t_search)
    # The largest table by bytes.
    tables = [
        (doc["entries"][entry]["metadata"]["bytes"], name, file, doc, entry)
        for name, file, doc, entry in validate.walk(root)
        if doc["entries"][entry]["reader"].endswith("PandasParquet")
    ]
    _, name, file, doc, entry_name = max(tables)
    path = validate.entry_path(file, doc, entry_name)

    def through_catalog():
        return intake.from_yaml_file(str(file))[entry_name].read()

    t_direct, t_cat = interleaved(lambda: pd.read_parquet(path), through_catalog, 9)
    direct, via = pd.read_parquet(path), through_catalog()
    assert via.shape == direct.shape
    report(f"load {name} {direct.shape} through the catalog", t_cat, t_direct, "pandas")


def test_bench_synthetic_million_rows(tmp_path):
    rows = 1_000_000
    catalog = synthetic.write_collection_catalog(tmp_path, rows)
    path = tmp_path / "synthetic_collection.parquet"
    print(f"\nsynthetic collection, {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB Parquet)")
    pd.read_parquet(path)  # warm the page cache for both

    def through_catalog():
        return intake.from_yaml_file(str(catalog)).synthetic_collection.read()

    t_direct, t_cat = interleaved(lambda: pd.read_parquet(path), through_catalog, 9)
    assert len(through_catalog()) == rows
    report("load through the catalog (open + read), median", t_cat, t_direct, "pandas")
    # Both end in the same pandas.read_parquet call, so on a busy machine the ratio above is
    # mostly noise; the catalog's own share is opening it and making the reader.
    t_own, reader = timed(lambda: intake.from_yaml_file(str(catalog)).synthetic_collection, 9)
    assert reader.kwargs["args"][0].url.endswith("synthetic_collection.parquet")
    report("catalog's own work (open + make the reader)", t_own)
    print(f"  catalog overhead {100 * t_own / t_direct:.2f} % of the direct read (goal < 10 %)")


def test_bench_search_large_catalog(tmp_path):
    entries = 10_000
    root = synthetic.write_large_catalog(tmp_path, entries)
    print(f"\nsynthetic catalog of {entries:,} entries")
    start = time.perf_counter()
    hits = echoes.search("topic042", root)
    report("first echoes.search (parses and indexes the YAML)", time.perf_counter() - start)
    assert len(hits.entries) == entries // len(synthetic.WORDS)
    # Baseline: the scan one writes with plain Intake, over the metadata of every entry.
    doc, _ = validate.load_yaml(tmp_path / "synthetic" / "catalog.yaml")
    sub = Catalog.from_dict(doc)

    def naive():
        return [k for k, e in sub.entries.items() if "topic042" in json.dumps(e.metadata).lower()]

    t_naive, found = timed(naive, 3)
    assert len(found) == len(hits.entries)
    t_echoes, _ = timed(lambda: echoes.search("topic042", root), 20)
    report("echoes.search, 100 hits (goal < 50 ms)", t_echoes, t_naive, "Intake scan")
    t_one, one = timed(lambda: echoes.search("record set 4242", root), 20)
    assert list(one.entries) == ["synthetic.synthetic_04242"]
    report("echoes.search, 1 hit", t_one, t_naive, "Intake scan")
    t_open, _ = timed(lambda: echoes.catalog(root), 1)
    report("open the root catalog (checks all 10,000 entries)", t_open)
