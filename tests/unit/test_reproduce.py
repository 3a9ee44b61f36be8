"""`echoes reproduce`: re-execution in a fresh kernel, a verdict, and seeded failures caught.

Every test runs real kernels: one `echoes run`, then `echoes reproduce` after seeding
one change (parameter, data file, unseeded random, package version, image).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from echoes.runs.execute import run
from echoes.runs.record import load_record, write_record
from echoes.runs.reproduce import DOES_NOT_REPRODUCE, REPRODUCES, reproduce
from tests.notebooks import one_cell_notebook, standalone_notebooks

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
NOTEBOOKS = ROOT / "notebooks"
ECHOES = str(Path(sys.executable).parent / "echoes")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "nb")
    return tmp_path / "nb"


def kinds(result) -> set[str]:
    return {r["kind"] for r in result.reasons}


def test_cli_reproduce_says_reproduces_and_writes_both_reports(work: Path) -> None:
    recorded = run(work / "painters.ipynb", parameters={"weight": 0.5}, progress=False)
    out = work / "review"
    done = subprocess.run(
        [ECHOES, "reproduce", str(recorded.record_path), "-o", str(out), "--no-progress"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{recorded.record_path}: reproduces" in done.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"] == REPRODUCES and report["reasons"] == []
    assert [c["status"] for c in report["cells"]] == ["same"] * 7
    html = (out / "report.html").read_text()
    assert ">reproduces</div>" in html and "<td>6</td>" in html
    assert (out / "reproduced.ipynb").is_file() and (out / "reproduced.run.json").is_file()


def test_sanitizers_forgive_timestamps_addresses_temp_paths_and_progress(work: Path) -> None:
    recorded = run(work / "seeded.ipynb", progress=False)
    result = reproduce(recorded.record_path, work / "review", progress=False)
    assert result.verdict == REPRODUCES, result.reasons
    clock = next(c for c in result.cells if "datetime" in c.source)
    bar = next(c for c in result.cells if "tqdm" in c.source)
    forgiven = {d.what for d in clock.differences}  # run at ..., scratch in ..., object()
    assert "equal after sanitizing temp-path, timestamp" in forgiven
    assert "equal after sanitizing memory-address" in forgiven
    assert bar.differences[0].what == "equal after sanitizing progress"
    assert {clock.status, bar.status} == {"sanitized"}


def test_a_changed_parameter_is_caught(work: Path) -> None:
    recorded = run(work / "seeded.ipynb", parameters={"seed": 1}, progress=False)
    record = load_record(recorded.record_path)
    record["parameters"]["seed"] = 2
    write_record(record, recorded.record_path)
    result = reproduce(recorded.record_path, work / "review", progress=False)
    assert result.verdict == DOES_NOT_REPRODUCE
    assert "parameter seed: the record says 2 but the output notebook ran with 1" in [
        r["message"] for r in result.reasons
    ]
    assert {c.index for c in result.cells if c.status == "differs"} == {3, 4}  # values, mean


def test_a_changed_data_file_is_caught_with_its_checksum_and_the_number_in_the_table(
    work: Path,
) -> None:
    recorded = run(work / "painters.ipynb", progress=False)
    csv = work / "data" / "painters.csv"
    csv.write_text(csv.read_text().replace("Raphael,17,18,12,18", "Raphael,17,18,12,14"))
    result = reproduce(recorded.record_path, work / "review", progress=False)
    assert result.verdict == DOES_NOT_REPRODUCE
    [data] = [r["message"] for r in result.reasons if r["kind"] == "data"]
    assert data.startswith(f"data painters ({csv.resolve()}): checksum, sha256 ")
    assert "file modified 20" in data
    table = result.cells[4]  # the HTML table: Raphael's score 16.25 became 15.25
    assert table.status == "differs"
    assert "16.25 became 15.25" in table.differences[0].what
    assert "16.25" in table.differences[0].diff


def test_an_unseeded_notebook_is_explained_as_not_deterministic(work: Path) -> None:
    recorded = run(work / "unseeded.ipynb", progress=False)
    result = reproduce(recorded.record_path, work / "review", progress=False)
    assert result.verdict == DOES_NOT_REPRODUCE
    [reason] = result.reasons
    assert reason["kind"] == "outputs" and "not deterministic" in reason["message"]
    assert "random seed" in reason["message"]


def test_a_package_version_changed_in_the_record_is_reported(work: Path) -> None:
    recorded = run(work / "seeded.ipynb", progress=False)
    record = load_record(recorded.record_path)
    now = record["environment"]["packages"]["nbformat"]["version"]
    record["environment"]["packages"]["nbformat"]["version"] = "4.0.0"
    write_record(record, recorded.record_path)
    result = reproduce(recorded.record_path, work / "review", progress=False)
    assert result.verdict == DOES_NOT_REPRODUCE
    [message] = [r["message"] for r in result.reasons if r["kind"] == "packages"]
    assert message.startswith(f"package nbformat: recorded 4.0.0, now {now} (installed 20")
    assert kinds(result) == {"packages"}  # outputs still the same, and said so
    assert all(c.status != "differs" for c in result.cells)


def test_a_different_image_is_reported(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECHOES_IMAGE", "echoes/singleuser:2026.10")
    recorded = run(work / "painters.ipynb", progress=False)
    monkeypatch.setenv("ECHOES_IMAGE", "echoes/singleuser:2026.11")
    result = reproduce(recorded.record_path, work / "review", progress=False)
    assert result.verdict == DOES_NOT_REPRODUCE
    assert result.reasons == [
        {
            "kind": "environment",
            "message": "image: recorded 'echoes/singleuser:2026.10', "
            "now 'echoes/singleuser:2026.11'",
        }
    ]


def test_a_published_notebook_without_record_is_compared_with_its_own_outputs(
    work: Path, tmp_path: Path
) -> None:
    recorded = run(work / "painters.ipynb", progress=False)
    published = tmp_path / "published"
    published.mkdir()
    shutil.copy(recorded.output, published / "painters.ipynb")
    shutil.copytree(work / "data", published / "data")
    os.chmod(published / "painters.ipynb", 0o444)  # the reviewer reads, never writes
    result = reproduce(published / "painters.ipynb", tmp_path / "review", progress=False)
    assert result.verdict == REPRODUCES, result.reasons
    assert result.record is None


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder other system users can pass through (pytest's own tmp is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="echoes-review-", dir="/tmp"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder)


SQUARES = (
    "from pathlib import Path\n"
    "Path('squares.txt').write_text(str([i * i for i in range(n)]))\n"
    "print(sum(i * i for i in range(n)))"
)


def as_nobody(home: Path, *args: str) -> subprocess.CompletedProcess:
    """`echoes ARGS` as the system user nobody, with `home` as their home and folder."""
    return subprocess.run(
        [ECHOES, *args],
        cwd=home,
        env={"HOME": str(home), "PATH": os.environ["PATH"]},
        user="nobody",
        group="nogroup",
        extra_groups=[],
        capture_output=True,
        text=True,
        check=False,
    )


def publish_as_root(author: Path, recorded, published: Path) -> Path:
    """What docs/reproduce.md has an administrator do: copy the run, readable by all."""
    published.mkdir(mode=0o755)
    for file in (recorded.output, recorded.record_path):
        shutil.copy(file, published / file.name)
        (published / file.name).chmod(0o644)
    return published / recorded.record_path.name


@pytest.mark.skipif(os.geteuid() != 0, reason="needs another system user (CI runs as root)")
def test_a_reviewer_is_told_which_recorded_file_they_cannot_read(shared_tmp: Path) -> None:
    author, reviewer = shared_tmp / "alice", shared_tmp / "rita"
    shutil.copytree(FIXTURES, author)
    author.chmod(0o700)
    recorded = run(author / "painters.ipynb", progress=False)
    record = publish_as_root(author, recorded, shared_tmp / "published")
    reviewer.mkdir(mode=0o700)
    shutil.chown(reviewer, "nobody", "nogroup")

    done = as_nobody(reviewer, "reproduce", str(record), "--no-progress")
    assert done.returncode == 1
    assert f"data painters ({author}/data/painters.csv): unreadable" in done.stdout
    done = as_nobody(reviewer, "crate", str(record))
    assert done.returncode == 1
    assert f"{author}/data/painters.csv: data file of the run is unreadable here" in done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs another system user (CI runs as root)")
def test_a_reviewer_reproduces_a_published_run_in_a_folder_of_their_own(shared_tmp: Path) -> None:
    """The author's folder (the run's cwd) is closed to the reviewer, user `nobody`: the run
    is re-executed in a new folder in the reviewer's home, or in the one `-w` names."""
    author, published, reviewer = (shared_tmp / n for n in ("alice", "published", "rita"))
    author.mkdir(mode=0o700)
    (author / "squares.ipynb").write_text(json.dumps(one_cell_notebook(SQUARES)))
    recorded = run(author / "squares.ipynb", parameters={"n": 4}, progress=False)
    publish_as_root(author, recorded, published)
    reviewer.mkdir(mode=0o700)
    shutil.chown(reviewer, "nobody", "nogroup")

    def as_reviewer(*args: str) -> subprocess.CompletedProcess:
        return as_nobody(reviewer, "reproduce", str(published / recorded.record_path.name), *args)

    done = as_reviewer("--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reproduces" in done.stdout
    [work] = (reviewer / "reproductions").iterdir()
    assert (work / "squares.txt").read_text() == "[0, 1, 4, 9]"
    assert (reviewer / "squares.out.reproduce" / "report.json").is_file()

    done = as_reviewer("--no-progress", "-w", str(reviewer / "here"), "-o", str(reviewer / "r2"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (reviewer / "here" / "squares.txt").read_text() == "[0, 1, 4, 9]"
    report = json.loads((reviewer / "r2" / "report.json").read_text())
    assert report["workdir"] == str(reviewer / "here")


def test_bad_input_names_the_file(tmp_path: Path) -> None:
    not_a_record = tmp_path / "x.run.json"
    not_a_record.write_text('{"hello": 1}')
    done = subprocess.run(
        [ECHOES, "reproduce", str(not_a_record)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert f"{not_a_record}: not a run record" in done.stderr


# Every real analysis in notebooks/ (built on branch `catalogs`) must reproduce. When the
# folder exists it must hold notebooks; they read the shared data (ECHOES_DATA_DIR, by
# default .echoes/heritage, built by the catalogs recipe).
# Notebooks that talk to hub services (metadata echoes.needs_hub) run in a user server in
# their own integration test instead.
REAL = standalone_notebooks(NOTEBOOKS)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", REAL or [None], ids=lambda p: p.name if p else "none")
def test_every_notebook_reproduces(
    notebook: Path | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if notebook is None:
        assert not NOTEBOOKS.exists(), "notebooks/ exists but holds no notebook"
        return
    data = Path(os.environ.get("ECHOES_DATA_DIR", ROOT / ".echoes" / "heritage"))
    assert data.is_dir(), f"{data}: build the shared data first (catalogs recipe)"
    monkeypatch.setenv("ECHOES_DATA_DIR", str(data))
    recorded = run(notebook, tmp_path / notebook.name, progress=False, cwd=NOTEBOOKS)
    record = recorded.record
    assert recorded.error is None, recorded.error
    assert record["environment"]["packages"] and record["environment"]["identity"]
    assert len(record["cells"]) >= 1 and record["finished"]
    result = reproduce(recorded.record_path, tmp_path / "review", progress=False)
    assert result.verdict == REPRODUCES, result.reasons
