"""Time to first render of a published app: cold (its Voila just started) and warm (its
Voila running), by default (each page a kernel of its own) and with Voila's preheated
kernels (`EchoesApps.pool_size = 1`, opt-in: see hub/services/apps/README.md), against
plain `voila notebook.ipynb` measured in the same run.

A render is the complete HTTP answer of the app's page, which Voila sends once the
notebook has run (outputs and widget state included).
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.benchmarks.report import ratio_line, summary
from tests.hubclient import Hub, free_port_block, make_state_dir, wait_for
from tests.integration.conftest import STATE_ROOT, add_user, login_admin
from tests.integration.test_apps_service import POTTERY, TITLE, publish


def timed_render(url: str) -> float:
    start = time.perf_counter()
    response = requests.get(url, timeout=300)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200 and TITLE in response.text, response.status_code
    return elapsed


def plain_voila_cold() -> float:
    """`voila notebook.ipynb` from process start to the first complete page."""
    port = free_port_block(1)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "voila"),
            str(POTTERY),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=POTTERY.parent,
    )
    try:

        def page() -> bool:
            r = requests.get(f"http://127.0.0.1:{port}/", timeout=300)
            return r.status_code == 200 and TITLE in r.text

        wait_for(page, 300, "plain voila to render", interval=0.05)
        return time.perf_counter() - start
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def cold_and_warm(args: list[str]) -> tuple[list[float], list[float]]:
    """Renders of one app on a hub started with `args`: 3 cold, each followed by 2 warm."""
    hub = Hub(make_state_dir(STATE_ROOT), args=args).start()
    try:
        admin = login_admin(hub)
        author = add_user(hub, admin, "bench-author")
        token = author.new_token()
        url = hub.app_url(author.name, "pottery")
        cold, warm = [], []
        for _ in range(3):
            # (Re)publishing stops the running Voila: the next opening is cold.
            result = publish(hub, author, POTTERY, "pottery", "public", token)
            assert result.returncode == 0, result.stderr
            cold.append(timed_render(url))
            for _ in range(2):
                time.sleep(10)  # with preheating, let Voila refill its pool
                warm.append(timed_render(url))
        return cold, warm
    finally:
        hub.stop()
        hub.kill_leftovers()


def test_time_to_first_render_cold_warm_and_plain_voila():
    STATE_ROOT.mkdir(mode=0o711, exist_ok=True)
    cold, warm = cold_and_warm([])
    hot_cold, hot_warm = cold_and_warm(["--EchoesApps.pool_size=1"])
    plain = [plain_voila_cold() for _ in range(3)]
    print(f"\n[bench] published app, cold: {summary(cold)}")
    print(f"[bench] published app, warm: {summary(warm)}")
    print(f"[bench] with preheated kernels, cold: {summary(hot_cold)}")
    print(f"[bench] with preheated kernels, warm: {summary(hot_warm)}")
    print(
        f"[bench] warm is {statistics.median(cold) / statistics.median(warm):.1f}x faster "
        f"than cold; preheated warm {statistics.median(cold) / statistics.median(hot_warm):.1f}x"
    )
    ratio_line("warm app render against plain `voila notebook.ipynb`", warm, plain, "plain voila")
    ratio_line("cold app render against plain `voila notebook.ipynb`", cold, plain, "plain voila")
    ratio_line(
        "preheated warm app render against plain `voila notebook.ipynb`",
        hot_warm,
        plain,
        "plain voila",
    )
