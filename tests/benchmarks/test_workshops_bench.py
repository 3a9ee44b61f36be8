"""Benchmark: from submitting a workshop's join form to a usable lab, for attendees
arriving within a minute, with the warm pool, without it, and on plain JupyterHub with
the same spawner (pre-made users logging in), one after the other in one run.

"Usable": the lab page answers 200 and a kernel-less API call (`api/status`) works.
Printed per case: median, p95, max and errors; the ratios to plain JupyterHub; what each
waiting server of the pool costs (RSS, PSS, CPU seconds to start, idle CPU, read from
/proc of the local server processes); and the CPU bound of a cold burst, CPU seconds per
server start x attendees / cores: no queue can bring the last cold start below it.

BENCH_ATTENDEES (default "20"; e.g. "20,50") says how many arrive; BENCH_ARRIVAL (60)
over how many seconds, evenly spread.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.benchmarks.plain import plain_jupyterhub
from tests.benchmarks.report import spread
from tests.hubclient import Hub, HubSession, make_state_dir, stop_hubs, wait_for
from tests.integration.conftest import STATE_ROOT, login_admin
from tests.integration.workshops_support import (
    Attendee,
    new_event,
    new_trainer,
    wait_for_pool,
)

ATTENDEES = [int(n) for n in os.environ.get("BENCH_ATTENDEES", "20").split(",")]
ARRIVAL = float(os.environ.get("BENCH_ARRIVAL", "60"))
#: Seconds over which an idle server's CPU use is measured.
IDLE_WINDOW = 20
TICK = os.sysconf("SC_CLK_TCK")


def usable(person: HubSession, server: str, deadline: float) -> None:
    """Poll until the lab of the person's server at `server` answers 200 and its API
    works (as the spawn-pending page does, which sends the browser on once it is ready)."""
    lab = server + "lab"

    def ready() -> bool:
        page = person.http.get(lab, timeout=60)
        if page.status_code != 200 or not page.url.startswith(lab):
            return False
        return person.http.get(server + "api/status", timeout=60).status_code == 200

    wait_for(ready, deadline - time.monotonic(), f"{person.name}'s lab", interval=0.25)


def arrive(count: int, act) -> tuple[list[float], list[str]]:
    """`count` people arriving evenly over ARRIVAL seconds, each doing `act(i)` (which
    returns its duration); their durations and errors."""
    start = time.monotonic() + 1
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        time.sleep(max(start + i * ARRIVAL / count - time.monotonic(), 0))
        try:
            took = act(i)
        except Exception as error:  # counted and printed: the figure is how many fail
            with lock:
                errors.append(f"{type(error).__name__}: {str(error)[:200]}")
            return
        with lock:
            times.append(took)

    with ThreadPoolExecutor(count) as pool:
        list(pool.map(one, range(count)))
    return times, errors


def join_to_lab(hub: Hub, event: dict) -> float:
    attendee = Attendee(hub)
    http = attendee.session.http
    page = http.get(event["join_url"], timeout=60)
    xsrf = page.text.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
    started = time.monotonic()
    reply = http.post(
        event["join_url"],
        data={"_xsrf": xsrf, "code": event["code"], "display_name": "Ada"},
        timeout=300,
    )
    assert reply.status_code == 200, reply.text[:300]
    attendee.session.name = attendee.session.api("GET", "/user").json()["name"]
    usable(attendee.session, attendee.session.server_url(), started + 600)
    return time.monotonic() - started


def login_to_lab(person: HubSession) -> float:
    started = time.monotonic()
    person.login(follow=True)
    # Plain JupyterHub serves every server on its own host, under /user/<name>/.
    usable(person, f"{person.hub.url}/user/{person.name}/", started + 600)
    return time.monotonic() - started


def process_cost(pid: int) -> tuple[float, float, float]:
    """RSS and PSS in MB, and CPU seconds so far, of a server process and its children."""
    pids = [pid]
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) in pids:
                pids.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    rss = pss = cpu = 0.0
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICK
            for line in Path(f"/proc/{one}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) / 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) / 1024
        except OSError:
            continue
    return rss, pss, cpu


def waiting_costs(admin: HubSession, servers: dict[str, dict]) -> dict[str, list[float]]:
    pids = {}
    for name in servers:
        state = admin.api("GET", f"/users/{name}").json()["servers"][""].get("state") or {}
        pids[name] = state["pid"]
    before = {name: process_cost(pid) for name, pid in pids.items()}
    time.sleep(IDLE_WINDOW)  # what an idle server uses over a while: nothing to poll for
    after = {name: process_cost(pid) for name, pid in pids.items()}
    return {
        "rss": [after[n][0] for n in pids],
        "pss": [after[n][1] for n in pids],
        "start_cpu": [before[n][2] for n in pids],
        "idle_cpu": [(after[n][2] - before[n][2]) / IDLE_WINDOW for n in pids],
    }


def ours(count: int, pool: bool) -> tuple[list[float], list[str], dict | None]:
    args = [f"--WorkshopsService.pool_servers={count if pool else 0}"]
    hub = Hub(make_state_dir(STATE_ROOT), args=args)
    try:
        hub.start()
        admin = login_admin(hub)
        trainer = new_trainer(hub, admin)
        event = new_event(hub, trainer, seats=count)
        costs = None
        if pool:
            servers = wait_for_pool(hub, admin, trainer, event, count, timeout=60 * count)
            costs = waiting_costs(admin, servers)
        times, errors = arrive(count, lambda _: join_to_lab(hub, event))
        return times, errors, costs
    finally:
        stop_hubs([hub])


def plain(count: int) -> tuple[list[float], list[str]]:
    password = uuid.uuid4().hex
    hub = plain_jupyterhub(password)
    try:
        hub.start()
        people = []
        for _ in range(count):  # pre-made users, as the join page makes an account
            person = HubSession(hub, f"bench-{uuid.uuid4().hex[:6]}", password)
            person.login()
            people.append(HubSession(hub, person.name, password))
        return arrive(count, lambda i: login_to_lab(people[i]))
    finally:
        stop_hubs([hub])


def line(label: str, times: list[float], errors: list[str]) -> str:
    told = spread(times) if times else "no lab at all"
    return f"[bench]   {label}: {told}, {len(errors)} errors {errors[:3] if errors else ''}"


@pytest.mark.parametrize("count", ATTENDEES)
def test_join_to_usable_lab_with_and_without_the_pool_against_plain_jupyterhub(count):
    STATE_ROOT.mkdir(mode=0o711, exist_ok=True)
    warm, warm_errors, costs = ours(count, pool=True)
    cold, cold_errors, _ = ours(count, pool=False)
    base, base_errors = plain(count)
    cores = os.cpu_count() or 1
    print(f"\n[bench] {count} attendees arriving within {ARRIVAL:.0f} s, join form to usable lab")
    print(f"[bench]   machine: {cores} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print(line("ECHOES, warm pool", warm, warm_errors))
    print(line("ECHOES, no pool  ", cold, cold_errors))
    print(line("plain JupyterHub ", base, base_errors))
    if base:
        for label, times in (("warm pool", warm), ("no pool", cold)):
            if times:
                ratio = statistics.median(times) / statistics.median(base)
                print(f"[bench]   ratio of medians ECHOES {label} / plain JupyterHub: {ratio:.2f}")
    if costs:
        start = statistics.median(costs["start_cpu"])
        print(
            f"[bench]   each waiting server (median of {count}): RSS "
            f"{statistics.median(costs['rss']):.0f} MB, PSS {statistics.median(costs['pss']):.0f}"
            f" MB, {start:.2f} CPU s to start, idle CPU "
            f"{100 * statistics.median(costs['idle_cpu']):.2f} % of a core"
        )
        print(
            f"[bench]   CPU bound of {count} cold starts: {start:.2f} CPU s x {count} / "
            f"{cores} cores = {start * count / cores:.1f} s"
        )
    if warm:
        print("[bench]   goal with the pool: p95 < 2 s, max < 5 s, no error")
    assert not warm_errors and not cold_errors, (warm_errors, cold_errors)
