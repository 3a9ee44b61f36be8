"""The proxy outlives the hub: a restarted hub adopts the proxy that kept running.

JupyterHub's ConfigurableHTTPProxy kills the process named in its pid file before it
starts a new one, so every hub restart dropped every connection and websocket for a few
seconds, even with `cleanup_proxy = False`. Here the new hub first asks the proxy in the
pid file for its routes with the kept token: if it answers, the hub adopts it (watches
it, restarts it if it dies, stops it only if asked to); otherwise it starts a new one.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from jupyterhub.proxy import ConfigurableHTTPProxy
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.ioloop import PeriodicCallback


class AdoptedProcess:
    """A proxy process started by an earlier hub: not our child, so known by its pid
    alone. It offers what ConfigurableHTTPProxy uses of a Popen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        """None while the process runs (its exit status is its parent's to read)."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return -1
        return None

    def terminate(self) -> None:
        os.kill(self.pid, signal.SIGTERM)


def _proxy_pid(pid_file: str) -> int | None:
    try:
        pid = int(Path(pid_file).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


class EchoesProxy(ConfigurableHTTPProxy):
    """configurable-http-proxy, adopted when an earlier hub left it running."""

    adopted = False

    async def _answers(self) -> bool:
        """Whether the proxy at `api_url` is ours: it accepts our token."""
        request = HTTPRequest(
            f"{self.api_url}/api/routes",
            headers={"Authorization": f"token {self.auth_token}"},
            request_timeout=5,
        )
        try:
            await AsyncHTTPClient().fetch(request)
        except (HTTPClientError, OSError):
            return False
        return True

    async def start(self) -> None:
        if self._check_running_callback is not None:  # a restart after the proxy died
            self._check_running_callback.stop()
        pid = _proxy_pid(self.pid_file)
        if pid is None or not await self._answers():
            self.adopted = False
            await super().start()
            return
        self.log.info("Adopting the proxy that kept running (pid %i): nobody is cut off", pid)
        self.adopted = True
        self.proxy_process = AdoptedProcess(pid)
        # As after a start of our own: restart it (and restore routes) if it dies.
        self._check_running_callback = PeriodicCallback(
            self.check_running, 1e3 * self.check_running_interval
        )
        self._check_running_callback.start()
