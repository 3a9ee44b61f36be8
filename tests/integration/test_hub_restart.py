"""A hub restart interrupts nobody: the new hub adopts the proxy that kept running, and
servers, kernels, cookies and tokens survive a stop (SIGTERM) or a crash (SIGKILL).

A person has an open kernel websocket and a probe asks for their server through the proxy
every 0.5 s while the hub is stopped and started again. The tests share one hub of this
module's own, which each of them stops and starts (each with a person of its own).
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.hubclient import Kernel, wait_for
from tests.integration.conftest import add_user, login_admin


@pytest.fixture(scope="module")
def restarted_hub(hub_factory_module):
    return hub_factory_module()


class Probe(threading.Thread):
    """GET `url` every 0.5 s; record (time, status code or the error's name)."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.headers = {"Authorization": f"token {token}"}
        self.outcomes: list[tuple[float, int | str]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                outcome: int | str = requests.get(
                    self.url, headers=self.headers, timeout=5
                ).status_code
            except requests.RequestException as e:
                outcome = type(e).__name__
            self.outcomes.append((time.monotonic(), outcome))
            self.done.wait(0.5)

    def between(self, start: float, end: float) -> list[int | str]:
        return [outcome for t, outcome in self.outcomes if start <= t <= end]


def test_a_hub_restart_keeps_the_proxy_connections_and_websockets(restarted_hub):
    hub = restarted_hub
    person = add_user(hub, login_admin(hub), "steady")
    person.start_server()
    token = person.new_token()
    proxy_pid = (hub.state_dir / "jupyterhub-proxy.pid").read_text().strip()
    kernel = Kernel(person.server_url(), token)
    probe = Probe(person.server_url() + "api/status", token)
    try:
        kernel.execute("before = 20")
        probe.start()
        wait_for(lambda: len(probe.outcomes) >= 2, 30, "the probe's first answers")
        began = time.monotonic()
        hub.stop(signal.SIGTERM)
        stopped = time.monotonic()
        hub.start()
        started = time.monotonic()
        count = len(probe.outcomes)
        wait_for(lambda: len(probe.outcomes) >= count + 2, 30, "the probe after the restart")
        probe.done.set()
        probe.join(10)

        # The probe ran while the hub was away, and every answer came from the server.
        assert probe.between(stopped, started), "no probe while the hub was stopped"
        assert set(probe.between(began, time.monotonic())) == {200}, probe.outcomes
        assert (hub.state_dir / "jupyterhub-proxy.pid").read_text().strip() == proxy_pid
        assert "Adopting the proxy that kept running" in hub.log()
        # The websocket opened before the restart still runs code.
        assert kernel.execute("print(before * 2)").strip() == "40"
    finally:
        probe.done.set()
        kernel.close()


def _service_pids(hub, module: str) -> list[int]:
    """Processes of a managed service started by this hub (found by its hub API URL)."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().decode()
            environ = (proc / "environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if module in cmdline and f":{hub.port + 2}/hub/api" in environ:
            pids.append(int(proc.name))
    return pids


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_running_server_and_state_survive_a_hub_restart(restarted_hub, stop_signal):
    hub = restarted_hub
    admin = login_admin(hub)
    person = add_user(hub, admin, "rita")
    person.start_server()
    token = person.new_token()
    kernel = Kernel(person.server_url(), token)
    kernel.execute("survivor = 'still here'")
    started = person.server_model()["started"]

    culler = _service_pids(hub, "jupyterhub_idle_culler")
    assert culler
    hub.stop(stop_signal)
    # The proxy stays up and says the hub is away; the hub's services ended with it.
    assert requests.get(f"{hub.url}/hub/api/", timeout=5).status_code >= 500
    wait_for(lambda: not _service_pids(hub, "jupyterhub_idle_culler"), 30, "the culler to end")
    hub.start()

    # Same cookie, same token, same server process, same kernel state.
    assert person.is_logged_in()
    assert person.server_model()["started"] == started
    response = requests.get(
        person.server_url() + "api/status", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert response.status_code == 200
    with Kernel(person.server_url(), token, kernel_id=kernel.id) as kernel:
        assert kernel.execute("print(survivor)").strip() == "still here"
    assert "One-time password" in hub.log() and hub.log().count("One-time password") == 1
