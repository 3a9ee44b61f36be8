"""A hub restart interrupts nobody: the new hub adopts the proxy that kept running.

A person has an open kernel websocket and a probe asks for their server through the proxy
every 0.5 s while the hub is stopped (SIGTERM) and started again.
"""

from __future__ import annotations

import signal
import threading
import time

import requests

from tests.hubclient import Kernel, wait_for
from tests.integration.conftest import add_user, login_admin


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
