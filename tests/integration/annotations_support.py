"""Helpers of the annotation integration tests, on top of the lead's hub harness.

People sign up and log in through the real forms (`conftest.add_user`); each then gets a
hub API token of their own, which is what notebooks and agents use. Every request goes
through the proxy to the service, which asks the hub who is calling.
"""

from __future__ import annotations

from pathlib import Path

import requests

from tests.hubclient import Hub, HubSession, wait_for
from tests.integration.conftest import add_user

MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
#: How long the service trusts the hub's answer about who is calling (configured small, so
#: that a removal from a group applies within seconds).
AUTH_CACHE_MAX_AGE = 2
#: The settings of the one hub that the protocol module (its SQLite half) and the schema
#: module share, `shared_hub(ANNOTATIONS_HUB)`: the short auth cache the protocol's group
#: test waits on, and imports beyond the hourly limit, which schemathesis generates
#: (the limit itself is test_annotations_limits.py's, on a hub of its own).
ANNOTATIONS_HUB = [
    f"--AnnotationsService.auth_cache_max_age={AUTH_CACHE_MAX_AGE}",
    "--AnnotationsService.max_imports_per_hour=10000",
]


def service_url(hub: Hub) -> str:
    """The service's public address: its own host (annotations--service.localhost)."""
    return hub.service_url("annotations")


def wait_for_service(hub: Hub, timeout: float = 120) -> None:
    """Until the service itself (not the proxy's error page) answers through the proxy."""

    def answers() -> bool:
        reply = requests.get(service_url(hub), timeout=5)
        return reply.status_code == 403 and "authenticate" in reply.text

    wait_for(answers, timeout, "the annotation service behind the proxy", 0.5)


def with_token(person: HubSession) -> requests.Session:
    """A program acting for ``person``: their own hub API token, no cookies."""
    session = requests.Session()
    session.headers["Authorization"] = f"token {person.new_token('annotation tests')}"
    session.name = person.name  # type: ignore[attr-defined]
    return session


def new_person(hub: Hub, admin: HubSession, prefix: str, groups: tuple[str, ...] = ()):
    """A signed-up, approved, logged-in person in ``groups``, and a token session of theirs."""
    person = add_user(hub, admin, prefix)
    for group in groups:
        admin.api("POST", f"/groups/{group}")
        reply = admin.api("POST", f"/groups/{group}/users", json={"users": [person.name]})
        assert reply.status_code == 200, reply.text
    return person, with_token(person)


def service_processes(hub: Hub) -> dict[int, str]:
    """Pid -> command line of this hub's annotation service and of the tether that
    supervises it (their environment names the hub's state folder, in the database URL)."""
    marker = str(hub.state_dir / "annotations.sqlite")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            environ = (entry / "environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "echoes_hub.services.annotations" in cmdline and marker in environ:
            found[int(entry.name)] = cmdline
    return found


def service_pid(hub: Hub) -> int:
    """The pid of this hub's annotation service, not of the tether that supervises it."""
    for pid, cmdline in service_processes(hub).items():
        if "echoes_hub.services.tether" not in cmdline:
            return pid
    raise LookupError("annotation service process not found")
