"""The test harness stops what it started, even a process that will not stop when asked
(a hub on a busy machine, a server that ignores SIGTERM): teardown never leaves it running
and never stops halfway through the hubs it has to stop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.hubclient import Hub, make_state_dir, stop_hubs

#: A process that ignores SIGTERM, as a hub busy stopping its services may seem to.
STUBBORN = (
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(600)\n"
)


def stubborn(cwd: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", STUBBORN], cwd=cwd, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline() == "ready\n"  # its SIGTERM handler is in place
    return proc


def test_a_hub_that_does_not_stop_in_time_is_killed_not_left_running():
    hub = Hub(make_state_dir())
    hub.proc = stubborn(hub.state_dir)
    Hub.running += 1  # as Hub.start counts it
    try:
        hub.stop(timeout=1)
        assert hub.proc is None
    finally:
        stop_hubs([hub], timeout=1)


def test_teardown_stops_every_process_of_every_hub_by_pid():
    hubs = [Hub(make_state_dir()) for _ in range(2)]
    # What outlives a hub: a server running in the hub's state folder, deaf to SIGTERM.
    leftovers = [stubborn(hub.state_dir) for hub in hubs]
    stop_hubs(hubs, timeout=1)
    for proc in leftovers:
        assert proc.wait(60) is not None
    assert not any(hub.state_dir.exists() for hub in hubs)
