"""Fixtures for integration tests: a real hub, real users, real servers.

- `hub_factory(args=..., env=...)` starts `echoes up` in a fresh state folder on free ports
  and tears it down (hub, proxy, user servers) after the test.
- `hub` is one such hub shared by a test module.
- `admin` is the administrator, logged in through the form with the password the hub printed.
- `new_user(prefix)` signs a person up through the form, has the admin approve them, logs
  them in, and returns their `HubSession`.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.hubclient import Hub, HubSession, make_state_dir

#: A folder every system user can traverse (pytest's own tmp folders are private to root).
STATE_ROOT = Path(tempfile.gettempdir()) / "echoes-tests"


def _stop_leftovers(hub: Hub) -> None:
    hub.stop(signal.SIGTERM)
    hub.kill_leftovers()


@pytest.fixture(scope="module")
def hub_factory_module() -> Iterator[Callable[..., Hub]]:
    hubs: list[Hub] = []

    def factory(args: list[str] = (), env: dict[str, str] | None = None) -> Hub:
        STATE_ROOT.mkdir(mode=0o711, exist_ok=True)
        hub = Hub(make_state_dir(STATE_ROOT), args=args, env=env)
        hubs.append(hub)
        return hub.start()

    yield factory
    for hub in hubs:
        _stop_leftovers(hub)
        shutil.rmtree(hub.state_dir, ignore_errors=True)


@pytest.fixture
def hub_factory(hub_factory_module) -> Callable[..., Hub]:
    """Start a hub of one's own, for tests that restart or reconfigure it."""
    return hub_factory_module


@pytest.fixture(scope="module")
def hub(hub_factory_module) -> Hub:
    return hub_factory_module()


def login_admin(hub: Hub) -> HubSession:
    admin = HubSession(hub, "admin", hub.admin_password())
    admin.login()
    assert admin.is_logged_in(), "the administrator could not log in"
    return admin


@pytest.fixture(scope="module")
def admin(hub) -> HubSession:
    return login_admin(hub)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def add_user(hub: Hub, admin: HubSession, prefix: str = "user") -> HubSession:
    """Sign up through the form, get approved by the admin, log in through the form."""
    person = HubSession(hub, unique_name(prefix), f"pw-{uuid.uuid4().hex}")
    response = person.signup()
    assert response.status_code == 200, response.text[:500]
    admin.approve(person.name)
    person.login()
    assert person.is_logged_in(), f"{person.name} could not log in after approval"
    return person


@pytest.fixture
def new_user(hub, admin) -> Callable[[str], HubSession]:
    return lambda prefix="user": add_user(hub, admin, prefix)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
