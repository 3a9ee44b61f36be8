"""User servers as local processes, each with its own home folder.

As root, each hub user runs as a system user of its own (``echoes-<name>``) whose
home folder is private (mode 0700), so users cannot read each other's files and
cannot write the shared data. Without root every server runs as the hub's own
user: the homes are separate folders but not a security boundary (fine on a
laptop, documented in the README).

Each server gets the memory and CPU of its profile (profiles.py: the size chosen on
the spawn page, an attendee's event's size) from a cgroup of its own (cgroups.py),
which the server's process joins before it executes the server, so that its kernels
are in it too; the group goes when the server stops. Where cgroups cannot be written
(not root, no controllers) servers start without limits, and the log and the spawn page
say why.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Unicode, default

from . import cgroups
from .profiles import ServerProfiles
from .queue import StartQueue


def running_as_root() -> bool:
    return os.geteuid() == 0


def closed_to_others(path: Path) -> Path | None:
    """The first folder on the way to `path` that other users cannot traverse, if any."""
    for folder in reversed(path.resolve().parents):
        if not folder.stat().st_mode & 0o001:
            return folder
    return None


def open_for_traversal(path: Path) -> list[Path]:
    """Let other system users pass through `path` and the folders above it that root owns
    and closes to others (a clone under /root, a `mktemp -d` folder: both 0700): the
    execute bit only, never the read bit, so nobody can list them. The folders opened."""
    opened = []
    for folder in [path, *path.parents]:
        if folder == Path("/"):
            break
        mode = folder.stat().st_mode
        if not mode & 0o001 and folder.owner() == "root":
            folder.chmod(mode | 0o011)
            opened.append(folder)
    return opened


class EchoesLocalSpawner(StartQueue, ServerProfiles, LocalProcessSpawner):
    """Local-process spawner with one home folder (and, as root, one system user) per hub
    user, and one cgroup per server; starts wait their turn in the hub's start queue
    (queue.py)."""

    #: The cgroup folders already cleaned of stale groups, and those whose lack of
    #: support has been logged: once per hub process each.
    _cleaned: ClassVar[set[str]] = set()
    _unsupported_logged: ClassVar[set[str]] = set()

    home_root = Unicode(
        config=True,
        help="Folder holding one home folder per hub user. Set from EchoesHub.state_dir.",
    )

    data_dir = Unicode(
        config=True,
        help="The shared data folder, exported to the server as ECHOES_DATA_DIR.",
    )

    harvested_dir = Unicode(
        config=True,
        help="""The harvested collections' catalog folder (EchoesHub.harvested_dir),
        exported to the server as ECHOES_HARVESTED_DIR; empty: none.""",
    )

    #: This server's cgroup while it runs (None: none, or limits not enforced here).
    cgroup: cgroups.Group | None = None

    system_user_prefix = Unicode(
        "echoes-",
        config=True,
        help="""Prefix of the system user made for each hub user when the hub runs as root,
        so that a hub user called `root` or `daemon` never maps to an existing account.""",
    )

    cgroup_parent = Unicode(
        config=True,
        help="""Folder, in the cgroup hierarchy (v2: a subtree the hub may write; v1: the
        same path in the memory and cpu trees), of this hub's server groups: one per
        server, named after the user (and `:server` for named servers), holding the
        profile's limits. Empty groups left in it are removed when the hub starts its
        first server. Default: /echoes/ and a digest of the state folder, so hubs on one
        machine never touch each other's groups.""",
    )

    @default("cgroup_parent")
    def _default_cgroup_parent(self) -> str:
        return cgroups.hub_parent(Path(self.home_root).parent)

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

    def limits_support(self) -> cgroups.Support:
        return cgroups.support(self.cgroup_parent)

    def limits_note(self) -> str:
        support = self.limits_support()
        return "" if support.enforced else f"Limits not enforced here: {support.reason}."

    def _make_cgroup(self) -> cgroups.Group | None:
        """This server's group with its profile's limits; None (logged once) where
        cgroups cannot be written, so that the server starts anyway."""
        parent = self.cgroup_parent
        support = self.limits_support()
        try:
            if not support.enforced:
                raise cgroups.CgroupError(support.reason)
            if parent not in self._cleaned:
                self._cleaned.add(parent)
                removed = cgroups.remove_stale(parent)
                if removed:
                    self.log.info("Removed stale cgroups under %s: %s", parent, removed)
            name = cgroups.group_name(self.user.name, self.name)
            return cgroups.create(parent, name, self.mem_limit, self.cpu_limit)
        except OSError as error:
            if parent not in self._unsupported_logged:
                self._unsupported_logged.add(parent)
                self.log.warning("Servers get no memory or CPU limits: %s", error)
            return None

    def make_preexec_fn(self, name: str):
        home = str(self.home_dir)
        drop_privileges = (
            set_user_setuid(self.system_user, chdir=False) if running_as_root() else None
        )
        group = self.cgroup

        def preexec() -> None:
            if group:
                group.join()  # as root still; kernels, forked later, inherit the group
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
        if self.harvested_dir:
            env["ECHOES_HARVESTED_DIR"] = self.harvested_dir
        # Kernels and terminals find the environment's tools (python, pip, papermill).
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        return env

    async def move_certs(self, paths: dict) -> dict:
        return paths  # internal SSL is not used in local mode

    def _open_the_way(self) -> None:
        """As root each server runs as a system user of its own, who must pass through the
        folders to the environment's tools and to the homes (the state folder may lie in
        a clone under /root); a folder root does not own is the administrator's to open."""
        tools, homes = Path(self.cmd[0]), self.home_dir
        for target in (tools, homes):
            opened = open_for_traversal(target.parent)
            if opened:
                self.log.warning(
                    "Let system users pass through %s (execute bit only, no listing) "
                    "on the way to %s",
                    ", ".join(map(str, opened)),
                    target.parent,
                )
            blocked = closed_to_others(target)
            if blocked:
                raise PermissionError(
                    f"User servers run as their own system users, but {target} lies under "
                    f"{blocked}, which they cannot enter. Let them pass through it "
                    f"(chmod o+x {blocked})."
                )

    async def start(self):
        self._ensure_home()
        if running_as_root():
            self._open_the_way()
        self.cgroup = self._make_cgroup()
        try:
            return await super().start()
        except BaseException:
            await self._remove_cgroup()
            raise

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        await self._remove_cgroup()

    async def delete_forever(self) -> None:
        """The hub deleted the user (JupyterHub calls this for each of their servers): their
        system user goes too, once their home is gone (the end of a workshop removes it
        first). A home that stays keeps its owner, so that no later account gets its uid."""
        if not running_as_root() or self.name or self.home_dir.exists():
            return
        try:
            pwd.getpwnam(self.system_user)
        except KeyError:
            return
        done = await asyncio.to_thread(
            subprocess.run, ["userdel", self.system_user], capture_output=True, text=True
        )
        if done.returncode:
            self.log.warning(
                "Could not remove the system user %s: %s", self.system_user, done.stderr
            )
        else:
            self.log.info("Removed the system user %s of %s", self.system_user, self.user.name)

    async def _remove_cgroup(self) -> None:
        group = self.cgroup or cgroups.server_group(self.cgroup_parent, self.user.name, self.name)
        self.cgroup = None
        if group:
            try:  # ends what the server left (a kernel it did not stop) and the group
                await asyncio.to_thread(group.remove)
                cgroups.remove_if_empty(self.cgroup_parent, group.hierarchy)
            except OSError as error:
                self.log.warning("Could not remove the cgroup of %s: %s", self.user.name, error)
