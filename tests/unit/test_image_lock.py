"""The per-user image's lock (`make lock`; Binder installs it too) covers everything that is
asked for and pins every package with its hashes (the image installs with --require-hashes)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from images.singleuser.test_image import locked

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "images" / "singleuser"
LOCK = (FOLDER / "requirements.txt").read_text()


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(lines: list[str]) -> set[str]:
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(canonical(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0]))
    return names


def test_every_wished_and_project_package_is_pinned() -> None:
    wished = requirement_names((FOLDER / "requirements.in").read_text().splitlines())
    # The project's own dependencies, as make lock reads them (an editable install adds its own).
    project = requirement_names(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    missing = sorted((wished | project) - {canonical(name) for name in locked(LOCK)})
    assert not missing, f"not in the lock, run make lock: {missing}"


def test_the_image_asks_for_the_user_side_stack() -> None:
    wished = requirement_names((FOLDER / "requirements.in").read_text().splitlines())
    stack = {"jupyterlab", "jupyterhub", "ipywidgets", "pandas", "xarray", "intake", "papermill"}
    stack |= {"voila", "matplotlib", "scikit-image", "netcdf4", "zarr"}
    assert stack <= wished


def test_every_pin_has_its_hashes() -> None:
    # An entry is its `name==version \` line and the `--hash=` lines that follow it.
    entries = [e for e in re.split(r"^(?=[A-Za-z0-9])", LOCK, flags=re.M) if "==" in e]
    assert len(entries) == len(locked(LOCK)) > 100
    unhashed = [entry.split()[0] for entry in entries if "--hash=sha256:" not in entry]
    assert not unhashed, f"pins without hashes, run make lock: {unhashed}"


def test_binder_installs_the_same_lock() -> None:
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert [line for line in lines if not line.startswith("#")] == [
        "-r ../images/singleuser/requirements.txt"
    ]
