"""Two distributions: the user side (the repository's root: echoes, echoes_data and the
JupyterLab extension), which the per-user image installs, and the hub side (hub/: the
package echoes_hub), which it does not. Each ships every package of its folders under its
import name, and editable installs map the names to the source tree (hatch_build.py)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]


def wheel_config(project: Path) -> dict:
    config = tomllib.loads((project / "pyproject.toml").read_text())
    return config["tool"]["hatch"]["build"]["targets"]["wheel"]


USER_SIDE = wheel_config(ROOT)
#: import name -> folder, for both distributions.
PACKAGES = {
    **{name: ROOT / folder for folder, name in USER_SIDE["sources"].items()},
    wheel_config(ROOT / "hub")["hooks"]["custom"]["package"]: ROOT / "hub",
}


def test_every_included_folder_of_the_user_side_has_its_package_name():
    assert set(USER_SIDE["only-include"]) == set(USER_SIDE["sources"])
    assert "hub" not in USER_SIDE["only-include"]


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_every_package_folder_is_imported_from_the_source_tree(name):
    folder = PACKAGES[name]
    inits = sorted(folder.rglob("__init__.py"))
    assert inits, folder
    for init in inits:
        relative = init.parent.relative_to(folder)
        module = importlib.import_module(".".join([name, *relative.parts]))
        assert Path(module.__file__) == init, f"{module.__name__} is not {init}"


def test_the_hubs_wheel_is_the_package_echoes_hub_and_nothing_else(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), "./hub"],
        cwd=ROOT,
        check=True,
    )
    [wheel] = tmp_path.glob("echoes_vre_hub-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.split("/")[0] for n in names if not n.startswith("echoes_vre_hub-")}
    assert shipped == {"echoes_hub"}
    assert "echoes_hub/services/base/app.py" in names
    assert "echoes_hub/jupyterhub_config.py" in names
    assert not any(n.endswith(("pyproject.toml", ".pyc")) for n in names)


def test_a_command_of_a_side_not_installed_says_so(monkeypatch):
    """In a user image `echoes up` names the missing hub side instead of a traceback."""
    from echoes import cli

    monkeypatch.setitem(cli.COMMANDS, "up", ("echoes_absent_side.app:main", "start the hub"))
    with pytest.raises(SystemExit) as stopped:
        cli.main(["up"])
    assert "echoes_absent_side is not installed here" in str(stopped.value)


def _required_distributions(roots: list[str]) -> set[str]:
    """`roots` and every distribution they require, with extras and markers, as installed."""
    found: set[str] = set()
    todo = [Requirement(root) for root in roots]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:  # a marker that pip evaluated otherwise (a platform's)
            continue
        found.add(name)
        for line in requires:
            needed = Requirement(line)
            extras = requirement.extras or {""}
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in extras):
                todo.append(needed)
    return found


def test_what_running_imports_comes_with_what_make_up_installs():
    """`make up` installs echoes-vre and echoes-vre-hub without the group `dev`: no module of
    theirs may import a development tool (pytest, Playwright...) or anything else they do
    not require."""
    runtime = _required_distributions(["echoes-vre", "echoes-vre-hub"])
    providers = packages_distributions()
    missing = {}
    for folder in PACKAGES.values():
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for top in {name.split(".")[0] for name in names}:
                    if top in sys.stdlib_module_names or top in PACKAGES:
                        continue
                    dists = {canonicalize_name(d) for d in providers.get(top, [])}
                    if not dists & runtime:
                        missing[f"{path.relative_to(ROOT)}: {top}"] = sorted(dists)
    assert not missing, missing
