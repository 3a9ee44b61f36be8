"""Run a managed service so that it stops when the hub that started it dies.

JupyterHub stops its managed services when it shuts down, but not when it is killed
(SIGKILL, out of memory): the services would live on, hold their ports and act with
stale tokens beside the next hub's. Usage: `python -m echoes_hub.services.tether CMD...`
asks Linux to send SIGTERM to CMD when its parent (the hub) dies, then becomes CMD.

Every managed service (and every app process) starts here, so it is also where they get
the umask 077: their databases, logs and secrets are the hub account's only. What a
service shares on purpose (an author's app snapshots) it opens with explicit modes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def tethered(command: list[str]) -> list[str]:
    """`command`, wrapped so that it ends with the hub."""
    return [sys.executable, "-m", "echoes_hub.services.tether", *command]


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit("usage: python -m echoes_hub.services.tether COMMAND [ARGS...]")
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            sys.exit(f"tether: prctl failed: {os.strerror(ctypes.get_errno())}")
    if os.getppid() != parent:
        sys.exit("tether: the hub died before the service started")
    os.umask(0o077)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
