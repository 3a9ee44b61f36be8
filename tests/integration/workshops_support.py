"""What the workshop tests share: trainers, events through the service's API, joining
through the hub's join page as a browser does."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from echoes_hub.services.workshops.pool import pooled
from echoes_hub.services.workshops.store import Store
from tests.hubclient import Hub, HubSession, Terminal, wait_for


def api(hub: Hub, person: HubSession, method: str, path: str = "", **kwargs) -> requests.Response:
    """The workshops service's JSON API, with `person`'s hub token."""
    token = getattr(person, "_workshops_token", None) or person.new_token("workshops")
    person._workshops_token = token
    return requests.request(
        method,
        f"{hub.service_url('workshops')}api/events{path}",
        headers={"Authorization": f"token {token}", **kwargs.pop("headers", {})},
        timeout=60,
        **kwargs,
    )


def new_trainer(hub: Hub, admin: HubSession, group: str = "trainers") -> HubSession:
    """A person signed up, approved and put in the trainers' group by the administrator."""
    from tests.integration.conftest import add_user

    person = add_user(hub, admin, "trainer")
    created = admin.api("POST", f"/groups/{group}")
    assert created.status_code in (201, 409), created.text
    added = admin.api("POST", f"/groups/{group}/users", json={"users": [person.name]})
    assert added.status_code == 200, added.text
    return person


def hours(start: float, end: float) -> dict[str, str]:
    """An event's start and end, `start` and `end` hours from now."""
    now = datetime.now(UTC)
    return {
        "start": (now + timedelta(hours=start)).isoformat(),
        "end": (now + timedelta(hours=end)).isoformat(),
    }


def new_event(hub: Hub, trainer: HubSession, **fields) -> dict:
    body = {"title": "Pottery in Python", "seats": 5, **hours(-1, 2), **fields}
    reply = api(hub, trainer, "POST", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


class Attendee:
    """A person with a browser on an event's join page."""

    def __init__(self, hub: Hub, source: str | None = None) -> None:
        self.session = HubSession(hub, "", "", source=source)

    def join(
        self, event: dict, code: str | None = None, display_name: str = "Ada"
    ) -> requests.Response:
        """Post the join form; on success the session is logged in (name set)."""
        http = self.session.http
        page = http.get(event["join_url"], timeout=30)
        assert page.status_code == 200, page.text[:300]
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        reply = http.post(
            event["join_url"],
            data={
                "_xsrf": xsrf,
                "code": event["code"] if code is None else code,
                "display_name": display_name,
            },
            allow_redirects=False,
            timeout=60,
        )
        if reply.status_code == 302:
            me = self.session.api("GET", "/user")
            assert me.status_code == 200, me.text
            self.session.name = me.json()["name"]
        return reply

    def join_error(self, event: dict, code: str | None = None) -> tuple[int, str]:
        """Post the join form; the status and the refusal the page shows."""
        reply = self.join(event, code)
        found = re.search(
            r'class="alert alert-danger join_error"[^>]*>\s*(.*?)\s*</p>', reply.text, re.S
        )
        return reply.status_code, html.unescape(found.group(1)) if found else ""


def workshops_pid(hub: Hub) -> int | None:
    """The pid of this hub's workshops service (not of the tether that restarts it), or
    None: its environment names the hub's state folder, in the database URL."""
    marker = str(hub.state_dir / "workshops.sqlite")
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            environ = (entry / "environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        service = "echoes_hub.services.workshops" in cmdline and "tether" not in cmdline
        if service and marker in environ:
            return int(entry.name)
    return None


def members(admin: HubSession, event: dict) -> list[str]:
    reply = admin.api("GET", f"/groups/workshop-{event['id']}")
    return reply.json()["users"] if reply.status_code == 200 else []


def seated(hub: Hub, trainer: HubSession, event: dict) -> list[str]:
    model = api(hub, trainer, "GET", f"/{event['id']}").json()
    return [a["account"] for a in model["attendees"]]


def waiting(hub: Hub, admin: HubSession, trainer: HubSession, event: dict) -> dict[str, dict]:
    """The event's pooled accounts (in its group, no seat) with a ready server: name ->
    the hub's model of the server (one listing of the hub's ready attendees' servers)."""
    taken = set(seated(hub, trainer, event))
    ready = admin.api(
        "GET", "/users", params={"state": "ready", "name_filter": "guest-", "limit": 200}
    ).json()
    servers = {user["name"]: user["servers"].get("") for user in ready}
    return {
        name: servers[name]
        for name in members(admin, event)
        if name not in taken and servers.get(name) and servers[name]["ready"]
    }


def claimable(hub: Hub, event: dict) -> set[str]:
    """The event's pooled accounts the pool has marked ready, which a join may claim (the
    pool marks them at its next check after the hub says their server is ready)."""
    store = Store(f"sqlite:///{hub.state_dir / 'workshops.sqlite'}")
    try:
        return {row.account for row in pooled(store, event["id"]) if row.ready is not None}
    finally:
        store.close()


def wait_for_pool(
    hub: Hub, admin: HubSession, trainer: HubSession, event: dict, size: int, timeout: float = 240
) -> dict[str, dict]:
    """Wait until `size` pooled servers are ready for `event`, and claimable; their models."""

    def ready() -> dict[str, dict] | None:
        found = waiting(hub, admin, trainer, event)
        return found if len(found) == size and set(found) <= claimable(hub, event) else None

    return wait_for(ready, timeout, f"{size} pooled servers ready for event {event['id']}", 1)


def on_server(person: HubSession, token: str, method: str, path: str, **kwargs):
    """A request to `person`'s server with `token` (someone's API token)."""
    return requests.request(
        method,
        f"{person.server_url()}{path}",
        headers={"Authorization": f"token {token}"},
        timeout=60,
        allow_redirects=False,
        **kwargs,
    )


def contents(person: HubSession, token: str, method: str, path: str, **kwargs):
    """The contents API of `person`'s server, with one of their tokens."""
    return on_server(person, token, method, f"api/contents/{path}", **kwargs)


def text_of(person: HubSession, token: str, path: str) -> str | None:
    """A text file of `person`'s server, or None when it is not there."""
    reply = contents(person, token, "GET", path, params={"content": "1", "format": "text"})
    return reply.json()["content"] if reply.status_code == 200 else None


def shell(person: HubSession, command: str) -> None:
    """Run a command in a terminal of `person`'s server (as they would); it must succeed."""
    with Terminal(person.server_url(), person.new_token()) as terminal:
        status, shown = terminal.run(command)
    assert status == 0, shown
