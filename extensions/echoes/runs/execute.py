"""`echoes run`: execute a notebook with papermill and write its run record beside it.

Papermill does the execution (parameters cell, progress bar, output written as cells
finish); an engine of ours adds one thing: before the first cell it sends the run's
tracer (see `record.py`) to the fresh kernel as a silent request.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.utils import merge_kwargs, remove_args

from . import record as rec

ENGINE = "echoes"


class TracingClient(PapermillNotebookClient):
    """Papermill's client, which first runs `tracer` silently in the kernel."""

    def __init__(self, nb_man: Any, tracer: str, **kw: Any) -> None:
        super().__init__(nb_man, **kw)
        self.tracer = tracer

    def papermill_execute_cells(self) -> None:
        if self.kc is not None and self.nb.metadata.get("kernelspec", {}).get(
            "language", "python"
        ).startswith("python"):
            reply = self.wait_for_reply(self.kc.execute(self.tracer, silent=True))
            if reply is None or reply["content"]["status"] != "ok":
                raise RuntimeError(f"the run tracer failed in the kernel: {reply}")
        super().papermill_execute_cells()


class TracingEngine(NBClientEngine):
    @classmethod
    def execute_managed_notebook(  # type: ignore[override]
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        **kwargs: Any,
    ) -> Any:
        # The same argument handling as papermill's NBClientEngine, plus the tracer.
        tracer = kwargs.pop("tracer")
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        return TracingClient(nb_man, tracer, **final_kwargs).execute()


papermill_engines.register(ENGINE, TracingEngine)


@dataclass
class Run:
    """A finished run: where its output and record are, and the record itself."""

    output: Path
    record_path: Path
    record: dict[str, Any]
    error: str | None


def default_output(notebook: Path) -> Path:
    return notebook.with_name(notebook.stem + ".out.ipynb")


def data_roots(notebook: Path, cwd: Path) -> list[Path]:
    """Where a notebook's data can come from: the shared data folder, its folder, cwd."""
    roots = [notebook.resolve().parent, cwd.resolve()]
    if os.environ.get("ECHOES_DATA_DIR"):
        roots.insert(0, Path(os.environ["ECHOES_DATA_DIR"]).resolve())
    return list(dict.fromkeys(roots))


def run(
    notebook: str | Path,
    output: str | Path | None = None,
    parameters: dict[str, Any] | None = None,
    *,
    kernel_name: str | None = None,
    progress: bool = True,
    cwd: str | Path | None = None,
) -> Run:
    """Execute `notebook` with papermill, write `output` and its run record beside it.

    A failing cell does not raise: the output notebook then holds the traceback, the
    record says which cell failed (`error`), and `Run.error` has the message.
    """
    notebook = Path(notebook)
    if not notebook.is_file():
        raise FileNotFoundError(f"{notebook}: no such notebook")
    try:
        source = nbformat.read(notebook, as_version=4)
    except (ValueError, nbformat.ValidationError) as error:
        raise ValueError(f"{notebook}: not a readable notebook: {error}") from error
    output = Path(output) if output else default_output(notebook)
    output.parent.mkdir(parents=True, exist_ok=True)
    parameters = dict(parameters or {})
    cwd = Path(cwd) if cwd else notebook.resolve().parent
    roots = data_roots(notebook, cwd)

    with tempfile.TemporaryDirectory(prefix="echoes-run-") as tmp:
        trace = Path(tmp) / "trace.jsonl"
        started = time.time()
        error = None
        try:
            papermill.execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                engine_name=ENGINE,
                kernel_name=kernel_name,
                progress_bar=progress,
                cwd=str(cwd),
                tracer=rec.tracer_code(trace, roots),
            )
        except PapermillExecutionError as failure:
            error = f"cell {failure.exec_count}: {failure.ename}: {failure.evalue}"
        finished = time.time()
        environment, reads = rec.read_trace(trace)

    executed = nbformat.read(output, as_version=4)
    kernelspec = executed.metadata.get("kernelspec", {})
    record = {
        "schema": rec.RECORD_SCHEMA,
        "notebook": {
            "input": str(notebook.resolve()),
            "input_sha256": rec.sha256_file(notebook),
            "output": output.name,
            "output_sha256": rec.sha256_file(output),
            "cells": len(source.cells),
        },
        "parameters": parameters,
        "agent": rec.agent(),
        "cwd": str(cwd.resolve()),
        "data_roots": [str(r) for r in roots],
        "kernel": {"name": kernelspec.get("name"), "language": kernelspec.get("language")},
        "environment": {
            "identity": rec.environment_identity(environment) if environment else None,
            **environment,
        },
        "data": rec.data_entries(reads, rec.names_in(source, parameters), roots),
        "objects": rec.objects_in(source, parameters),
        "started": rec.iso(started),
        "finished": rec.iso(finished),
        "duration_s": round(finished - started, 3),
        "error": error,
        "cells": rec.cell_digests(executed),
    }
    record_path = rec.record_path_for(output)
    rec.write_record(record, record_path)
    return Run(output=output, record_path=record_path, record=record, error=error)
