"""Benchmark: time to a ready server in a container (image present) against a local process.

Two hubs run in this run on this machine: one with DockerSpawner (`--spawner docker`,
workshop profile), one with local processes. Measured: from the spawn requests to the
last server being ready, for 1 user (BENCH_ROUNDS times, median) and for 10 users at
once. Users sign up, are approved and log in before the clock starts. Printed as
medians and the ratio docker / local.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.benchmarks.report import summary
from tests.hubclient import Hub, HubSession, make_state_dir
from tests.integration.conftest import STATE_ROOT, add_user, login_admin
from tests.integration.test_docker_spawner import (
    NETWORK,
    remove_containers_and_volumes,
    require_engine_and_image,
)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CROWD = int(os.environ.get("BENCH_DOCKER_CROWD", "10"))


def time_to_ready(hub: Hub, admin: HubSession, options: dict, count: int) -> float:
    """Seconds from the spawn requests of `count` new users to all of them ready."""
    people = [add_user(hub, admin, "bench") for _ in range(count)]
    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        responses = list(pool.map(lambda p: p.start_server(options=options, wait=False), people))
    assert all(r.status_code in (201, 202) for r in responses), [r.text for r in responses]
    with ThreadPoolExecutor(count) as pool:
        list(pool.map(lambda p: p.wait_ready(timeout=600), people))
    elapsed = time.perf_counter() - started
    for person in people:
        person.stop_server(timeout=120)
    return elapsed


@pytest.fixture(scope="module")
def hubs() -> Iterator[dict[str, tuple[Hub, HubSession, dict]]]:
    require_engine_and_image()
    STATE_ROOT.mkdir(mode=0o711, exist_ok=True)
    prefix = f"echoes-b{uuid.uuid4().hex[:6]}"
    docker_args = ["--spawner", "docker", f"--EchoesDockerSpawner.prefix={prefix}"]
    docker_args.append(f"--EchoesDockerSpawner.network_name={NETWORK}")
    docker_hub = Hub(make_state_dir(STATE_ROOT), args=docker_args)
    local_hub = Hub(make_state_dir(STATE_ROOT), args=["--spawner", "local"])
    try:
        docker_hub.start()
        local_hub.start()
        yield {
            "docker": (docker_hub, login_admin(docker_hub), {"profile": "workshop"}),
            "local": (local_hub, login_admin(local_hub), {}),
        }
    finally:
        for hub in (docker_hub, local_hub):
            hub.stop()
            hub.kill_leftovers()
        remove_containers_and_volumes(prefix)


def report(what: str, docker: list[float], local: list[float]) -> None:
    ratio = statistics.median(docker) / statistics.median(local)
    print(f"\n[bench] {what}")
    print(f"[bench]   docker: {summary(docker)}")
    print(f"[bench]   local:  {summary(local)}")
    print(f"[bench]   ratio docker / local: {ratio:.2f}")


def test_one_user_docker_against_local(hubs: dict) -> None:
    samples: dict[str, list[float]] = {"docker": [], "local": []}
    for _ in range(ROUNDS):
        # Alternate the spawners so that machine noise falls on both alike.
        for kind in ("local", "docker"):
            samples[kind].append(time_to_ready(*hubs[kind], 1))
    report("1 user, POST to ready server", samples["docker"], samples["local"])


def test_ten_users_at_once_docker_against_local(hubs: dict) -> None:
    local = time_to_ready(*hubs["local"], CROWD)
    docker = time_to_ready(*hubs["docker"], CROWD)
    report(f"{CROWD} users at once, POST to all ready", [docker], [local])
