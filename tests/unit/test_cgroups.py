"""The cgroup module's arithmetic and detection, on mount tables and trees made here.

Real groups (made, joined by a server, its kernel killed past the limit, removed) are
tested with a real hub in tests/integration/test_server_limits.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from echoes_hub.spawners.cgroups import (
    Hierarchy,
    Support,
    find_hierarchy,
    group_name,
    group_paths,
    hub_parent,
    limit_files,
    support,
)


def v2_tree(tmp_path: Path, controllers: str) -> Path:
    mount = tmp_path / "unified"
    mount.mkdir()
    (mount / "cgroup.controllers").write_text(controllers + "\n")
    return mount


def test_v2_with_memory_and_cpu_wins(tmp_path: Path) -> None:
    mount = v2_tree(tmp_path, "cpuset cpu io memory pids")
    mounts = f"cgroup2 {mount} cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n"
    assert find_hierarchy(mounts) == Hierarchy(2, {"memory": mount, "cpu": mount})


def test_a_hybrid_machine_whose_v2_tree_has_no_controllers_uses_v1(tmp_path: Path) -> None:
    """This machine: v1 memory and cpu (here cpu with cpuacct in one mount, as on many
    distributions), and a v2 tree at /sys/fs/cgroup/unified with no controllers."""
    unified = v2_tree(tmp_path, "")
    mounts = "\n".join(
        [
            "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0",
            f"cgroup2 {unified} cgroup2 rw,relatime 0 0",
            "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,relatime,cpu,cpuacct 0 0",
            "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0",
            "cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0",
        ]
    )
    assert find_hierarchy(mounts) == Hierarchy(
        1, {"cpu": Path("/sys/fs/cgroup/cpu,cpuacct"), "memory": Path("/sys/fs/cgroup/memory")}
    )


@pytest.mark.parametrize(
    "mounts",
    [
        "",
        "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0",  # no cpu controller
        "proc /proc proc rw 0 0\nsysfs /sys sysfs rw 0 0",
    ],
)
def test_no_hierarchy_without_both_controllers(mounts: str, tmp_path: Path) -> None:
    unified = v2_tree(tmp_path, "cpu pids")  # v2 without memory counts as none
    assert find_hierarchy(f"{mounts}\ncgroup2 {unified} cgroup2 rw 0 0") is None


def test_v1_groups_are_the_same_path_in_each_tree() -> None:
    hierarchy = Hierarchy(1, {"memory": Path("/cg/memory"), "cpu": Path("/cg/cpu,cpuacct")})
    assert group_paths(hierarchy, "/echoes/0123abcd", "alice:lab") == [
        Path("/cg/memory/echoes/0123abcd/alice:lab"),
        Path("/cg/cpu,cpuacct/echoes/0123abcd/alice:lab"),
    ]


def test_a_named_server_has_a_group_of_its_own() -> None:
    assert (group_name("alice"), group_name("alice", "lab")) == ("alice", "alice:lab")


def test_v2_groups_are_one_path() -> None:
    hierarchy = Hierarchy(2, {"memory": Path("/cg"), "cpu": Path("/cg")})
    assert group_paths(hierarchy, "echoes/x/", "bob") == [Path("/cg/echoes/x/bob")]


@pytest.mark.parametrize(
    ("parent", "name"),
    [("/echoes", "../x"), ("/echoes", ".."), ("/echoes", ""), ("/echoes/../..", "bob")],
)
def test_names_cannot_leave_the_parent(parent: str, name: str) -> None:
    hierarchy = Hierarchy(2, {"memory": Path("/cg"), "cpu": Path("/cg")})
    with pytest.raises(ValueError, match="not a cgroup"):
        group_paths(hierarchy, parent, name)


def test_each_hub_has_its_own_folder(tmp_path: Path) -> None:
    one, other = hub_parent(tmp_path / "a"), hub_parent(tmp_path / "b")
    assert one.startswith("/echoes/") and other.startswith("/echoes/") and one != other
    assert hub_parent(tmp_path / "a" / ".." / "a") == one  # the same folder, spelt otherwise


def test_v1_limits_memory_then_memsw_and_a_cfs_quota() -> None:
    files = limit_files(Hierarchy(1, {}), 512 * 2**20, 0.5)
    assert files == {
        "memory": [
            ("memory.limit_in_bytes", "536870912"),
            ("memory.memsw.limit_in_bytes", "536870912"),
        ],
        "cpu": [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", "50000")],
    }


def test_v2_limits_memory_no_swap_and_cpu_max() -> None:
    files = limit_files(Hierarchy(2, {}), 2**30, 2)
    assert files == {
        "memory": [("memory.max", "1073741824"), ("memory.swap.max", "0")],
        "cpu": [("cpu.max", "200000 100000")],
    }


def test_a_tiny_cpu_share_gets_the_kernels_least_quota() -> None:
    assert limit_files(Hierarchy(2, {}), 2**20, 0.001)["cpu"] == [("cpu.max", "1000 100000")]


def test_support_says_there_are_no_controllers(tmp_path: Path) -> None:
    verdict = support("/echoes/x", mounts=f"cgroup2 {v2_tree(tmp_path, 'pids')} cgroup2 rw 0 0")
    assert verdict == Support(False, "no cgroup hierarchy with the memory and cpu controllers")


def test_support_says_where_it_may_write(tmp_path: Path) -> None:
    mount = v2_tree(tmp_path, "cpu memory")
    verdict = support("/echoes/x", mounts=f"cgroup2 {mount} cgroup2 rw 0 0")
    assert verdict == Support(True, "cgroup v2 under /echoes/x", 2)


def test_support_of_a_hub_that_is_not_root_says_so() -> None:
    """This machine's trees, as `nobody` (the hub here runs as root): root's only."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    code = "from echoes_hub.spawners.cgroups import support; print(support('/echoes/x'))"
    seen = subprocess.run(
        [sys.executable, "-c", code], user="nobody", capture_output=True, text=True, check=True
    )
    assert "enforced=False" in seen.stdout
    assert "reason='cannot write /sys/fs/cgroup/" in seen.stdout
    assert ": the hub does not run as root'" in seen.stdout
