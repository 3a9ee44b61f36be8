"""Voila processes, one per app, started on demand and stopped when idle.

Each runs under its author's apps account (as root: one system user per author, with no
home and no access to the homes, which are 0700), from the app's read-only snapshot
folder, with a private token that only this service knows, tracebacks hidden, and a
pool of preheated kernels. An author's account reads only that author's snapshots.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import pwd
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from jupyterhub.spawner import set_user_setuid
from tornado.httpclient import AsyncHTTPClient

from ..tether import tethered
from .errors import AppFailed

log = logging.getLogger("echoes.apps")


@dataclass
class Instance:
    key: tuple[str, str]
    version: int
    port: int
    token: str
    #: The Voila process (process mode) or None (container mode, see containers.py).
    proc: asyncio.subprocess.Process | None
    last_used: float = field(default_factory=time.monotonic)
    sockets: int = 0
    host: str = "127.0.0.1"
    #: Container mode: the container's name, and whether the cull found it ended.
    container: str = ""
    exited: bool = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: Linux user names are at most 32 characters (useradd's limit).
MAX_ACCOUNT_LENGTH = 32
_ACCOUNT_NAME = re.compile(r"^[a-z_][a-z0-9_-]*$")


def account_name(prefix: str, author: str) -> str:
    """The system user that runs `author`'s apps: prefix + author when that is a valid
    name of at most 32 characters, else a shortened, cleaned name with a hash of the
    author, so that two authors never share an account by truncation."""
    name = f"{prefix}{author}"
    if len(name) <= MAX_ACCOUNT_LENGTH and _ACCOUNT_NAME.match(name):
        return name
    digest = hashlib.sha256(author.encode()).hexdigest()[:8]
    clean = re.sub(r"[^a-z0-9_-]", "", author.lower())
    room = MAX_ACCOUNT_LENGTH - len(prefix) - len(digest) - 1
    return f"{prefix}{clean[:room]}-{digest}"


def _comment(author: str) -> str:
    return f"ECHOES apps of {author}"


def ensure_account(name: str, author: str) -> pwd.struct_passwd:
    """Create `author`'s apps account (as root) if it does not exist yet. An account of
    that name made for anyone else is refused: authors never share an account."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        made = subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--user-group",
                "--comment",
                _comment(author),
                "--shell",
                "/usr/sbin/nologin",
                name,
            ],
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            detail = made.stderr.strip()
            raise AppFailed(f"could not create the system user {name}: {detail}") from None
        account = pwd.getpwnam(name)
    if account.pw_gecos != _comment(author):
        raise AppFailed(
            f"the system user {name} exists but is not the apps account of {author} "
            f"({account.pw_gecos!r}); remove it or change EchoesApps.account_prefix"
        )
    return account


