"""Limits on failed logins, and the client address they are counted by. No web framework.

A `FailureLimit` allows at most `limit` failures per key (an account, an address) in any
`seconds`-long window; a key that has used them up waits until its oldest failure leaves
the window. Attempts are counted when they start, before the password is checked, so
that requests sent in parallel cannot all pass the check before the first one fails.
Kept in the hub's memory: a hub restart forgets them, and nobody but the operator
restarts the hub.
"""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable, Iterable

#: Above this many keys, keys with no failure left in the window are dropped.
PRUNE_ABOVE = 1000


class FailureLimit:
    """At most `limit` failures per key in any window of `seconds` (0 turns it off)."""

    def __init__(
        self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._pruned = float("-inf")

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key, deque())
        horizon = self.clock() - self.seconds
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures

    def wait(self, key: str) -> float:
        """Seconds before `key` may try again; 0 if it may try now."""
        if self.limit <= 0:
            return 0.0
        failures = self._recent(key)
        if len(failures) < self.limit:
            return 0.0
        return failures[-self.limit] + self.seconds - self.clock()

    def fail(self, key: str) -> float:
        """Count one failure of `key`; the returned stamp lets `forgive` take it back."""
        stamp = self.clock()
        # At most once a window, so that many keys cost one sweep, not one per failure.
        if len(self._failures) > PRUNE_ABOVE and stamp - self._pruned > self.seconds:
            self._pruned = stamp
            for stale in [k for k in self._failures if not self._recent(k)]:
                del self._failures[stale]
        failures = self._recent(key)
        failures.append(stamp)
        self._failures[key] = failures
        return stamp

    def forgive(self, key: str, stamp: float) -> None:
        """Take back the failure counted at `stamp` (the attempt succeeded)."""
        failures = self._failures.get(key)
        if failures and stamp in failures:
            failures.remove(stamp)


def client_address(forwarded_for: str, peer: str, trusted: Iterable[str] = ()) -> str:
    """The address a login is counted by.

    configurable-http-proxy appends the address it sees to X-Forwarded-For, so the
    rightmost entry that is not a trusted proxy in front of it (JupyterHub's
    `trusted_downstream_ips`) is the client's; entries left of it are the client's own
    words. X-Real-Ip, which tornado would believe, is never read. IPv6 addresses count
    by their /64 network, which one client usually holds whole.
    """
    trusted = set(trusted)
    address = peer
    for entry in reversed([e.strip() for e in forwarded_for.split(",") if e.strip()]):
        address = entry
        if entry not in trusted:
            break
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
