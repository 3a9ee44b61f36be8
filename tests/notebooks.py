"""Notebooks for the tests: which of notebooks/ run on their own, for the tests that run
them all, and the one-cell notebook the tests publish, open or save.

A notebook whose metadata says `"echoes": {"needs_hub": true}` talks to hub services (for
example the annotation service); it runs in a real user server in its own integration test.
"""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def needs_hub(notebook: Path) -> bool:
    return bool(json.loads(notebook.read_text())["metadata"].get("echoes", {}).get("needs_hub"))


def standalone_notebooks(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The notebooks of `folder` that need no hub, sorted by name."""
    return sorted(nb for nb in folder.glob("*.ipynb") if not needs_hub(nb))


def one_cell_notebook(source: str = "print('hello')") -> dict:
    """A notebook (nbformat 4.5) of one code cell for the python3 kernel."""
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    return {
        "cells": [{**cell, "source": source}],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
