"""A real hub with the annotation service, shared by the annotation integration tests.

`annotation_hub()` starts `echoes up` once per test session in a temporary state folder
on free ports and stops it (hub, proxy, service) at exit. Users are created through the
hub's REST API with an administrator token, and each gets a hub API token of its own:
every request then goes through the proxy to the service, which asks the hub who it is.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
ECHOES = Path(sys.executable).parent / "echoes"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def free_base_port() -> int:
    """A port P with P, P+1, P+2 (hub) and P+4 (annotations) free on the loopback."""
    for _ in range(200):
        base = 20000 + secrets.randbelow(20000)
        try:
            for offset in (0, 1, 2, 4):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class AnnotationHub:
    """A running hub: its URL, state folder and an administrator's API token."""

    state: Path
    port: int
    admin_token: str
    process: subprocess.Popen | None = None
    users: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service(self) -> str:
        return f"{self.url}/services/annotations/"

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {self.admin_token}"}
        return requests.request(
            method, f"{self.url}/hub/api{path}", headers=headers, timeout=30, **kwargs
        )

    def start(self) -> None:
        env = {
            **os.environ,
            "ECHOES_ADMIN_PASSWORD": secrets.token_urlsafe(16),
            "ECHOES_CULL_IDLE_TIMEOUT": "0",
        }
        (self.state / "echoes_config.py").write_text(
            f"c.JupyterHub.api_tokens = {{{self.admin_token!r}: 'admin'}}\n"
        )
        self.log = open(self.state / "hub.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(ECHOES), "up", "--port", str(self.port), "--state", str(self.state)],
            cwd=self.state,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_until_serving()

    def wait_until_serving(self, timeout: float = 120) -> None:
        def answers() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub exited; see {self.state / 'hub.log'}")
            try:
                reply = requests.get(self.service, timeout=5)
            except requests.ConnectionError:
                return False
            # 403 from the service itself (not the proxy's 503/404): it is up.
            return reply.status_code == 403 and "authenticate" in reply.text

        wait_for(answers, timeout, "the annotation service behind the proxy", 0.5)

    def user(
        self, name: str, groups: tuple[str, ...] = (), admin: bool = False
    ) -> requests.Session:
        """A session of hub user ``name`` authenticated with its own API token."""
        if name not in self.users:
            reply = self.api("POST", f"/users/{name}", json={"admin": admin})
            assert reply.status_code in (201, 409), reply.text
            reply = self.api("POST", f"/users/{name}/tokens", json={"note": "annotation tests"})
            assert reply.status_code == 201, reply.text
            self.users[name] = reply.json()["token"]
        for group in groups:
            self.api("POST", f"/groups/{group}")
            reply = self.api("POST", f"/groups/{group}/users", json={"users": [name]})
            assert reply.status_code == 200, reply.text
        session = requests.Session()
        session.headers["Authorization"] = f"token {self.users[name]}"
        return session

    def service_pid(self) -> int:
        """The pid of this hub's annotation service process."""
        marker = str(self.state / "annotations.sqlite")
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "echoes_hub.services.annotations" in cmdline and marker in cmdline:
                return int(entry.name)
        raise LookupError("annotation service process not found")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        proxy_pid = self.state / "jupyterhub-proxy.pid"
        if proxy_pid.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(proxy_pid.read_text().strip()), signal.SIGTERM)
        self.log.close()


_hub: AnnotationHub | None = None


def annotation_hub() -> AnnotationHub:
    """The session's hub with the annotation service, started on first use."""
    global _hub
    if _hub is None:
        state = Path(tempfile.mkdtemp(prefix="echoes-ann-"))
        hub = AnnotationHub(state=state, port=free_base_port(), admin_token=secrets.token_hex(24))
        atexit.register(hub.stop)
        hub.start()
        _hub = hub
    return _hub
