"""Memory and CPU limits of local user servers, written straight into Linux cgroups.

No systemd is needed (these machines have none): as root, the hub makes one group per
server under `parent` (its own folder in the cgroup tree), writes the profile's limits
into it, and the server's process joins it before it executes the server (`join`, a
preexec step), so every kernel and terminal the server forks is in it too. A kernel
that allocates past the limit is stopped by the kernel's OOM killer inside its group;
other servers never notice. `remove` ends whatever is left in a group and deletes it.

Both kinds of hierarchy work: cgroup v2 (one tree with `memory.max`, `memory.swap.max`,
`cpu.max`; the controllers are enabled down the path from the mount to `parent`, which
must therefore be a subtree the hub may write: its own, or one delegated to it) and
cgroup v1 (one tree per controller: `memory.limit_in_bytes`, `memory.memsw.limit_in_bytes`
when swap is accounted, `cpu.cfs_quota_us` over `cpu.cfs_period_us`). v2 wins when its
tree has the memory and cpu controllers; a hybrid machine whose v2 tree has none (this
one) uses v1. Without either, or without the right to write them (not root), `support`
says why and servers start without limits.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

MOUNTS = Path("/proc/self/mounts")
#: CFS period: a quota of 50 000 µs per 100 000 µs is half a CPU.
PERIOD_US = 100_000
CONTROLLERS = ("memory", "cpu")


class CgroupError(OSError):
    """A group that cannot be made or written; the message says why."""


@dataclass(frozen=True)
class Hierarchy:
    """Where the memory and cpu controllers are mounted: v2 one tree for both, v1 one each."""

    version: int
    mounts: dict[str, Path]  # controller -> mount point (the same path twice for v2)


@dataclass(frozen=True)
class Support:
    """Whether servers get their limits here, and if not why: for the log and pages."""

    enforced: bool
    reason: str
    version: int | None = None


def find_hierarchy(mounts: str | None = None) -> Hierarchy | None:
    """The cgroup hierarchy that has both controllers, from /proc/self/mounts' text."""
    if mounts is None:
        mounts = MOUNTS.read_text()
    v1: dict[str, Path] = {}
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        point, kind, options = Path(fields[1]), fields[2], fields[3].split(",")
        if kind == "cgroup2":
            try:
                available = (point / "cgroup.controllers").read_text().split()
            except OSError:
                continue
            if all(c in available for c in CONTROLLERS):
                return Hierarchy(2, {c: point for c in CONTROLLERS})
        elif kind == "cgroup":
            for controller in CONTROLLERS:
                if controller in options:
                    v1.setdefault(controller, point)
    if all(c in v1 for c in CONTROLLERS):
        return Hierarchy(1, v1)
    return None


def hub_parent(state_dir: str | Path) -> str:
    """The default folder of one hub's groups: /echoes/ and a digest of its state folder,
    so that hubs sharing a machine never touch each other's groups."""
    digest = hashlib.sha256(str(Path(state_dir).resolve()).encode()).hexdigest()[:8]
    return f"/echoes/{digest}"


def group_name(user: str, server: str = "") -> str:
    """The group of a user's default server is named after them, a named one `user:server`
    (user names cannot hold ':')."""
    return f"{user}:{server}" if server else user


