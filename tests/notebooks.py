"""Which notebooks of notebooks/ run on their own, for the tests that run them all.

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
