"""The baseline of the hub benchmarks: plain JupyterHub (plain_jupyterhub_config.py), with
the same proxy and spawner kind, on a state folder of its own."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.hubclient import STATE_ROOT, Hub, make_state_dir

PLAIN_CONFIG = Path(__file__).with_name("plain_jupyterhub_config.py")
NODE_BIN = Path(__file__).resolve().parents[2] / "node_modules" / ".bin"


def plain_jupyterhub(password: str) -> Hub:
    """A plain JupyterHub, not started yet, whose users log in with `password`."""
    hub = Hub(
        make_state_dir(STATE_ROOT),
        command=[str(Path(sys.executable).parent / "jupyterhub"), "-f", str(PLAIN_CONFIG)],
    )
    hub.env = {
        "BENCH_PORT": str(hub.port),
        "BENCH_PASSWORD": password,
        "PATH": f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}",
    }
    return hub
