"""Cold joins (no warm pool) queue for a start slot (hub/spawners/queue.py): with one slot,
three attendees joining at once all get their lab, none is refused or times out, and the
later ones wait for the slot."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.hubclient import Hub
from tests.integration.workshops_support import Attendee, new_event, new_trainer


@pytest.fixture(scope="module")
def hub(hub_factory_module) -> Hub:
    return hub_factory_module(args=["--StartQueue.concurrent_starts=1"])


def progress(attendee: Attendee) -> list[str]:
    """The messages of the attendee's spawn progress stream, until the server is ready."""
    session = attendee.session
    messages = []
    with session.http.get(
        session.url(f"/hub/api/users/{session.name}/server/progress"),
        headers=session._api_headers(),
        stream=True,
        timeout=300,
    ) as stream:
        assert stream.status_code == 200, stream.text
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("data:"):
                event = json.loads(line[5:])
                messages.append(event.get("message", ""))
                if event.get("ready") or event.get("failed"):
                    break
    return messages


def test_joins_at_once_wait_their_turn_and_see_their_place(hub, admin):
    trainer = new_trainer(hub, admin)
    event = new_event(hub, trainer, seats=3)
    attendees = [Attendee(hub) for _ in range(3)]
    for attendee in attendees:
        assert attendee.join(event).status_code == 302
    # The spawn requests, as the join's redirect to /hub/spawn makes them, all at once.
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda a: a.session.start_server(wait=False), attendees))
    with ThreadPoolExecutor(3) as pool:
        streams = list(pool.map(progress, attendees))
    for attendee in attendees:
        attendee.session.wait_ready(timeout=300)
    # Three requests at once for one slot: the later ones waited (the hub says so). Whether
    # a progress stream shows the wait depends on it opening before that start's turn.
    assert "waits for a start slot" in hub.log()
    assert all("failed" not in " ".join(messages).lower() for messages in streams), streams
