"""`echoes run`: a papermill run in a real kernel writes a complete run record."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from echoes.runs.execute import run
from echoes.runs.record import RECORD_SCHEMA, load_record, sha256_json

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"
ECHOES = [str(Path(sys.executable).parent / "echoes")]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A private copy of the fixture notebooks and their data."""
    shutil.copytree(FIXTURES, tmp_path / "nb")
    return tmp_path / "nb"


def test_cli_run_writes_output_and_a_complete_record(work: Path) -> None:
    out = work / "out" / "painters-run.ipynb"
    done = subprocess.run(
        [*ECHOES, "run", str(work / "painters.ipynb"), "-p", "weight", "2", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=work,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    record_path = out.with_name("painters-run.run.json")
    assert f"run record: {record_path}" in done.stdout
    record = load_record(record_path)
    assert record["schema"] == RECORD_SCHEMA

    # which notebook and which parameters (with their type)
    assert record["notebook"]["input"] == str((work / "painters.ipynb").resolve())
    assert record["parameters"] == {"weight": 2}
    assert record["notebook"]["output_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()

    # which data: the file the notebook opened, its checksum and its catalog entry
    [data] = record["data"]
    csv = (work / "data" / "painters.csv").resolve()
    assert data["path"] == str(csv)
    assert data["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert data["catalog_entry"] == "painters"
    assert data["recorded_sha256"] == data["sha256"]
    assert data["license"].startswith("public domain")

    # which software: the kernel's exact versions, and the environment's identity
    env = record["environment"]
    assert env["packages"]["papermill"]["version"] == importlib.metadata.version("papermill")
    assert env["packages"]["ipykernel"]["version"] == importlib.metadata.version("ipykernel")
    assert env["python"] == "{}.{}.{}".format(*sys.version_info[:3])
    assert env["identity"].startswith("python-")
    assert record["kernel"] == {"name": "python3", "language": "python"}

    # when, and each cell's outputs digest
    assert record["started"] <= record["finished"]
    assert record["error"] is None
    executed = nbformat.read(out, as_version=4)
    assert len(record["cells"]) == len(executed.cells)
    for item, cell in zip(record["cells"], executed.cells, strict=True):
        if cell.cell_type == "code":
            assert item["outputs_sha256"] == sha256_json(cell.outputs)
    # the parameter reached the notebook: weight 2 doubles Raphael's mean mark (16.25)
    assert "32.50" in json.dumps(executed.cells[4].outputs)


def test_run_as_a_python_call_records_the_image_from_the_environment(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOES_IMAGE", "echoes/singleuser:2026.11")
    result = run(work / "seeded.ipynb", parameters={"seed": 3}, progress=False)
    assert result.error is None
    assert result.output == work / "seeded.out.ipynb"
    assert result.record["environment"]["identity"] == "image:echoes/singleuser:2026.11"
    assert result.record["parameters"] == {"seed": 3}
    assert result.record["data"] == []  # reads nothing but code
    assert result.record["objects"] == []  # names no heritage object


def test_the_objects_a_notebook_names_by_iri_or_twin_call_are_found() -> None:
    from echoes.runs.record import objects_in

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell('echoes.twin("skulls/1") in prose is no code'),
            nbformat.v4.new_code_cell(
                "import echoes\n"
                "coin = echoes.twin('coins/7')\n"
                'pot = echoes.twin( "pottery/GA1" )\n'
                "ref = 'tate/21926'\n"
                "echoes.twin(ref)  # a variable: not named here\n"
                "# see urn:echoes:object:painters/da-vinci.\n"
                "again = twin('coins/7')"
            ),
        ]
    )
    parameters = {"compare_with": "urn:echoes:object:rock-art/6", "n": 3}
    assert objects_in(nb, parameters) == [
        "urn:echoes:object:coins/7",
        "urn:echoes:object:painters/da-vinci",
        "urn:echoes:object:pottery/GA1",
        "urn:echoes:object:rock-art/6",
    ]
    assert objects_in(nb, {"path": "coins/7"}) == objects_in(nb, {})  # not a twin's IRI


def test_a_failing_cell_is_recorded_and_the_cli_fails(work: Path) -> None:
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("1 / 0")],
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "P"}},
    )
    nbformat.write(nb, work / "broken.ipynb")
    done = subprocess.run(
        [*ECHOES, "run", str(work / "broken.ipynb"), "--no-progress"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "ZeroDivisionError" in done.stderr
    record = load_record(work / "broken.out.run.json")
    assert "ZeroDivisionError" in record["error"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such notebook"), ("{not json", "not a readable notebook")],
)
def test_bad_input_names_the_file(work: Path, content: str | None, message: str) -> None:
    path = work / "bad.ipynb"
    if content is not None:
        path.write_text(content)
    done = subprocess.run([*ECHOES, "run", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert str(path) in done.stderr and message in done.stderr


@pytest.mark.parametrize("data_name", ["pottery_file", "pottery-file", "céramique"])
def test_intake2_catalog_entries_named_in_code_are_recorded(tmp_path: Path, data_name) -> None:
    """Arrow opens Parquet outside Python's sight: the entry's name in the code suffices.
    The data item's name is any that Intake reads, not only a Python word."""
    from echoes.runs.record import data_entries, names_in

    (tmp_path / "arch").mkdir()
    table = tmp_path / "arch" / "pottery.parquet"
    table.write_bytes((FIXTURES / "data" / "painters.csv").read_bytes())
    sha = hashlib.sha256(table.read_bytes()).hexdigest()
    (tmp_path / "arch" / "catalog.yaml").write_text(
        "version: 2\n"
        "data:\n"
        f"  {data_name}:\n"
        "    datatype: intake.readers.datatypes:Parquet\n"
        "    kwargs: {url: '{CATALOG_DIR}/pottery.parquet'}\n"
        "entries:\n"
        "  pottery:\n"
        "    reader: intake.readers.readers:PandasParquet\n"
        f"    kwargs: {{args: ['{{data({data_name})}}']}}\n"
        f"    metadata: {{sha256: {sha}, licence: GPL-3.0-only, citation: Tubb et al. 1980}}\n"
    )
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("df = echoes.catalog().arch.read().pottery.read()")]
    )
    [entry] = data_entries([], names_in(nb, {}), [tmp_path])
    assert entry["path"] == str(table.resolve()) and entry["how"] == "named"
    assert entry["catalog_entry"] == "pottery"
    assert entry["sha256"] == entry["recorded_sha256"] == sha
    assert (entry["license"], entry["source"]) == ("GPL-3.0-only", "Tubb et al. 1980")
    # nothing named, nothing opened: nothing recorded
    assert data_entries([], names_in(nb, {}) - {"pottery"}, [tmp_path]) == []


def test_cli_parameter_values_are_typed() -> None:
    from echoes.runs.cli import _value

    texts = ["2", "0.5", "1e-3", "true", "null", "[1, 2]", "Raphael", "data/x.csv"]
    assert [_value(t) for t in texts] == [
        2,
        0.5,
        0.001,
        True,
        None,
        [1, 2],
        "Raphael",
        "data/x.csv",
    ]


def test_caches_settings_and_code_are_not_data(tmp_path: Path) -> None:
    from echoes.runs.record import is_data

    data, home = tmp_path / ".echoes" / "heritage", tmp_path / "home"
    roots = [data, home]
    assert is_data(data / "archaeometry" / "pottery.parquet", roots)
    assert is_data(home / "work" / "finds.csv", roots)
    assert not is_data(home / ".cache" / "matplotlib" / "fontlist-v390.json", roots)
    assert not is_data(home / "work" / ".ipynb_checkpoints" / "finds.csv", roots)
    assert not is_data(home / "venv" / "lib" / "site-packages" / "x" / "data.json", roots)
    assert not is_data(home / "work" / "helpers.py", roots)
    assert not is_data(tmp_path / "elsewhere.csv", roots)
