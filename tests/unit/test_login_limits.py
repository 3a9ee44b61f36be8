"""Limits on failed logins and the address they are counted by (hub/throttle.py), and
that their settings are documented."""

from __future__ import annotations

from pathlib import Path

import bcrypt

from echoes_hub.auth import EchoesAuthenticator, _no_account_hash
from echoes_hub.throttle import FailureLimit, client_address


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_waits_once_it_used_up_its_failures_until_the_oldest_leaves_the_window():
    clock = Clock()
    limit = FailureLimit(3, 60, clock)
    for _ in range(2):
        limit.fail("alice")
        clock.now += 10
    assert limit.wait("alice") == 0
    limit.fail("alice")  # failures at 1000, 1010, 1020
    assert limit.wait("alice") == 40  # the one at 1000 leaves the window at 1060
    assert limit.wait("bob") == 0
    clock.now = 1060
    assert limit.wait("alice") == 0
    limit.fail("alice")  # 1010, 1020, 1060: the next slot frees at 1070
    assert limit.wait("alice") == 10


def test_a_forgiven_attempt_no_longer_counts_and_zero_turns_the_limit_off():
    clock = Clock()
    limit = FailureLimit(2, 60, clock)
    limit.fail("alice")
    clock.now += 1
    stamp = limit.fail("alice")
    assert limit.wait("alice") > 0
    limit.forgive("alice", stamp)
    assert limit.wait("alice") == 0
    off = FailureLimit(0, 60, clock)
    for _ in range(10):
        off.fail("alice")
    assert off.wait("alice") == 0


def test_keys_with_no_recent_failure_are_dropped_when_there_are_many():
    clock = Clock()
    limit = FailureLimit(5, 60, clock)
    for n in range(2000):
        limit.fail(f"name-{n}")
    clock.now += 61
    limit.fail("late")
    assert len(limit._failures) < 1100


def test_the_address_is_the_proxys_entry_of_x_forwarded_for_never_the_clients():
    # What the client wrote stands left of what configurable-http-proxy appended.
    assert client_address("10.9.9.9, 203.0.113.7", "127.0.0.1") == "203.0.113.7"
    assert client_address("203.0.113.7", "127.0.0.1") == "203.0.113.7"
    assert client_address("", "127.0.0.1") == "127.0.0.1"
    # A trusted proxy in front (JupyterHub.trusted_downstream_ips) is skipped.
    trusted = ["192.0.2.1"]
    assert client_address("10.9.9.9, 203.0.113.7, 192.0.2.1", "127.0.0.1", trusted) == (
        "203.0.113.7"
    )
    # IPv6 clients count by their /64; IPv4 in IPv6 form as IPv4.
    assert client_address("2001:db8:1:2:aaaa::1", "::1") == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:2:bbbb::2", "::1") == "2001:db8:1:2::/64"
    assert client_address("::ffff:203.0.113.7", "::1") == "203.0.113.7"


def test_readme_documents_every_setting_of_the_authenticator():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name in EchoesAuthenticator.class_own_traits(config=True):
        assert f"`EchoesAuthenticator.{name}`" in readme, name


def test_a_login_to_no_account_checks_a_hash_as_costly_as_a_real_one():
    """The answer for a missing account takes as long as for a wrong password: the hash
    checked in its place has the cost of those sign-ups make ($2b$12$...)."""
    real = bcrypt.hashpw(b"a-long-passphrase", bcrypt.gensalt())
    assert _no_account_hash()[:7] == real[:7]
