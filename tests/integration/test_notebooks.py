"""Every notebook in notebooks/ runs with papermill, reading only through the catalogs, and
its key result holds. A notebook publishes its results as JSON in the cell tagged "results"."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import papermill
import pytest

from echoes_data import recipe
from tests.notebooks import standalone_notebooks

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = standalone_notebooks()


def tate(results: dict) -> None:
    # Run from 1995: the parameter really filters the records.
    assert results["first_year"] == 1995 and results["last_year"] == 2012
    assert 3000 < results["records"] < 4284
    assert results["top_artist"] == "Schütte, Thomas"
    assert results["largest_family"] == "print"


def pottery(results: dict) -> None:
    # Unsupervised k-means recovers the three regions of the kiln sites.
    assert results["specimens"] == 48
    assert results["region_accuracy"] >= 0.95
    assert results["adjusted_rand_regions"] >= 0.9


def coins(results: dict) -> None:
    assert results["coins"] == 24
    assert 35 < results["median_diameter_px"] < 55
    assert results["canvas"].endswith("/images/coins/canvas/1")


def climate(results: dict) -> None:
    assert results["months"] == 240
    assert results["warmest_month"] == 7 and results["coldest_month"] in (1, 2)
    assert 10 < results["annual_range_c"] < 16


#: notebook -> (parameters, check of its results); every notebook must be listed.
EXPECTED = {
    "tate_collection_over_time.ipynb": ({"first_year": 1995}, tate),
    "pottery_provenance.ipynb": ({"n_clusters": 3, "seed": 0}, pottery),
    "coin_segmentation.ipynb": ({}, coins),
    "castle_climate.ipynb": ({}, climate),
}


@pytest.fixture(scope="module")
def data_dir() -> Path:
    path = Path(os.environ.get("ECHOES_DATA_DIR") or REPO / ".echoes" / "heritage")
    return recipe.build(path)


def test_every_notebook_has_a_parameters_cell_and_an_expected_result():
    assert len(NOTEBOOKS) >= 3
    assert {n.name for n in NOTEBOOKS} == set(EXPECTED)
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        tags = [t for cell in nb.cells for t in cell.metadata.get("tags", [])]
        assert tags.count("parameters") == 1 and tags.count("results") == 1, path.name
        assert sum(c.cell_type == "markdown" for c in nb.cells) >= 3, path.name
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_papermill_and_its_key_result_holds(
    path, data_dir, tmp_path, monkeypatch
):
    parameters, check = EXPECTED[path.name]
    monkeypatch.setenv("ECHOES_DATA_DIR", str(data_dir))
    out = tmp_path / path.name
    papermill.execute_notebook(
        str(path),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    (cell,) = [c for c in nb.cells if "results" in c.metadata.get("tags", [])]
    (results,) = [o["data"]["application/json"] for o in cell.outputs if "data" in o]
    check(results)
    figures = [
        o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert figures, f"{path.name} made no plot"
