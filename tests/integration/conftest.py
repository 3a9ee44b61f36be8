"""Fixtures for integration tests: a real hub, real users, real servers.

- `hub` is a hub with default settings: the module's own, or, in a module marked
  `pytestmark = pytest.mark.shared_hub`, the run's (`shared_hub()`, tests/conftest.py),
  for modules whose tests make users of their own (`new_user`, unique names) and never
  look at the whole hub (every user, every annotation, every app: those would see the
  other modules' too). At the end of such a module the servers it left running are
  stopped. Browser modules (tests/e2e/) follow the same rule.
- `hub_factory(args=..., env=...)` starts `echoes up` of the test's own in a fresh state
  folder on free ports, and stops it (hub, proxy, services, user servers) when the test
  ends, passed or failed: for tests that stop, restart or reconfigure a hub.
- `hub_factory_module` is the same for a module's own `hub` with other settings.
- `admin` is the administrator, logged in through the form with the password the hub printed.
- `new_user(prefix)` signs a person up through the form, has the admin approve them, logs
  them in, and returns their `HubSession`.
- `data` is the hub's shared data folder, built (or copied from the build cache); `twins`
  the twins service's public URL once it has loaded that build.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from echoes_data import recipe
from tests.hubclient import STATE_ROOT, Hub, HubSession, make_state_dir, stop_hubs, wait_for

__all__ = ["STATE_ROOT"]  # imported from here by the modules that make their own hubs


def _stop_leftovers(hub: Hub) -> None:
    """Stop a hub a module started itself, and all it left running."""
    hub.kill_leftovers()


def _hub_factory() -> Iterator[Callable[..., Hub]]:
    hubs: list[Hub] = []

    def factory(args: list[str] = (), env: dict[str, str] | None = None) -> Hub:
        hub = Hub(make_state_dir(STATE_ROOT), args=args, env=env)
        hubs.append(hub)
        return hub.start()

    try:
        yield factory
    finally:
        stop_hubs(hubs)


@pytest.fixture(scope="module")
def hub_factory_module() -> Iterator[Callable[..., Hub]]:
    """Hubs that live as long as the module (a module's own `hub` with other settings)."""
    yield from _hub_factory()


@pytest.fixture
def hub_factory() -> Iterator[Callable[..., Hub]]:
    """Hubs of one test's own, stopped when it ends, for tests that restart or reconfigure."""
    yield from _hub_factory()


@pytest.fixture(scope="module")
def hub(request, shared_hub, hub_factory_module) -> Iterator[Hub]:
    if request.node.get_closest_marker("shared_hub") is None:
        yield hub_factory_module()
    else:
        yield from module_on_shared_hub(shared_hub)


def module_on_shared_hub(shared_hub: Callable[..., Hub]) -> Iterator[Hub]:
    """The run's shared hub for one module; the servers the module left running stop."""
    hub = shared_hub()
    yield hub
    stop_all_servers(hub)


def stop_all_servers(hub: Hub, timeout: float = 120) -> None:
    """Stop every user server running on `hub`, so that a shared hub does not gather the
    servers of every module (each one a JupyterLab process)."""
    admin = login_admin(hub)

    def running() -> list[tuple[str, str]]:
        users = admin.api("GET", "/users", params={"state": "active"}).json()
        return [(user["name"], name) for user in users for name in user.get("servers", {})]

    for user, name in running():
        path = f"/users/{user}/servers/{name}" if name else f"/users/{user}/server"
        response = admin.api("DELETE", path)
        assert response.status_code in (202, 204, 404), response.text
    wait_for(lambda: not running(), timeout, "the module's servers to stop")


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


@pytest.fixture(scope="module")
def data(hub) -> Path:
    """The hub's shared data folder, built by the recipe (as `make data` does)."""
    return recipe.build(hub.state_dir / "heritage")


@pytest.fixture(scope="module")
def twins(hub, data) -> str:
    """The twins service's public URL, once it has loaded the hub's data build."""
    return loaded_twins(hub, data)


def loaded_twins(hub: Hub, data: Path) -> str:
    """`hub`'s twins service's public URL, once it has loaded the data build ``data``."""
    url = hub.service_url("twins")
    fingerprint = json.loads((data / "BUILD.json").read_text())["fingerprint"]

    def loaded() -> bool:
        reply = requests.get(url, timeout=10)
        return reply.status_code == 200 and reply.json()["build"] == fingerprint

    started = time.monotonic()
    wait_for(loaded, 180, "the twins service to load the data build")
    print(f"\ntwins loaded {time.monotonic() - started:.1f} s after the data build")
    return url
