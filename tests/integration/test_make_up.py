"""`make up` as the README says, in a fresh clone; and a failed start leaves nothing running.

The clone is of this repository's committed HEAD, with nothing reused: `make up` makes the
virtual environment, installs the Node packages, builds the JupyterLab extension and the
shared data, and starts the hub with default settings (no --state; only ECHOES_PORT set).
It takes minutes (the pip and npm caches make it faster); the time is printed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.hubclient import Hub, HubSession, free_port_block, make_state_dir, wait_for
from tests.integration.conftest import STATE_ROOT

REPO = Path(__file__).resolve().parents[2]
SUMMARY = "ECHOES VRE is running at "


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


class MakeUp:
    """`make up` running in a clone, in a process group of its own (make and the hub)."""

    def __init__(self, clone: Path, port: int) -> None:
        self.clone = clone
        self.port = port
        self.url = f"http://localhost:{port}"
        self.state_dir = clone / ".echoes"
        self.output = clone.parent / "make-up.out"
        # What a new user's shell has: no ECHOES_* or JUPYTERHUB_* settings but the port.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ECHOES_", "JUPYTERHUB_"))}
        env["ECHOES_PORT"] = str(port)
        with open(self.output, "w") as out:
            self.proc = subprocess.Popen(
                ["make", "up"],
                cwd=clone,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def running(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"make up exited ({self.proc.returncode}):\n{self.text()[-4000:]}")
        return SUMMARY in self.text()

    def stop(self) -> None:
        """Stop make and the hub (their process group), then the proxy the hub left."""
        hub = _pid_in(self.state_dir / "jupyterhub.pid")
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(60)
        if hub is not None:
            wait_for(lambda: not _alive(hub), 60, "the hub to stop")
        proxy = _pid_in(self.state_dir / "jupyterhub-proxy.pid")
        if proxy is not None and _alive(proxy):
            os.kill(proxy, signal.SIGTERM)


@pytest.fixture(scope="module")
def make_up() -> Iterator[MakeUp]:
    STATE_ROOT.mkdir(mode=0o711, exist_ok=True)
    # Traversable by the system users that run user servers (they run the clone's venv).
    folder = make_state_dir(STATE_ROOT)
    clone = folder / "echoes-vre"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    head = ["git", "rev-parse", "HEAD"]
    assert subprocess.run(head, cwd=clone, capture_output=True, text=True).stdout == (
        subprocess.run(head, cwd=REPO, capture_output=True, text=True).stdout
    )
    started = time.monotonic()
    running = MakeUp(clone, free_port_block(5))
    try:
        wait_for(running.running, 1800, "make up to start the hub", interval=2)
        print(f"\nmake up in a fresh clone: {time.monotonic() - started:.0f} s", file=sys.stderr)
        yield running
    finally:
        running.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_make_up_in_a_fresh_clone_serves_the_hub_and_its_services(make_up):
    text = make_up.text()
    # The terminal ends with the summary, not the log.
    hub_part = text[text.index("==> starting the hub") :]
    assert len(hub_part.splitlines()) < 25, hub_part
    state = make_up.clone / ".echoes"
    assert f"{SUMMARY}{make_up.url}/" in hub_part
    assert f"Log:   {state / 'hub.log'}" in hub_part
    assert f"State: {state}" in hub_part
    password = re.search(r"One-time password: (\S+)", hub_part).group(1)

    # The administrator logs in through the form with the printed password.
    hub = Hub(state, port=make_up.port)
    admin = HubSession(hub, "admin", password)
    admin.login()
    assert admin.is_logged_in()
    token = {"Authorization": f"token {admin.new_token()}"}
    assert requests.get(f"{make_up.url}/hub/api/", timeout=30).status_code == 200
    annotations = requests.get(hub.service_url("annotations"), headers=token, timeout=30)
    assert annotations.status_code == 200, annotations.text[:300]
    apps = requests.get(f"{hub.service_url('apps')}api/apps", headers=token, timeout=30)
    assert apps.status_code == 200, apps.text[:300]

    # No service exited, and the full log is in the state folder, private.
    log = (state / "hub.log").read_text()
    assert not re.search(r"Service \S+ exited|exited \(\d+\); starting it again", text + log)
    assert (state / "hub.log").stat().st_mode & 0o777 == 0o600
    assert password not in log


def test_make_up_installs_what_running_needs_and_nothing_else(make_up):
    """No development tools (pyproject.toml's group dev) and none of the Node packages that
    built the JupyterLab extension: `make test` adds them (make install-dev)."""
    clone = make_up.clone
    assert (clone / "node_modules/.bin/configurable-http-proxy").exists()
    assert (clone / ".venv/share/jupyter/labextensions/echoes-vre-lab/package.json").exists()
    assert not (clone / "extensions/labextension/node_modules").exists()
    for tool in ("pytest", "ruff", "playwright", "uv"):
        assert not (clone / ".venv/bin" / tool).exists(), tool


@pytest.fixture
def failing_hub() -> Iterator[Hub]:
    STATE_ROOT.mkdir(mode=0o711, exist_ok=True)
    hubs: list[Hub] = []

    def factory(args: list[str] = ()) -> Hub:
        hubs.append(Hub(make_state_dir(STATE_ROOT), args=args))
        return hubs[-1]

    yield factory
    for hub in hubs:
        hub.stop()
        hub.kill_leftovers()
        shutil.rmtree(hub.state_dir, ignore_errors=True)


def _assert_nothing_left(hub: Hub) -> None:
    wait_for(lambda: hub.proc.poll() is not None, 60, "the hub to exit")
    assert hub.proc.returncode != 0
    # Public proxy, its API, the hub, the annotation service: nobody listens any more.
    ports = [hub.port, hub.port + 1, hub.port + 4]
    wait_for(lambda: not any(_listening(p) for p in ports), 30, f"ports {ports} to be free")
    assert "The hub did not start: see " in hub.terminal()


def test_a_start_that_fails_after_the_proxy_started_leaves_nothing_running(failing_hub):
    hub = failing_hub()
    with socket.socket() as taken:  # the hub's own port, needed after the proxy started
        taken.bind(("127.0.0.1", hub.port + 2))
        taken.listen()
        with pytest.raises(RuntimeError, match="the hub exited"):
            hub.start()
        _assert_nothing_left(hub)


def test_a_service_that_cannot_start_leaves_nothing_running(failing_hub):
    broken = "--AnnotationsService.database_url=sqlite:////nonexistent/annotations.sqlite"
    hub = failing_hub([broken])
    with pytest.raises(RuntimeError, match="the hub exited"):
        hub.start(timeout=180)
    _assert_nothing_left(hub)
    # The annotation service's own error is in the log the terminal names.
    assert "unable to open database file" in hub.log()
