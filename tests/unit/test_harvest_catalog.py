"""Every harvested record becomes a catalog entry's row with its provenance
(hub/services/twins/harvest/catalog.py): a harvest from a real OAI-PMH provider (pyoai's,
tests/oai_provider.py) writes a Parquet table per source and an Intake catalog that the
data build's checks pass, checksums included; a user's `echoes.catalog()` shows it as the
theme `harvested` (and the JupyterLab catalog browser's tree), `echoes.search` finds it, a
record the source deletes stays as a row marked withdrawn; the catalog is readable by
every user while the harvest folder stays the hub's. Without a harvested catalog users
see exactly the data's tree."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

import echoes
from echoes.server import catalog as browser
from echoes_data import validate
from echoes_hub.services.twins.harvest.catalog import HarvestedCatalog
from echoes_hub.services.twins.harvest.folder import HarvestFolder
from echoes_hub.services.twins.harvest.run import harvest
from tests.oai_provider import Provider, museum_records
from tests.unit.test_catalog_data import data_dir  # noqa: F401 (a fixture)
from tests.unit.test_harvest import museum

PAGES = "http://twins--service.localhost:8000/services/twins/"
PROVENANCE = ["source_identifier", "source_datestamp", "source_url", "harvested", "withdrawn"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def shared_data(data_dir: Path, monkeypatch) -> None:  # noqa: F811 (a fixture)
    """Users' catalogs read the shared data beside the harvested collections."""
    monkeypatch.setenv("ECHOES_DATA_DIR", str(data_dir))


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state folder as the hub's start leaves it: the harvest folder the hub's only."""
    (tmp_path / "harvest").mkdir(mode=0o700)
    (tmp_path / "harvest").chmod(0o700)
    return tmp_path


def harvested(state: Path, records=None, **more) -> tuple[HarvestFolder, HarvestedCatalog]:
    folder = HarvestFolder(state / "harvest")
    catalog = HarvestedCatalog(state / "harvested", pages=PAGES)
    with Provider(records or museum_records(), batch_size=4) as provider:
        report = harvest(museum(provider.url, **more), folder, catalog=catalog)
    assert (report.error, report.added) == ("", 10)
    return folder, catalog


def test_a_harvest_writes_a_catalog_the_data_builds_checks_pass(state):
    harvested(state)
    file = state / "harvested" / "catalog.yaml"
    validate.require(file, checksums=True)
    doc = yaml.safe_load(file.read_text())
    entry = doc["entries"]["museum"]
    assert entry["reader"] == "intake.readers.readers:PandasParquet"
    meta = entry["metadata"]
    assert meta["title"] == "A small museum (synthetic test records)"
    assert meta["licence"] == "CC0-1.0" and meta["citation"].startswith("Synthetic test records")
    assert meta["provenance"]["protocol"] == "oai-pmh"
    assert meta["provenance"]["origin"].startswith("http://127.0.0.1:")
    assert meta["harvested"] == meta["provenance"]["harvested"]
    assert meta["bytes"] == (state / "harvested" / "museum.parquet").stat().st_size
    assert (meta["objects"], meta["withdrawn"]) == (10, 0)
    # Every user server reads it; the harvest folder stays the hub's.
    assert mode(state / "harvested") == 0o755
    assert {p.name: mode(p) for p in (state / "harvested").iterdir()} == {
        "catalog.yaml": 0o644,
        "museum.parquet": 0o644,
    }
    assert mode(state / "harvest") == 0o700
    assert [p for p in (state / "harvest").rglob("*") if p.is_dir() and mode(p) != 0o700] == []


def test_a_user_reads_the_harvested_theme_and_search_finds_it(state, monkeypatch):
    harvested(state)
    monkeypatch.setenv("ECHOES_HARVESTED_DIR", str(state / "harvested"))
    root = echoes.catalog()
    assert "harvested" in root.entries and "collections" in root.entries
    table = root.harvested.read().museum.read()
    assert isinstance(table, pd.DataFrame) and len(table) == 10
    assert list(table.columns) == [
        *("object", "title", "creators", "dates", "types"),
        *PROVENANCE,
        "page",
    ]
    coin = table.set_index("source_identifier").loc["oai:museum.example:4"]
    assert coin["object"] == "urn:echoes:object:museum/oai:museum.example:4"
    assert coin["title"] == "Tetradrachm of Alexander the Great"
    assert list(coin["creators"]) == ["Mint of Amphipolis"]
    assert list(coin["dates"]) == ["c. 325 BC"]
    assert coin["source_url"].startswith("http://127.0.0.1:") and pd.isna(coin["withdrawn"])
    assert coin["page"] == f"{PAGES}objects/museum/oai%3Amuseum.example%3A4"
    assert table["harvested"].dt.tz is not None

    found = echoes.search("small museum synthetic")
    assert "harvested.museum" in found
    hit = found["harvested.museum"]
    assert hit.code == "echoes.catalog().harvested.read().museum.read()"
    assert len(hit.read()) == 10
    # The JupyterLab catalog browser lists the theme and reads its entries.
    themes = {t["name"]: t for t in browser.tree()["themes"]}
    assert themes["harvested"]["title"] == "Harvested collections"
    assert [e["path"] for e in themes["harvested"]["entries"]] == ["harvested.museum"]
    assert browser.preview("harvested.museum")["shape"] == [10, 11]


def test_without_a_harvested_catalog_users_see_the_datas_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("ECHOES_HARVESTED_DIR", str(tmp_path / "nothing-harvested"))
    before = sorted(echoes.catalog().entries)
    assert "harvested" not in before
    assert not [hit for hit in echoes.search("harvested") if hit.name.startswith("harvested.")]
    assert "harvested" not in {t["name"] for t in browser.tree()["themes"]}


def test_a_deleted_record_stays_a_row_marked_withdrawn(state, monkeypatch):
    records = museum_records()
    folder, catalog = harvested(state, records)
    # Deleted after the harvest (a datestamp past the last one's: no waiting a second).
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    records[6] = replace(records[6], datestamp=later, deleted=True)
    with Provider(records, batch_size=4) as provider:
        again = harvest(museum(provider.url), folder, catalog=catalog)
    assert (again.error, again.withdrawn) == ("", 1)
    file = state / "harvested" / "catalog.yaml"
    validate.require(file, checksums=True)
    meta = yaml.safe_load(file.read_text())["entries"]["museum"]["metadata"]
    assert (meta["objects"], meta["withdrawn"]) == (10, 1)
    monkeypatch.setenv("ECHOES_HARVESTED_DIR", str(state / "harvested"))
    table = echoes.catalog().harvested.read().museum.read()
    assert len(table) == 10
    gone = table.set_index("source_identifier")["withdrawn"].dropna()
    assert list(gone.index) == ["oai:museum.example:7"]


def test_a_source_harvested_before_the_catalog_gets_its_entry_and_a_licence_it_can_check(state):
    """An upgraded hub: what was harvested with no catalog is written at the next run, and
    a declared licence that is no known SPDX id is kept in a note, so that the catalog
    (and every user's) stays valid."""
    folder = HarvestFolder(state / "harvest")
    with Provider(museum_records()) as provider:
        source = replace(museum(provider.url), licence="Free to reuse, with credit")
        assert harvest(source, folder).error == ""
    catalog = HarvestedCatalog(state / "harvested")
    assert catalog.write(folder) == ["museum"]
    assert catalog.write(folder) == []  # nothing missing any more
    file = state / "harvested" / "catalog.yaml"
    validate.require(file, checksums=True)
    meta = yaml.safe_load(file.read_text())["entries"]["museum"]["metadata"]
    assert meta["licence"] == "LicenseRef-harvested-museum"
    assert "Free to reuse, with credit" in meta["licence_note"]
    assert "page" not in meta["columns"]  # no twins service's address given
