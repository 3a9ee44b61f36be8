"""A hub restart with attendees: JupyterHub checks every account it has at start
(Authenticator.add_user), and attendees' names are ones sign-ups may not take; the
restarted hub must accept them, and their sessions and events carry on."""

from __future__ import annotations

import os
import signal

from tests.hubclient import wait_for
from tests.integration.conftest import login_admin
from tests.integration.workshops_support import Attendee, api, new_event, workshops_pid


def test_a_restarted_hub_keeps_its_attendees_and_their_events(hub_factory):
    hub = hub_factory()
    admin = login_admin(hub)
    event = new_event(hub, admin, seats=3)
    attendee = Attendee(hub)
    assert attendee.join(event).status_code == 302
    hub.stop()
    hub.start()
    assert f"Error adding user {attendee.session.name}" not in hub.log()
    assert attendee.session.api("GET", "/user").json()["name"] == attendee.session.name
    admin = login_admin(hub)
    seen = api(hub, admin, "GET", f"/{event['id']}").json()
    assert [a["account"] for a in seen["attendees"]] == [attendee.session.name]
    assert Attendee(hub).join(event).status_code == 302


def test_every_acknowledged_event_survives_kill_9_of_the_service(hub_factory):
    hub = hub_factory()
    admin = login_admin(hub)
    made = [new_event(hub, admin, title=f"Event {i}")["id"] for i in range(5)]
    pid = workshops_pid(hub)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: workshops_pid(hub) not in (None, pid), 60, "the service to be restarted")
    wait_for(lambda: api(hub, admin, "GET").status_code == 200, 60, "the service to answer")
    listed = {e["id"] for e in api(hub, admin, "GET").json()["events"]}
    assert set(made) <= listed