def group_paths(hierarchy: Hierarchy, parent: str, name: str) -> list[Path]:
    """The group `name` under `parent` in each tree of the hierarchy (one for v2)."""
    if not name or name in (".", "..") or "/" in name:
        raise ValueError(f"not a cgroup name: {name!r}")
    parts = [p for p in parent.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise ValueError(f"not a cgroup path: {parent!r}")
    return list(dict.fromkeys(hierarchy.mounts[c].joinpath(*parts, name) for c in CONTROLLERS))


def limit_files(hierarchy: Hierarchy, memory: int, cpu: float) -> dict[str, list[tuple[str, str]]]:
    """What to write, in order, into the group's folder of each controller."""
    quota = max(1000, round(cpu * PERIOD_US))  # the kernel's least quota is 1 ms
    if hierarchy.version == 2:
        return {
            "memory": [("memory.max", str(memory)), ("memory.swap.max", "0")],
            "cpu": [("cpu.max", f"{quota} {PERIOD_US}")],
        }
    return {
        # memsw (memory and swap) may never be below the memory limit: set after it.
        "memory": [
            ("memory.limit_in_bytes", str(memory)),
            ("memory.memsw.limit_in_bytes", str(memory)),
        ],
        "cpu": [("cpu.cfs_period_us", str(PERIOD_US)), ("cpu.cfs_quota_us", str(quota))],
    }


def exists(folder: Path) -> bool:
    """Whether `folder` exists; one the caller may not look into counts as absent, so that
    its parent decides (a hub not root meets root's 0700 groups)."""
    try:
        return folder.exists()
    except PermissionError:
        return False


def support(parent: str, mounts: str | None = None) -> Support:
    """Whether groups can be made under `parent` here (no side effects); `mounts` is the
    mount table to read (default: this process's)."""
    hierarchy = find_hierarchy(mounts)
    if hierarchy is None:
        return Support(False, "no cgroup hierarchy with the memory and cpu controllers")
    for controller in CONTROLLERS:
        folder = hierarchy.mounts[controller].joinpath(*[p for p in parent.split("/") if p])
        while not exists(folder):
            folder = folder.parent
        if not os.access(folder, os.W_OK):
            who = "the hub does not run as root" if os.geteuid() else "it is read-only"
            return Support(False, f"cannot write {folder}: {who}", hierarchy.version)
    return Support(True, f"cgroup v{hierarchy.version} under {parent}", hierarchy.version)


@dataclass(frozen=True)
class Group:
    """One server's group: its folder in each tree."""

    hierarchy: Hierarchy
    paths: tuple[Path, ...]

    def join(self) -> None:
        """Put the calling process in the group (in a preexec step: nothing but writes)."""
        for path in self.paths:
            fd = os.open(path / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, b"0")  # 0: the writing process itself
            finally:
                os.close(fd)

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.paths:
            with contextlib.suppress(FileNotFoundError):
                found.update(int(p) for p in (path / "cgroup.procs").read_text().split())
        return found

    def _folder(self, controller: str) -> Path:
        mount = self.hierarchy.mounts[controller]
        return next(p for p in self.paths if p.is_relative_to(mount))

    def _read(self, controller: str, name: str) -> str:
        return (self._folder(controller) / name).read_text().strip()

    def memory_usage(self) -> int:
        """Bytes of memory charged to the group now (RSS and page cache)."""
        name = "memory.current" if self.hierarchy.version == 2 else "memory.usage_in_bytes"
        return int(self._read("memory", name))

    def oom_kills(self) -> int:
        """How many of the group's processes the OOM killer stopped (a kernel past the
        memory limit), as the kernel counts them (0 where it does not)."""
        name = "memory.events" if self.hierarchy.version == 2 else "memory.oom_control"
        counts = dict(line.split() for line in self._read("memory", name).splitlines())
        return int(counts.get("oom_kill", 0))

    def limits(self) -> tuple[int, float]:
        """The memory (bytes) and CPUs the group is limited to, read back from the kernel."""
        if self.hierarchy.version == 2:
            quota, period = self._read("cpu", "cpu.max").split()
            return int(self._read("memory", "memory.max")), int(quota) / int(period)
        quota = int(self._read("cpu", "cpu.cfs_quota_us"))
        period = int(self._read("cpu", "cpu.cfs_period_us"))
        return int(self._read("memory", "memory.limit_in_bytes")), quota / period

    def remove(self, timeout: float = 10) -> None:
        """End every process left in the group, then delete it (nothing if it is gone)."""
        deadline = time.monotonic() + timeout
        for path in reversed(self.paths):
            while path.exists():
                for pid in self.pids():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                try:
                    path.rmdir()
                except FileNotFoundError:
                    break
                except OSError as error:
                    # EBUSY: a killed process is not reaped yet; try again shortly.
                    if error.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise CgroupError(error.errno, f"cannot remove {path}: {error}") from None
                    time.sleep(0.05)


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as error:
        raise CgroupError(error.errno, f"cannot write {value!r} to {path}: {error}") from None


def _enable_controllers(hierarchy: Hierarchy, folder: Path) -> None:
    """v2: let the groups below `folder` use memory and cpu: each level from the mount
    down to `folder` must enable them for its children."""
    level = hierarchy.mounts["memory"]
    for part in ("", *folder.relative_to(level).parts):
        level = level / part
        level.mkdir(exist_ok=True)
        enabled = (level / "cgroup.subtree_control").read_text().split()
        if not all(c in enabled for c in CONTROLLERS):
            _write(level / "cgroup.subtree_control", "+memory +cpu")


def create(
    parent: str, name: str, memory: int, cpu: float, hierarchy: Hierarchy | None = None
) -> Group:
    """A fresh group `name` under `parent` limited to `memory` bytes and `cpu` CPUs. A group
    of that name left from before (a server that died with the hub) is emptied and made anew,
    so that its leftovers count against nobody."""
    hierarchy = hierarchy or find_hierarchy()
    if hierarchy is None:
        raise CgroupError(errno.ENOENT, "no cgroup hierarchy with the memory and cpu controllers")
    group = Group(hierarchy, tuple(group_paths(hierarchy, parent, name)))
    group.remove()
    files = limit_files(hierarchy, memory, cpu)
    for controller in CONTROLLERS:
        folder = group._folder(controller)
        try:
            if hierarchy.version == 2:
                _enable_controllers(hierarchy, folder.parent)
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CgroupError(error.errno, f"cannot make {folder}: {error}") from None
        for file, value in files[controller]:
            if file.startswith(("memory.memsw.", "memory.swap.")) and not (folder / file).exists():
                continue  # swap is not accounted on this kernel: the memory limit is all
            _write(folder / file, value)
    return group


def server_group(parent: str, user: str, server: str = "") -> Group | None:
    """The group of a running server, to read its memory and OOM kills (the trainer's page
    does: `parent` is `hub_parent(<state folder>)` unless configured); None without one."""
    hierarchy = find_hierarchy()
    if hierarchy is None:
        return None
    paths = group_paths(hierarchy, parent, group_name(user, server))
    return Group(hierarchy, tuple(paths)) if all(p.is_dir() for p in paths) else None


def remove_if_empty(parent: str, hierarchy: Hierarchy) -> None:
    """Delete this hub's folder once its last group is gone (the kernel refuses otherwise)."""
    for mount in set(hierarchy.mounts.values()):
        with contextlib.suppress(OSError):
            mount.joinpath(*[p for p in parent.split("/") if p]).rmdir()


def remove_stale(parent: str, hierarchy: Hierarchy | None = None) -> list[str]:
    """Delete the groups under `parent` (this hub's own folder) that hold no process: those
    of servers still running (kept across a hub restart) stay."""
    hierarchy = hierarchy or find_hierarchy()
    if hierarchy is None:
        return []
    names: set[str] = set()
    for mount in set(hierarchy.mounts.values()):
        folder = mount.joinpath(*[p for p in parent.split("/") if p])
        if folder.is_dir():
            names.update(p.name for p in folder.iterdir() if p.is_dir())
    removed = []
    for name in sorted(names):
        group = Group(hierarchy, tuple(group_paths(hierarchy, parent, name)))
        if not group.pids():
            group.remove()
            removed.append(name)
    return removed
