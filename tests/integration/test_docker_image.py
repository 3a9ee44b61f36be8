"""The per-user image: its contract checked inside real containers of it.

Needs a Docker engine and the image `make image` builds (`make test` builds it).
Outside CI they skip when either is missing; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

IMAGE = os.environ.get("ECHOES_IMAGE", "echoes/singleuser:latest")
CONTRACT = ["python", "/opt/echoes-image/test_image.py"]

pytestmark = pytest.mark.slow


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=check, timeout=300
    )


@pytest.fixture(scope="module")
def image() -> dict:
    """The image's metadata; skips (fails in CI) without an engine or the image."""
    problem = None
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode:
        problem = "no Docker engine answers (as root, `make docker-engine` starts one)"
    else:
        found = docker("image", "inspect", IMAGE, check=False)
        if found.returncode:
            problem = f"image {IMAGE} is missing (`make image` builds it)"
        else:
            return json.loads(found.stdout)[0]
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs the container tests: {problem}")
    pytest.skip(problem)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "heritage"
    data.mkdir()
    (data / "README.txt").write_text("shared heritage data\n")
    data.chmod(0o755)
    return data


def test_every_pinned_package_imports_as_the_user_with_data_read_only(
    image: dict, data_dir: Path
) -> None:
    result = docker(
        "run", "--rm", "-v", f"{data_dir}:/srv/heritage:ro", IMAGE, *CONTRACT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "image contract holds" in result.stdout
    assert "ok    jupyterhub-singleuser --version" in result.stdout


def test_the_contract_catches_writable_shared_data(image: dict, data_dir: Path) -> None:
    # The same check with the data mounted read-write must fail: the test can fail.
    data_dir.chmod(0o777)
    mount = f"{data_dir}:/srv/heritage"
    result = docker("run", "--rm", "-v", mount, IMAGE, *CONTRACT, "user", "data", check=False)
    assert result.returncode == 1
    assert "FAIL  /srv/heritage is not writable" in result.stdout


def test_the_image_runs_the_server_as_a_non_root_user_by_default(image: dict) -> None:
    config = image["Config"]
    assert config["User"] == "1000"
    assert config["WorkingDir"] == "/home/jovyan"
    assert config["Cmd"] == ["jupyterhub-singleuser"]
    assert config["Labels"]["org.echoes.inputs"]
    whoami = docker("run", "--rm", IMAGE, "sh", "-c", 'echo "$(id -un) $HOME"').stdout
    assert whoami.split() == ["jovyan", "/home/jovyan"]
