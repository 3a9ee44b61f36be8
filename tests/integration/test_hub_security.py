"""Attacks on the hub's own pages and API, by anonymous visitors and by one user on another.

Every attack goes through the real proxy to a real `echoes up`: the login form, the
sign-up and approval forms, the REST API, the spawn and admin pages, and the users'
servers. Each one must be refused with a 4xx (JSON on /hub/api), and nothing may change.
Failed logins are limited per account and per client address (hub/throttle.py): other
loopback addresses (127.0.0.x) stand for other machines.
"""

from __future__ import annotations

import pytest
import requests
from echoes_hub.auth import REFUSED

from tests.hubclient import Hub, HubSession, Kernel, wait_for
from tests.integration.conftest import add_user, login_admin, unique_name

ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW = 3, 6, 20
THROTTLED = "Too many failed logins"


@pytest.fixture(scope="module")
def strict_hub(hub_factory_module) -> Hub:
    """A hub with small login limits, kept apart so its locks stop no other test."""
    return hub_factory_module(
        args=[
            f"--EchoesAuthenticator.allowed_failed_logins={ACCOUNT_LIMIT}",
            f"--EchoesAuthenticator.failed_logins_per_address={ADDRESS_LIMIT}",
            f"--EchoesAuthenticator.seconds_before_next_try={WINDOW}",
        ]
    )


@pytest.fixture(scope="module")
def strict_admin(strict_hub) -> HubSession:
    return login_admin(strict_hub)


def _logs_in(session: HubSession, password: str | None = None) -> bool:
    return session.login(password).status_code == 302


def test_an_account_is_locked_after_failed_logins_from_anywhere_but_its_owners_browser(
    strict_hub, strict_admin
):
    victim = add_user(strict_hub, strict_admin, "vic")  # logged in once from 127.0.0.1
    attacker = HubSession(strict_hub, victim.name, "", source="127.0.0.10")
    for guess in range(ACCOUNT_LIMIT):
        assert attacker.login_error(f"wrong-guess-{guess}") == (403, REFUSED)

    # The right password is refused now, from the attacker's address and from any other.
    status, message = attacker.login_error(victim.password)
    assert status == 429 and THROTTLED in message, (status, message)
    assert not attacker.is_logged_in()
    elsewhere = HubSession(strict_hub, victim.name, victim.password, source="127.0.0.11")
    assert elsewhere.login_error()[0] == 429

    # The owner's browser, which logged in before, is not locked out by the attacker.
    assert _logs_in(victim)

    # The lock passes with the window; polling attempts are refused, never counted.
    wait_for(lambda: _logs_in(attacker, victim.password), 3 * WINDOW, "the account lock to pass")
    assert attacker.is_logged_in()


def test_an_address_is_locked_after_failed_logins_to_any_accounts(strict_hub, strict_admin):
    people = [add_user(strict_hub, strict_admin, f"p{i}") for i in range(4)]
    # Below each account's limit, but together the address's limit.
    per_account = ADDRESS_LIMIT // 3
    assert per_account < ACCOUNT_LIMIT
    sprayer = "127.0.0.20"
    for person in people[:3]:
        for guess in range(per_account):
            attempt = HubSession(strict_hub, person.name, "", source=sprayer)
            assert attempt.login_error(f"wrong-{guess}") == (403, REFUSED)

    # Another account's right password from that address is refused, whatever the
    # client claims its address is.
    fourth = people[3]
    from_sprayer = HubSession(strict_hub, fourth.name, fourth.password, source=sprayer)
    status, message = from_sprayer.login_error()
    assert status == 429 and THROTTLED in message, (status, message)
    for header in ["X-Forwarded-For", "X-Real-Ip"]:
        spoofing = HubSession(strict_hub, fourth.name, fourth.password, source=sprayer)
        spoofing.http.headers[header] = "10.20.30.40"
        assert spoofing.login_error()[0] == 429, header

    # Well-behaved people elsewhere are not held, not even those whose accounts were tried.
    for person in (fourth, people[0]):
        assert _logs_in(HubSession(strict_hub, person.name, person.password, "127.0.0.21"))

    wait_for(lambda: _logs_in(from_sprayer), 3 * WINDOW, "the address lock to pass")
