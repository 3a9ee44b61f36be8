"""Benchmark: how fast a person gets a server, ECHOES against plain JupyterHub.

Both hubs run in this process's run, on this machine, with the same spawner. Measured:
- POST to ready: from the REST call that starts a server to the hub reporting it ready;
- login to usable lab: from posting the login form to `/user/<name>/lab` answering;
- 20 users at once on ECHOES: all ready, no error.
Printed as medians and the ratio ECHOES / plain (goal for issue 2: at most 1.1).
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.benchmarks.plain import plain_jupyterhub
from tests.benchmarks.report import ratio_line
from tests.hubclient import Hub, HubSession, make_state_dir, wait_for
from tests.integration.conftest import STATE_ROOT, add_user, login_admin

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CONCURRENT_USERS = int(os.environ.get("BENCH_CONCURRENT_USERS", "20"))


@pytest.fixture(scope="module")
def hubs():
    STATE_ROOT.mkdir(mode=0o711, exist_ok=True)
    ours = Hub(make_state_dir(STATE_ROOT), args=["--EchoesHub.keep_running_on_exit=False"])
    password = uuid.uuid4().hex
    plain = plain_jupyterhub(password)
    ours.start()
    plain.start()
    yield ours, plain, password
    for hub in (ours, plain):
        hub.stop()
        hub.kill_leftovers()


def _time_post_to_ready(person: HubSession) -> float:
    started = time.perf_counter()
    response = person.start_server(wait=False)
    assert response.status_code in (201, 202), response.text
    person.wait_ready()
    return time.perf_counter() - started


def _time_login_to_lab(person: HubSession) -> float:
    started = time.perf_counter()
    person.login(follow=True)
    lab = person.server_url() + "lab"

    def usable() -> bool:
        response = person.http.get(lab, timeout=60)
        return response.status_code == 200 and response.url.startswith(lab)

    wait_for(usable, 180, f"{person.name}'s lab", interval=0.1)
    return time.perf_counter() - started


def test_time_to_ready_server_against_plain_jupyterhub(hubs):
    ours, plain, password = hubs
    admin = login_admin(ours)
    results = {"ours": ([], []), "plain": ([], [])}
    for _ in range(ROUNDS):
        # Alternate the hubs so that machine noise falls on both alike.
        for label, hub in (("ours", ours), ("plain", plain)):
            if label == "ours":
                person = add_user(hub, admin, "bench")
            else:
                person = HubSession(hub, f"bench-{uuid.uuid4().hex[:6]}", password)
                person.login()
            person.http.get(person.url("/hub/home"), timeout=30)
            results[label][0].append(_time_post_to_ready(person))
            person.stop_server()
            fresh = HubSession(hub, person.name, person.password)
            results[label][1].append(_time_login_to_lab(fresh))
            fresh.stop_server()
    post = ratio_line(
        "POST to ready server", *[results[k][0] for k in ("ours", "plain")], "plain JupyterHub"
    )
    login = ratio_line(
        "login to usable lab", *[results[k][1] for k in ("ours", "plain")], "plain JupyterHub"
    )
    print(f"[bench] goal: both ratios <= 1.1 -> {post:.2f}, {login:.2f}")


def test_twenty_users_start_at_once(hubs):
    ours, _, _ = hubs
    admin = login_admin(ours)
    people = [add_user(ours, admin, "crowd") for _ in range(CONCURRENT_USERS)]
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENT_USERS) as pool:
        responses = list(pool.map(lambda p: p.start_server(wait=False), people))
    assert all(r.status_code in (201, 202) for r in responses), [r.text for r in responses]
    with ThreadPoolExecutor(CONCURRENT_USERS) as pool:
        list(pool.map(lambda p: p.wait_ready(timeout=300), people))
    elapsed = time.perf_counter() - started
    errors = [p.name for p in people if not p.server_model()["ready"]]
    assert not errors
    print(
        f"\n[bench] {CONCURRENT_USERS} users started at once: all ready in {elapsed:.1f}s, "
        f"{len(errors)} errors"
    )
