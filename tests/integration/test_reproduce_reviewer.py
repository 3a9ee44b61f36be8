"""A reviewer re-runs someone else's published run, in JupyterLab terminals of real servers.

As root every user server runs as its own system user with a private home, so the author's
run folder is closed to the reviewer: that is the case `echoes reproduce` must handle.
Both people type the documented commands in a real terminal of their own server (terminado
over the hub's proxy), which also checks that the environment's `echoes`, `python` and
`pip` are on a terminal's PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.hubclient import HubSession, Terminal
from tests.notebooks import one_cell_notebook

pytestmark = [
    pytest.mark.slow,
    pytest.mark.shared_hub,
    pytest.mark.skipif(os.geteuid() != 0, reason="servers run as other users only as root"),
]

BIN = Path(sys.executable).parent
SQUARES = (
    "from pathlib import Path\n"
    "Path('squares.txt').write_text(str([i * i for i in range(n)]))\n"
    "print(sum(i * i for i in range(n)))"
)


def terminal(person: HubSession) -> Terminal:
    person.start_server()
    return Terminal(person.server_url(), person.new_token())


def test_a_terminal_finds_the_environments_echoes_python_and_pip(new_user) -> None:
    with terminal(new_user("term")) as shell:
        status, shown = shell.run("command -v echoes python pip")
    assert status == 0, shown
    for name in ("echoes", "python", "pip"):
        assert f"{BIN / name}\r\n" in shown, shown


def test_a_reviewer_reproduces_a_published_run_in_a_folder_of_their_own(hub, new_user) -> None:
    alice, rita = new_user("author"), new_user("reviewer")
    home = hub.state_dir / "homes" / alice.name
    with terminal(alice) as shell:
        (home / "squares.ipynb").write_text(json.dumps(one_cell_notebook(SQUARES)))
        shutil.chown(home / "squares.ipynb", f"echoes-{alice.name}")
        status, shown = shell.run("echoes run squares.ipynb -p n 4 --no-progress")
    assert status == 0, shown
    assert (home / "squares.txt").read_text() == "[0, 1, 4, 9]"

    # Publishing, as docs/reproduce.md says: an administrator copies the run, readable by all.
    published = hub.state_dir / "published" / alice.name
    for name in ("squares.out.ipynb", "squares.out.run.json"):
        done = os.system(f"install -D -m 0644 {home / name} {published / name}")
        assert done == 0
    record = published / "squares.out.run.json"

    with terminal(rita) as shell:
        status, shown = shell.run(f"ls {home}")
        assert status != 0 and "Permission denied" in shown  # the author's home is closed
        status, shown = shell.run(f"echoes reproduce {record} --no-progress")
    assert status == 0, shown
    assert f"{record}: reproduces" in shown
    reviewer_home = hub.state_dir / "homes" / rita.name
    [work] = (reviewer_home / "reproductions").iterdir()
    assert (work / "squares.txt").read_text() == "[0, 1, 4, 9]"
    report = json.loads((reviewer_home / "squares.out.reproduce" / "report.json").read_text())
    assert report["verdict"] == "reproduces" and report["workdir"] == str(work)
