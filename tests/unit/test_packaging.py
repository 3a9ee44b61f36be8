"""The distribution ships every package of the source tree under its import name
(hatchling `sources` in pyproject; editable installs map them with hatch_build.py)."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
WHEEL = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"][
    "wheel"
]


def test_every_included_folder_has_its_package_name():
    assert set(WHEEL["only-include"]) == set(WHEEL["sources"])


def test_every_package_folder_is_imported_from_the_source_tree():
    for folder, name in WHEEL["sources"].items():
        inits = sorted((ROOT / folder).rglob("__init__.py"))
        assert inits, folder
        for init in inits:
            relative = init.parent.relative_to(ROOT / folder)
            module = importlib.import_module(".".join([name, *relative.parts]))
            assert Path(module.__file__) == init, f"{module.__name__} is not {init}"
