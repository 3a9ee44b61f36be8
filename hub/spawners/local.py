"""User servers as local processes, each with its own home folder.

As root, each hub user runs as a system user of its own (``echoes-<name>``) whose
home folder is private (mode 0700), so users cannot read each other's files and
cannot write the shared data. Without root every server runs as the hub's own
user: the homes are separate folders but not a security boundary (fine on a
laptop, documented in the README).
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Unicode, default

from .queue import StartQueue


def running_as_root() -> bool:
    return os.geteuid() == 0


def closed_to_others(path: Path) -> Path | None:
    """The first folder on the way to `path` that other users cannot traverse, if any."""
    for folder in reversed(path.resolve().parents):
        if not folder.stat().st_mode & 0o001:
            return folder
    return None


class EchoesLocalSpawner(StartQueue, LocalProcessSpawner):
    """Local-process spawner with one home folder (and, as root, one system user) per hub
    user; starts wait their turn in the hub's start queue (queue.py)."""

    home_root = Unicode(
        config=True,
        help="Folder holding one home folder per hub user. Set from EchoesHub.state_dir.",
    )

    data_dir = Unicode(
        config=True,
        help="The shared data folder, exported to the server as ECHOES_DATA_DIR.",
    )

    system_user_prefix = Unicode(
        "echoes-",
        config=True,
        help="""Prefix of the system user made for each hub user when the hub runs as root,
        so that a hub user called `root` or `daemon` never maps to an existing account.""",
    )

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        return [str(Path(sys.executable).parent / "jupyterhub-singleuser")]

    @property
    def system_user(self) -> str:
        return f"{self.system_user_prefix}{self.user.name}"

    @property
    def home_dir(self) -> Path:
        return Path(self.home_root) / self.user.name

    def _ensure_home(self) -> None:
        home = self.home_dir
        home.parent.mkdir(parents=True, exist_ok=True)
        # Others must traverse the homes folder to reach their own home, not list it.
        home.parent.chmod(0o711)
        if not running_as_root():
            home.mkdir(mode=0o700, exist_ok=True)
            return
        try:
            pwd.getpwnam(self.system_user)
        except KeyError:
            subprocess.run(
                [
                    "useradd",
                    "--no-create-home",
                    "--home-dir",
                    str(home),
                    "--shell",
                    "/bin/bash",
                    "--user-group",
                    self.system_user,
                ],
                check=True,
                capture_output=True,
            )
        account = pwd.getpwnam(self.system_user)
        home.mkdir(mode=0o700, exist_ok=True)
        os.chown(home, account.pw_uid, account.pw_gid)
        home.chmod(0o700)

    def make_preexec_fn(self, name: str):
        home = str(self.home_dir)
        drop_privileges = (
            set_user_setuid(self.system_user, chdir=False) if running_as_root() else None
        )

        def preexec() -> None:
            if drop_privileges:
                drop_privileges()
            os.chdir(home)  # the server's root folder is the user's home

        return preexec

    def user_env(self, env: dict) -> dict:
        env["USER"] = self.system_user if running_as_root() else self.user.name
        env["HOME"] = str(self.home_dir)
        env["SHELL"] = "/bin/bash"
        return env

    def get_env(self) -> dict:
        env = super().get_env()
        env["ECHOES_DATA_DIR"] = self.data_dir
        # Kernels and terminals find the environment's tools (python, pip, papermill).
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        return env

    async def move_certs(self, paths: dict) -> dict:
        return paths  # internal SSL is not used in local mode

    async def start(self):
        if running_as_root():
            blocked = closed_to_others(Path(sys.executable))
            if blocked:
                raise PermissionError(
                    f"User servers run as their own system users, but the hub's Python "
                    f"({sys.executable}) lies under {blocked}, which other users cannot enter. "
                    f"Let them pass through it (chmod o+x {blocked}), or create the virtual "
                    "environment where they can, with a system Python "
                    "(make clean; make up PYTHON=/usr/bin/python3)."
                )
        self._ensure_home()
        return await super().start()
