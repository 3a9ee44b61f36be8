"""Voila processes, one per app, started on demand and stopped when idle.

Each runs under the apps' own account (as root: a system user with no access to the
homes, which are 0700), from the app's read-only snapshot folder, with a private token
that only this service knows, tracebacks hidden, and a pool of preheated kernels.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pwd
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyterhub.spawner import set_user_setuid
from tornado.httpclient import AsyncHTTPClient

from ..tether import tethered

log = logging.getLogger("echoes.apps")


class AppFailed(Exception):
    """The app's Voila did not start; `detail` is for the author's eyes only."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass
class Instance:
    key: tuple[str, str]
    version: int
    port: int
    token: str
    proc: asyncio.subprocess.Process
    last_used: float = field(default_factory=time.monotonic)
    sockets: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_account(name: str) -> None:
    """Create the apps' system user (as root) if it does not exist yet."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--user-group",
                "--shell",
                "/usr/sbin/nologin",
                name,
            ],
            check=True,
            capture_output=True,
        )


class Runner:
    def __init__(
        self,
        run_root: Path,
        prefix: str,
        *,
        account: str = "echoes-apps",
        pool_size: int = 1,
        idle_timeout: float = 600,
        check_timeout: int = 120,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.run_root = Path(run_root)
        self.prefix = prefix
        self.as_root = os.geteuid() == 0
        self.account = account if self.as_root else ""
        self.pool_size = pool_size
        self.idle_timeout = idle_timeout
        self.check_timeout = check_timeout
        self.extra_env = dict(extra_env or {})
        self.instances: dict[tuple[str, str], Instance] = {}
        self._starting: dict[tuple[str, str], asyncio.Task] = {}
        self.gid: int | None = None
        if self.account:
            ensure_account(self.account)
            self.gid = pwd.getpwnam(self.account).pw_gid
        self.run_root.mkdir(parents=True, exist_ok=True)
        self.run_root.chmod(0o711)

    def _workdir(self, name: str) -> Path:
        """A private writable folder for one process (HOME, runtime files, matplotlib)."""
        folder = self.run_root / name
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        if self.account:
            account = pwd.getpwnam(self.account)
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, account.pw_uid, account.pw_gid)
        return folder

    def _env(self, workdir: Path) -> dict[str, str]:
        # Built from scratch: the service's own hub token must never reach an app.
        env = {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
            "HOME": str(workdir),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "MPLCONFIGDIR": str(workdir / "matplotlib"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
            "JUPYTER_CONFIG_DIR": str(workdir / "config"),
            "JUPYTER_DATA_DIR": str(workdir / "data"),
            "PYTHONNOUSERSITE": "1",
            "USER": self.account or os.environ.get("USER", ""),
        }
        env.update(self.extra_env)
        return env

    def _preexec(self):
        drop = set_user_setuid(self.account, chdir=False) if self.account else None

        def preexec() -> None:
            os.setsid()  # its own process group: stopping the app stops its kernels
            if drop:
                drop()

        return preexec

    async def check(self, notebook: Path) -> dict:
        """Run a just-published notebook once, as the apps' account; report errors."""
        workdir = self._workdir("check")
        proc = await asyncio.create_subprocess_exec(
            *tethered(
                [
                    sys.executable,
                    "-m",
                    "echoes_hub.services.apps.launch",
                    "check",
                    str(notebook),
                    str(self.check_timeout),
                ]
            ),
            cwd=notebook.parent,
            env=self._env(workdir),
            preexec_fn=self._preexec(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), self.check_timeout + 60)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            return {"ok": False, "error": "the notebook did not finish running", "thumbnail": ""}
        if proc.returncode != 0:
            tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            return {
                "ok": False,
                "error": f"the notebook could not be run: {tail[0]}",
                "thumbnail": "",
            }
        return json.loads(out.decode().strip().splitlines()[-1])

    async def ensure(self, author: str, name: str, version: int, notebook: Path) -> Instance:
        """The running Voila for this app version, started if needed (one start at a time)."""
        key = (author, name)
        instance = self.instances.get(key)
        if instance and instance.version == version and instance.proc.returncode is None:
            instance.last_used = time.monotonic()
            return instance
        if instance:
            await self.stop(author, name)
        task = self._starting.get(key)
        if task is None:
            task = asyncio.ensure_future(self._start(key, version, notebook))
            self._starting[key] = task
            task.add_done_callback(lambda _: self._starting.pop(key, None))
        return await asyncio.shield(task)

    async def _start(self, key: tuple[str, str], version: int, notebook: Path) -> Instance:
        author, name = key
        workdir = self._workdir(f"{author}--{name}")
        port, token = free_port(), secrets.token_hex(32)
        base_url = f"{self.prefix}{author}/{name}/"
        env = {**self._env(workdir), "ECHOES_APP_TOKEN": token}
        log_file = open(workdir / "voila.log", "ab")  # noqa: SIM115 (the child keeps it)
        cmd = tethered(
            [
                sys.executable,
                "-m",
                "echoes_hub.services.apps.launch",
                "voila",
                str(notebook),
                "--no-browser",
                f"--port={port}",
                "--Voila.ip=127.0.0.1",
                f"--Voila.base_url={base_url}",
                "--show_tracebacks=False",
                "--preheat_kernel=True",
                f"--pool_size={self.pool_size}",
                "--Voila.open_browser=False",
                # A page that was closed (or never connected) frees its kernel.
                "--MappingKernelManager.cull_idle_timeout=300",
                "--MappingKernelManager.cull_interval=60",
            ]
        )
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=notebook.parent,
            env=env,
            preexec_fn=self._preexec(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log_file.close()
        instance = Instance(key, version, port, token, proc)
        client = AsyncHTTPClient()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                tail = (workdir / "voila.log").read_text(errors="replace")[-2000:]
                raise AppFailed(f"Voila exited ({proc.returncode}): {tail}")
            try:
                await client.fetch(
                    f"{instance.url}{base_url}voila/static/",
                    raise_error=False,
                    headers={"Authorization": f"token {token}"},
                    request_timeout=5,
                )
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            self._kill(instance)
            raise AppFailed("Voila did not answer within 90 s")
        log.info("started app %s/%s v%d on port %d", author, name, version, port)
        self.instances[key] = instance
        return instance

    def _kill(self, instance: Instance) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(instance.proc.pid, signal.SIGTERM)

    async def stop(self, author: str, name: str) -> None:
        instance = self.instances.pop((author, name), None)
        if instance is None:
            return
        self._kill(instance)
        try:
            await asyncio.wait_for(instance.proc.wait(), 10)
        except TimeoutError:
            os.killpg(instance.proc.pid, signal.SIGKILL)
        log.info("stopped app %s/%s", author, name)

    async def cull(self) -> None:
        """Stop apps nobody has used for `idle_timeout` seconds and that have no open page."""
        now = time.monotonic()
        for key, instance in list(self.instances.items()):
            if instance.sockets == 0 and now - instance.last_used > self.idle_timeout:
                await self.stop(*key)

    async def stop_all(self) -> None:
        for key in list(self.instances):
            await self.stop(*key)
