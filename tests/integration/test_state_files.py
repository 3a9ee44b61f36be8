"""What user code can read of the state folder: the shared data (with the harvested
collections' catalog, open data too) and its own home, nothing else.

As root each user's server runs as the system user `echoes-<name>` and each author's apps
as `echoesapp-<author>`. From a real kernel and from a published app's notebook, every file
and folder under the state folder is tried (the list made by the test, as root): no
database (or its -wal/-shm), secret, token, log, pid file, other home or other author's
snapshot may be read or listed. The hub starts on a state folder holding files an older
version left world-readable, which the start must close.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.hubclient import Hub, HubSession, Kernel, make_state_dir
from tests.integration.conftest import STATE_ROOT, _stop_leftovers, add_user, login_admin
from tests.integration.test_apps_service import (
    POTTERY,
    app_url,
    publish,
    publish_notebook,
)
from tests.notebooks import one_cell_notebook

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="servers run as other system users only as root (CI runs as root)"
)

#: Left by an older version, 0644: a deployment config (may hold passwords) and a log.
LEFT_BY_OLDER_VERSIONS = ("echoes_config.py", "old-hub.log")


def probe_code(paths: list[Path]) -> str:
    """Code that tries to read each file (or list each folder) of `paths` and prints
    `READABLE <index>` for each one it could."""
    return (
        "import os\n"
        f"for i, p in enumerate({json.dumps([str(p) for p in paths])}):\n"
        "    try:\n"
        "        os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(1)\n"
        "        print('READABLE', i)\n"
        "    except OSError:\n"
        "        pass\n"
    )


def readable(output: str, paths: list[Path]) -> set[Path]:
    return {paths[int(i)] for i in re.findall(r"READABLE (\d+)", output)}


def everything_under(state: Path) -> list[Path]:
    return [state, *sorted(state.rglob("*"))]


def is_under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    STATE_ROOT.mkdir(mode=0o711, exist_ok=True)
    state = make_state_dir(STATE_ROOT)
    for name in LEFT_BY_OLDER_VERSIONS:
        (state / name).write_text("# left by an older version\n")
        (state / name).chmod(0o644)
    # The shared data, readable by everyone (the hub creates the folder, `make data` fills it).
    (state / "heritage").mkdir(mode=0o755)
    (state / "heritage" / "BUILD.json").write_text("{}")
    hub = Hub(state)
    try:
        yield hub.start()
    finally:
        _stop_leftovers(hub)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def people(hub) -> tuple[HubSession, HubSession]:
    admin = login_admin(hub)
    reader, other = add_user(hub, admin, "reader"), add_user(hub, admin, "other")
    for person in (reader, other):
        person.start_server()
    # Another user's home holds a file, and an app of theirs a snapshot.
    with Kernel(other.server_url(), other.new_token()) as kernel:
        kernel.execute("open('notes.txt', 'w').write('private')")
    result = publish(hub, other, POTTERY, "others-app", "public")
    assert result.returncode == 0, result.stderr
    return reader, other


def test_a_kernel_reads_only_the_shared_data_and_its_own_home(hub, people):
    reader, other = people
    state = hub.state_dir
    with Kernel(reader.server_url(), reader.new_token()) as kernel:
        kernel.execute("open('mine.txt', 'w').write('mine')")
        paths = everything_under(state)
        got = readable(kernel.execute(probe_code(paths)), paths)

    own_home = state / "homes" / reader.name
    data = state / "heritage"
    assert own_home / "mine.txt" in got and data / "BUILD.json" in got  # the probe works
    # What must be there to be tried: databases, secrets, logs, another home, snapshots.
    for name in ("jupyterhub.sqlite", "annotations.sqlite", "jupyterhub_cookie_secret"):
        assert state / name in paths
    for path in ("proxy_auth_token", "hub.log", "apps/apps.sqlite", *LEFT_BY_OLDER_VERSIONS):
        assert state / path in paths
    assert state / "homes" / other.name / "notes.txt" in paths
    assert any(is_under(p, state / "apps" / "snapshots" / other.name) for p in paths)
    shared = [data, state / "harvested"]  # the harvested collections' catalog is open data
    leaked = sorted(p for p in got if not any(is_under(p, f) for f in [own_home, *shared]))
    assert not leaked, f"{reader.name}'s kernel could read: {leaked}"


def test_a_published_app_reads_only_the_shared_data_and_its_own_files(hub, people, tmp_path):
    reader, _ = people
    state = hub.state_dir
    paths = everything_under(state)
    notebook = one_cell_notebook(probe_code(paths))
    publish_notebook(hub, reader, notebook, tmp_path, "probe", "public")

    # An anonymous visitor opens the public app: its code runs as the author's apps account.
    page = requests.get(app_url(hub, reader.name, "probe"), timeout=240)
    assert page.status_code == 200, page.text[:300]
    got = readable(page.text, paths)
    data = state / "heritage"
    own = [state / "apps" / d / reader.name for d in ("snapshots", "run")]
    assert data / "BUILD.json" in got  # the probe works
    shared = [data, state / "harvested"]  # the harvested collections' catalog is open data
    leaked = sorted(p for p in got if not any(is_under(p, f) for f in [*shared, *own]))
    assert not leaked, f"{reader.name}'s app could read: {leaked}"
