"""Run a managed service so that it stops when the hub that started it dies.

JupyterHub stops its managed services when it shuts down, but not when it is killed
(SIGKILL, out of memory): the services would live on, hold their ports and act with
stale tokens beside the next hub's. Usage: `python -m echoes_hub.services.tether CMD...`
asks Linux to send SIGTERM to CMD when its parent (the hub) dies, then becomes CMD.

Every managed service (and every app process) starts here, so it is also where they get
the umask 077: their databases, logs and secrets are the hub account's only. What a
service shares on purpose (an author's app snapshots) it opens with explicit modes.

With `--restart` the tether stays CMD's parent and starts it again as soon as it dies.
JupyterHub notices a dead managed service only when it polls it, every 30 s (the
`poll_interval` of the spawner it makes for services, which no setting reaches), so a
crashed service would be away that long; supervised here it is back in under a second
(with a growing pause, up to 10 s, while it keeps dying at once). SIGINT and SIGTERM go
on to CMD and end the tether with it, so the hub stops the service as before.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
#: A child that lived this long was not crashing at start: restart it without a pause.
STEADY = 10.0
FIRST_PAUSE, LONGEST_PAUSE = 0.2, 10.0


def tethered(command: list[str], restart: bool = False) -> list[str]:
    """`command`, wrapped so that it ends with the hub (and, with `restart`, comes back
    at once when it dies on its own)."""
    return [
        sys.executable,
        "-m",
        "echoes_hub.services.tether",
        *(["--restart"] if restart else []),
        *command,
    ]


def die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when the thread that started it ends (its
    parent dies): for a child that must not outlive what started it."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            sys.exit(f"tether: prctl failed: {os.strerror(ctypes.get_errno())}")


def supervise(argv: list[str]) -> int:
    """Run `argv` as a child until asked to stop; start it again whenever it dies."""
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pause = FIRST_PAUSE
    while True:
        started = time.monotonic()
        # The child ends with the tether too, even when the tether is SIGKILLed.
        child = subprocess.Popen(argv, preexec_fn=die_with_parent)
        if stopping:  # asked while it was starting
            child.terminate()
        code = child.wait()
        if stopping:
            return code
        pause = (
            FIRST_PAUSE if time.monotonic() - started > STEADY else min(pause * 2, LONGEST_PAUSE)
        )
        print(f"tether: {argv[:3]} exited ({code}); starting it again", file=sys.stderr)
        time.sleep(pause)
        if stopping:
            return code


def main(argv: list[str]) -> None:
    restart = argv[:1] == ["--restart"]
    argv = argv[1:] if restart else argv
    if not argv:
        sys.exit("usage: python -m echoes_hub.services.tether [--restart] COMMAND [ARGS...]")
    parent = os.getppid()
    die_with_parent()
    if os.getppid() != parent:
        sys.exit("tether: the hub died before the service started")
    os.umask(0o077)
    if restart:
        sys.exit(supervise(argv))
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
