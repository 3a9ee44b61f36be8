"""A throwaway Oxigraph server (``oxigraph serve``, the `oxigraph` package's binary, a dev
dependency) on a free loopback port, over a fresh folder, stopped by its PID afterwards."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.hubclient import free_port_block, wait_for


def binary() -> str:
    """The `oxigraph` executable of this environment."""
    found = Path(sys.executable).parent / "oxigraph"
    return str(found) if found.exists() else (shutil.which("oxigraph") or "oxigraph")


@contextmanager
def oxigraph_server(timeout: float = 10) -> Iterator[str]:
    """Start a server whose queries stop after ``timeout`` s; yield its root URL."""
    folder = Path(tempfile.mkdtemp(prefix="echoes-oxigraph-"))
    port = free_port_block(1)
    process = subprocess.Popen(
        [
            binary(),
            "serve",
            "--location",
            str(folder),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout-s",
            f"{timeout:g}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:

        def answers() -> bool:
            try:
                return requests.get(url + "query?query=ASK{}", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(answers, 60, "the Oxigraph server", 0.2)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(folder, ignore_errors=True)
