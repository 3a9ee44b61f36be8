"""Binder: the environment built from binder/ alone runs every notebook of the repository.

SLOW (one to four minutes): like repo2docker, it creates one fresh virtual environment,
installs binder/requirements.txt into it (pip's cache makes this fast after the first
time, as the data build's cache does for the data), runs binder/postBuild from a copy of
the repository, then runs every notebook in notebooks/ and tests/fixtures/notebooks/ with
`echoes run` through binder/start.
Nothing from the development environment is used but the Python interpreter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from echoes_data import recipe
from tests.notebooks import standalone_notebooks

ROOT = Path(__file__).parents[2]


def _copy_repository(target: Path) -> None:
    """The files git knows of (committed or not, never ignored ones), as Binder clones."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.mark.slow
def test_binder_environment_runs_every_notebook(tmp_path: Path) -> None:
    repo, venv, home = tmp_path / "repo", tmp_path / "venv", tmp_path / "home"
    _copy_repository(repo)
    home.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_PROGRESS_BAR": "off",
        "PIP_NO_COMPILE": "1",  # bytecode is written on first import anyway
        "NPM_CONFIG_CACHE": os.environ.get("NPM_CONFIG_CACHE", str(Path.home() / ".npm")),
        # The data build's cache, as pip's: a build of the same fingerprint is copied.
        "ECHOES_DATA_CACHE": str(recipe.cache_dir()),
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith(("PIP_INDEX", "PIP_EXTRA"))})

    def sh(*command: str, cwd: Path = repo) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    sh("python", "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt")
    sh("bash", "binder/postBuild")
    # The package came from the copy, not from the development tree.
    where = sh("python", "-c", "import echoes.runs; print(echoes.runs.__file__)").stdout
    assert where.startswith(str(venv)), where
    # JupyterLab on Binder gets our extension, prebuilt.
    assert (venv / "share/jupyter/labextensions/echoes-vre-lab/package.json").is_file()

    notebooks = standalone_notebooks(repo / "notebooks")
    assert notebooks or not (repo / "notebooks").exists()
    notebooks += sorted((repo / "tests" / "fixtures" / "notebooks").glob("*.ipynb"))
    for notebook in notebooks:
        out = tmp_path / "out" / notebook.name
        sh(
            str(repo / "binder" / "start"),
            "echoes",
            "run",
            str(notebook),
            "-o",
            str(out),
            "--no-progress",
            cwd=notebook.parent,
        )
        assert out.with_name(out.stem + ".run.json").is_file()
