"""A hub restart with attendees: JupyterHub checks every account it has at start
(Authenticator.add_user), and attendees' names are ones sign-ups may not take; the
restarted hub must accept them, and their sessions and events carry on."""

from __future__ import annotations

from tests.integration.conftest import login_admin
from tests.integration.workshops_support import Attendee, api, new_event


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
