"""Benchmark: `echoes run` and `echoes reproduce` against plain papermill and nbclient.

The same notebooks (the fixtures with a table, JSON, a PNG, a timestamp, a progress bar),
in the same process, rounds interleaved so that machine load hits all alike. Printed:
- run: `echoes run` / `papermill.execute_notebook` (goal under 1.2) and / plain nbclient;
- reproduce: `echoes reproduce` / plain nbclient (it executes once more, then compares);
- comparison cost: the comparison's time as a share of the re-execution (goal under 10%).
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from pathlib import Path

import nbformat
import papermill
import pytest
from nbclient import NotebookClient

from echoes.runs.execute import Run, run
from echoes.runs.reproduce import reproduce
from tests.benchmarks.report import ratio_line, summary

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"
NOTEBOOKS = ["painters.ipynb", "seeded.ipynb"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_and_reproduce_against_papermill_and_nbclient(name: str, tmp_path: Path) -> None:
    work = tmp_path / "nb"
    shutil.copytree(FIXTURES, work)
    notebook = work / name
    times: dict[str, list[float]] = {k: [] for k in ("nbclient", "papermill", "run", "repro")}
    compare_share: list[float] = []

    def plain_nbclient(i: int) -> None:
        nb = nbformat.read(notebook, as_version=4)
        NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": work}}).execute()
        nbformat.write(nb, work / f"nbclient-{i}.ipynb")

    def plain_papermill(i: int) -> None:
        out = str(work / f"papermill-{i}.ipynb")
        papermill.execute_notebook(str(notebook), out, progress_bar=False, cwd=str(work))

    def echoes_run(i: int) -> None:
        recorded[i] = run(notebook, work / f"run-{i}.ipynb", progress=False)

    recorded: dict[int, Run] = {}
    ways = [("nbclient", plain_nbclient), ("papermill", plain_papermill), ("run", echoes_run)]
    for i in range(ROUNDS):
        # A different order each round, so that no way always goes first after a pause.
        for key, way in ways[i % 3 :] + ways[: i % 3]:
            start = time.perf_counter()
            way(i)
            times[key].append(time.perf_counter() - start)
        start = time.perf_counter()
        result = reproduce(recorded[i].record_path, work / f"review-{i}", progress=False)
        times["repro"].append(time.perf_counter() - start)
        assert result.ok, result.reasons
        compare_share.append(result.timings["compare"] / result.timings["execute"])

    ratio_line(f"{name}: echoes run vs papermill", times["run"], times["papermill"], "papermill")
    ratio_line(f"{name}: echoes run vs nbclient", times["run"], times["nbclient"], "nbclient")
    ratio_line(
        f"{name}: echoes reproduce (execute + compare) vs nbclient",
        times["repro"],
        times["nbclient"],
        "nbclient",
    )
    print(
        f"[bench]   comparison / re-execution: median {statistics.median(compare_share):.2%} "
        f"(max {max(compare_share):.2%}); papermill alone {summary(times['papermill'])}"
    )
