"""The per-user image's lock covers everything that is asked for."""

from __future__ import annotations

import re
from importlib.metadata import requires
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[2] / "images" / "singleuser"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(lines: list[str]) -> set[str]:
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(canonical(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0]))
    return names


def locked() -> dict[str, str]:
    pins = {}
    for line in (FOLDER / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonical(name)] = version
    return pins


def test_every_wished_and_project_package_is_pinned() -> None:
    wished = requirement_names((FOLDER / "requirements.in").read_text().splitlines())
    # The installed project's own dependencies (make reinstalls it when pyproject.toml changes).
    project = requirement_names([r for r in requires("echoes-vre") or [] if "extra ==" not in r])
    missing = sorted((wished | project) - set(locked()))
    assert not missing, f"not in the lock, run images/singleuser/lock.sh: {missing}"


def test_the_image_asks_for_the_user_side_stack() -> None:
    wished = requirement_names((FOLDER / "requirements.in").read_text().splitlines())
    stack = {"jupyterlab", "jupyterhub", "ipywidgets", "pandas", "xarray", "intake", "papermill"}
    stack |= {"voila", "matplotlib", "scikit-image", "netcdf4", "zarr"}
    assert stack <= wished


def test_the_readable_list_shows_every_pin() -> None:
    rows = re.findall(
        r"^\| \**([^|*]+?)\** \| ([^|]+) \|", (FOLDER / "packages.md").read_text(), re.M
    )
    listed = {canonical(name): version.strip() for name, version in rows[2:]}
    assert listed == locked()
