"""Benchmark: what one workshop attendee costs, for the sizing table in docs/workshops.md.

A real hub with local servers, each in its cgroup of the `workshop` profile (0.5 CPU,
1 GiB): for ATTENDEES servers, memory (the cgroup's charge, which counts page cache too,
and the RSS of its processes) and CPU (of its processes, over WINDOW seconds) when
- idle: JupyterLab's page loaded, no kernel;
- a kernel idle: one kernel started, nothing running;
- working: the kernel runs the code cells of notebooks/tate_collection_over_time.ipynb
  (pandas over the shared Tate data, matplotlib figures): peak memory and CPU seconds.
Then how many attendees machines of 2/8/32 cores and 8/32/128 GiB hold: memory for every
attendee's working peak beside RESERVE_GIB for the hub, proxy and services; CPU for every
attendee running the notebook once within the same minute.

    CI=true .venv/bin/python -m pytest tests/benchmarks/test_sizing.py -s -q
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import pytest
import requests

from echoes_data import recipe
from echoes_hub.spawners import cgroups
from tests.hubclient import STATE_ROOT, Hub, HubSession, Kernel, make_state_dir
from tests.integration.conftest import add_user, login_admin

ATTENDEES = int(os.environ.get("BENCH_ATTENDEES", "3"))
WINDOW = float(os.environ.get("BENCH_WINDOW", "20"))
RESERVE_GIB = 2
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "tate_collection_over_time.ipynb"
MACHINES = [(2, 8), (8, 32), (32, 128)]
TICKS = os.sysconf("SC_CLK_TCK")
MIB = 2**20


def cpu_seconds(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def rss(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def peak_file(group: cgroups.Group) -> Path:
    if group.hierarchy.version == 2:
        return group.paths[0] / "memory.peak"
    return group.paths[0] / "memory.max_usage_in_bytes"


def sample(groups: list[cgroups.Group]) -> dict[str, float]:
    """Per attendee (median): cgroup memory, RSS and CPU share over WINDOW seconds."""
    before = [cpu_seconds(g.pids()) for g in groups]
    time.sleep(WINDOW)  # a measuring window, not a wait for a condition
    after = [cpu_seconds(g.pids()) for g in groups]
    return {
        "cgroup_mib": statistics.median(g.memory_usage() / MIB for g in groups),
        "rss_mib": statistics.median(rss(g.pids()) / MIB for g in groups),
        "cpu": statistics.median((a - b) / WINDOW for a, b in zip(after, before, strict=True)),
    }


@pytest.fixture(scope="module")
def hub():
    hub = Hub(make_state_dir(STATE_ROOT), args=["--EchoesHub.keep_running_on_exit=False"])
    try:
        recipe.build(hub.state_dir / "heritage")  # the shared data the notebook reads
        yield hub.start()
    finally:
        hub.kill_leftovers()


def test_what_an_attendee_costs(hub: Hub) -> None:
    hierarchy = cgroups.find_hierarchy()
    assert hierarchy is not None, "no cgroup controllers: nothing to measure"
    admin = login_admin(hub)
    people: list[HubSession] = [add_user(hub, admin, "sizing") for _ in range(ATTENDEES)]
    for person in people:
        person.start_server(options={"profile": "workshop"})
    parent = cgroups.hub_parent(hub.state_dir)
    groups = [cgroups.server_group(parent, p.name) for p in people]
    assert all(groups), "a server has no cgroup"
    tokens = [p.new_token() for p in people]
    for person, token in zip(people, tokens, strict=True):
        lab = requests.get(
            f"{person.server_url()}lab", headers={"Authorization": f"token {token}"}, timeout=60
        )
        assert lab.status_code == 200
    idle = sample(groups)

    kernels = [Kernel(p.server_url(), t) for p, t in zip(people, tokens, strict=True)]
    for kernel in kernels:
        kernel.execute("1")
    kernel_idle = sample(groups)

    cells = [
        "".join(cell["source"])
        for cell in json.loads(NOTEBOOK.read_text())["cells"]
        if cell["cell_type"] == "code"
    ]
    runs = []
    for group, kernel in zip(groups, kernels, strict=True):
        peak_file(group).write_text("0")  # v1: reset the peak (v2's memory.peak is the life's)
        cpu, started = cpu_seconds(group.pids()), time.monotonic()
        for source in cells:
            kernel.execute(source, timeout=600)
        runs.append(
            {
                "peak_mib": int(peak_file(group).read_text()) / MIB,
                "cpu_s": cpu_seconds(group.pids()) - cpu,
                "wall_s": time.monotonic() - started,
                "after_mib": group.memory_usage() / MIB,
                "rss_mib": rss(group.pids()) / MIB,
            }
        )
    working = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    for kernel in kernels:
        kernel.close()

    print(
        f"\n[bench] attendee sizing, {ATTENDEES} servers of the workshop profile, "
        f"cgroup v{hierarchy.version}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.1f} GiB"
    )
    for name, row in (("idle (lab open, no kernel)", idle), ("a kernel idle", kernel_idle)):
        print(
            f"[bench]   {name}: cgroup {row['cgroup_mib']:.0f} MiB, RSS {row['rss_mib']:.0f}"
            f" MiB, CPU {row['cpu'] * 100:.2f}% of a core"
        )
    print(
        f"[bench]   working (the Tate notebook): peak {working['peak_mib']:.0f} MiB, after "
        f"{working['after_mib']:.0f} MiB (RSS {working['rss_mib']:.0f} MiB), "
        f"{working['cpu_s']:.1f} CPU s in {working['wall_s']:.1f} s"
    )
    for cores, gib in MACHINES:
        by_memory = int((gib - RESERVE_GIB) * 1024 / working["peak_mib"])
        by_cpu = int(cores * 60 / working["cpu_s"])
        print(
            f"[bench]   {cores} cores, {gib} GiB: {min(by_memory, by_cpu)} attendees "
            f"(memory allows {by_memory}, CPU {by_cpu})"
        )
    assert working["peak_mib"] < 1024, "the notebook needs more than the workshop profile"