class Runner:
    def __init__(
        self,
        run_root: Path,
        prefix: str,
        *,
        account_prefix: str = "echoesapp-",
        pool_size: int = 0,
        idle_timeout: float = 600,
        check_timeout: int = 120,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.run_root = Path(run_root)
        self.prefix = prefix
        self.as_root = os.geteuid() == 0
        self.account_prefix = account_prefix
        self.pool_size = pool_size
        self.idle_timeout = idle_timeout
        self.check_timeout = check_timeout
        self.extra_env = dict(extra_env or {})
        self.instances: dict[tuple[str, str], Instance] = {}
        self._starting: dict[tuple[str, str], asyncio.Task] = {}
        self._accounts: dict[str, pwd.struct_passwd] = {}
        self.run_root.mkdir(parents=True, exist_ok=True)
        self.run_root.chmod(0o711)

    def account(self, author: str) -> pwd.struct_passwd | None:
        """`author`'s apps account, created on first use; None when not root (apps then
        run as the service's own user)."""
        if not self.as_root:
            return None
        if author not in self._accounts:
            self._accounts[author] = ensure_account(
                account_name(self.account_prefix, author), author
            )
        return self._accounts[author]

    def gid(self, author: str) -> int | None:
        """The group that may read `author`'s snapshots (None when not root)."""
        account = self.account(author)
        return account.pw_gid if account else None

    def _workdir(self, author: str, leaf: str) -> Path:
        """A private writable folder for one process (HOME, runtime files, matplotlib),
        under a folder of the author's that only the author's account enters."""
        account = self.account(author)
        folder = self.run_root / author / leaf
        folder.mkdir(parents=True, exist_ok=True)
        for path in (folder.parent, folder):
            path.chmod(0o700)
        if account:
            for path in [folder.parent, folder, *folder.rglob("*")]:
                os.chown(path, account.pw_uid, account.pw_gid)
        return folder

    def _env(self, workdir: Path, author: str) -> dict[str, str]:
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
            "USER": self._user(author),
        }
        env.update(self.extra_env)
        return env

    def _user(self, author: str) -> str:
        account = self.account(author)
        return account.pw_name if account else os.environ.get("USER", "")

    def _preexec(self, author: str):
        account = self.account(author)
        drop = set_user_setuid(account.pw_name, chdir=False) if account else None

        def preexec() -> None:
            os.setsid()  # its own process group: stopping the app stops its kernels
            if drop:
                drop()

        return preexec

    async def check(self, author: str, notebook: Path) -> dict:
        """Run a just-published notebook once, as its author's apps account; report errors."""
        workdir = self._workdir(author, ".check")
        proc = await asyncio.create_subprocess_exec(
            *tethered(
                [
                    sys.executable,
                    "-m",
                    "echoes.apps.launch",
                    "check",
                    str(notebook),
                    str(self.check_timeout),
                ]
            ),
            cwd=notebook.parent,
            env=self._env(workdir, author),
            preexec_fn=self._preexec(author),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), self.check_timeout + 60)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            return {"ok": False, "error": "the notebook did not finish running", "thumbnail": ""}
        return self.check_result(proc.returncode, out, err)

    @staticmethod
    def check_result(returncode: int, out: bytes, err: bytes) -> dict:
        """The trial run's report from the exit status and output of `launch check`."""
        if returncode != 0:
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
        if instance and instance.version == version and self._alive(instance):
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

    def _alive(self, instance: Instance) -> bool:
        return instance.proc is not None and instance.proc.returncode is None

    def voila_args(self, notebook: str, port: int, ip: str, base_url: str) -> list[str]:
        """Voila's arguments for one app, the same in both modes."""
        # Voila 0.5's preheated kernels are opt-in (config.py, pool_size): a page that takes
        # a pooled kernel whose pre-render has just begun can stall for good.
        preheat = ["--preheat_kernel=True", f"--pool_size={self.pool_size}"]
        return [
            notebook,
            "--no-browser",
            f"--port={port}",
            f"--Voila.ip={ip}",
            f"--Voila.base_url={base_url}",
            "--show_tracebacks=False",
            *(preheat if self.pool_size > 0 else []),
            "--Voila.open_browser=False",
            # A page that was closed (or never connected) frees its kernel.
            "--MappingKernelManager.cull_idle_timeout=300",
            "--MappingKernelManager.cull_interval=60",
            # Voila loads every JupyterLab extension of the environment; ours needs
            # JupyterLab's file browser, which Voila's page lacks (a script error per view).
            '--VoilaConfiguration.extension_denylist=["echoes-vre-lab"]',
        ]

    async def _start(self, key: tuple[str, str], version: int, notebook: Path) -> Instance:
        author, name = key
        workdir = self._workdir(author, name)
        port, token = free_port(), secrets.token_hex(32)
        base_url = f"{self.prefix}{author}/{name}/"
        env = {**self._env(workdir, author), "ECHOES_APP_TOKEN": token}
        log_file = open(workdir / "voila.log", "ab")  # noqa: SIM115 (the child keeps it)
        cmd = tethered(
            [
                sys.executable,
                "-m",
                "echoes.apps.launch",
                "voila",
                *self.voila_args(str(notebook), port, "127.0.0.1", base_url),
            ]
        )
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=notebook.parent,
            env=env,
            preexec_fn=self._preexec(author),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log_file.close()
        instance = Instance(key, version, port, token, proc)

        async def exited() -> str | None:
            if proc.returncode is None:
                return None
            tail = (workdir / "voila.log").read_text(errors="replace")[-2000:]
            return f"Voila exited ({proc.returncode}): {tail}"

        await self._await_answer(instance, base_url, exited)
        log.info("started app %s/%s v%d on port %d", author, name, version, port)
        self.instances[key] = instance
        return instance

    async def _await_answer(
        self, instance: Instance, base_url: str, exited: Callable[[], Awaitable[str | None]]
    ) -> None:
        """Wait until the app's Voila answers; AppFailed when `exited()` says why it
        stopped (a message) or after 90 s."""
        client = AsyncHTTPClient()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            failure = await exited()
            if failure:
                await self._halt(instance)
                raise AppFailed(failure)
            try:
                await client.fetch(
                    f"{instance.url}{base_url}voila/static/",
                    raise_error=False,
                    headers={"Authorization": f"token {instance.token}"},
                    request_timeout=5,
                )
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            await self._halt(instance)
            raise AppFailed("Voila did not answer within 90 s")

    def _kill(self, instance: Instance) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(instance.proc.pid, signal.SIGTERM)

    async def stop(self, author: str, name: str) -> None:
        instance = self.instances.pop((author, name), None)
        if instance is None:
            return
        await self._halt(instance)
        log.info("stopped app %s/%s", author, name)

    async def _halt(self, instance: Instance) -> None:
        self._kill(instance)
        try:
            await asyncio.wait_for(instance.proc.wait(), 10)
        except TimeoutError:
            os.killpg(instance.proc.pid, signal.SIGKILL)

    async def cull(self) -> None:
        """Stop apps nobody has used for `idle_timeout` seconds and that have no open page."""
        now = time.monotonic()
        for key, instance in list(self.instances.items()):
            if instance.sockets == 0 and now - instance.last_used > self.idle_timeout:
                await self.stop(*key)

    async def stop_all(self) -> None:
        for key in list(self.instances):
            await self.stop(*key)
