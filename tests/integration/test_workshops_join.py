"""Joining a workshop through the hub's join page, as attendees and as attackers do: the
right code gives an account of one's own in the event's group, logged in, no approval;
a wrong code, another event's code, a full, ended, upcoming or revoked event is refused
with a clear message; guessing is limited; attendees cannot reach each other's servers
or files; ten people joining at once get ten accounts and no more seats than there are."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.hubclient import HubSession, Terminal, wait_for
from tests.integration.workshops_support import Attendee, api, hours, new_event, new_trainer

pytestmark = pytest.mark.shared_hub


@pytest.fixture(scope="module")
def trainer(hub, admin):
    return new_trainer(hub, admin)


def test_an_attendee_joins_with_the_code_and_is_logged_in_to_an_account_of_their_own(hub, trainer):
    event = new_event(hub, trainer)
    attendee = Attendee(hub)
    reply = attendee.join(event, display_name="admin")
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/hub/spawn")
    me = attendee.session.api("GET", "/user").json()
    # The display name is only shown: the account is a new one, named by the hub.
    assert me["name"].startswith("guest-") and me["name"] != "admin", me
    assert me["admin"] is False and me["groups"] == [f"workshop-{event['id']}"]
    seen = api(hub, trainer, "GET", f"/{event['id']}").json()
    assert seen["taken"] == 1
    assert [(a["account"], a["display_name"]) for a in seen["attendees"]] == [(me["name"], "admin")]
    # The same browser joining again gets another seat: a new account, never someone's.
    again = Attendee(hub)
    assert again.join(event, display_name=me["name"]).status_code == 302
    assert again.session.name not in (me["name"], "admin")


def test_an_attendee_cannot_create_events(hub, trainer):
    attendee = Attendee(hub)
    attendee.join(new_event(hub, trainer))
    reply = api(hub, attendee.session, "POST", json={"title": "x", "seats": 1, **hours(0, 1)})
    assert reply.status_code == 403, reply.text


def test_a_wrong_code_or_another_events_code_is_refused(hub, trainer):
    event, other = new_event(hub, trainer), new_event(hub, trainer)
    assert Attendee(hub).join_error(event, "0" * 12) == (403, "that is not the code of this event")
    assert Attendee(hub).join_error(event, other["code"]) == (
        403,
        "that is not the code of this event",
    )
    # Nobody was seated, in either event.
    assert api(hub, trainer, "GET", f"/{event['id']}").json()["taken"] == 0
    assert api(hub, trainer, "GET", f"/{other['id']}").json()["taken"] == 0


def test_a_program_gets_the_refusal_as_json_naming_the_field(hub, trainer):
    event = new_event(hub, trainer)
    http = Attendee(hub).session.http
    page = http.get(event["join_url"], timeout=30)
    xsrf = page.text.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
    for data, field in [
        ({"code": "nope", "display_name": "Ada"}, "code"),
        ({"code": event["code"], "display_name": "  "}, "display_name"),
    ]:
        reply = http.post(
            event["join_url"],
            data={"_xsrf": xsrf, **data},
            headers={"Accept": "application/json"},
            allow_redirects=False,
            timeout=30,
        )
        assert reply.status_code in (400, 403) and reply.json()["field"] == field, reply.text
    assert api(hub, trainer, "GET", f"/{event['id']}").json()["taken"] == 0


def test_a_full_event_refuses_the_next_attendee(hub, trainer):
    event = new_event(hub, trainer, seats=2)
    assert [Attendee(hub).join(event).status_code for _ in range(2)] == [302, 302]
    assert Attendee(hub).join_error(event) == (409, "all 2 seats of this event are taken")


@pytest.mark.parametrize(("start", "end", "says"), [(-3, -1, "ended at"), (1, 2, "opens at")])
def test_a_code_works_only_within_the_events_hours(hub, trainer, start, end, says):
    event = new_event(hub, trainer, **hours(start, end))
    status, message = Attendee(hub).join_error(event)
    assert status == 403 and says in message, message


def test_a_revoked_code_is_refused_and_ends_the_attendees_sessions(hub, trainer):
    event = new_event(hub, trainer)
    attendee = Attendee(hub)
    assert attendee.join(event).status_code == 302
    revoked = api(hub, trainer, "DELETE", f"/{event['id']}")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert Attendee(hub).join_error(event) == (403, "the trainer has closed this event's code")
    # The session ends at its next check against the account (auth_refresh_age, 60 s).
    wait_for(
        lambda: attendee.session.api("GET", "/user").status_code == 403,
        150,
        "the revoked attendee's session to end",
        interval=2,
    )


def test_guessing_codes_is_limited_per_address_and_others_still_join(hub, trainer):
    event = new_event(hub, trainer)
    guesser = Attendee(hub, source="127.0.0.77")
    for _ in range(30):  # EchoesAuthenticator.failed_logins_per_address
        assert guesser.join_error(event, "0" * 12)[0] == 403
    status, message = guesser.join_error(event)  # even the right code, now
    assert status == 429 and "too many wrong codes" in message, message
    assert Attendee(hub, source="127.0.0.78").join(event).status_code == 302


def test_ten_attendees_joining_at_once_get_ten_accounts_and_no_more_seats(hub, trainer):
    event = new_event(hub, trainer, seats=10)
    people = [Attendee(hub, source=f"127.0.3.{i + 1}") for i in range(12)]
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda person: person.join(event).status_code, people))
    assert sorted(statuses) == [302] * 10 + [409] * 2, statuses
    names = {person.session.name for person in people if person.session.name}
    assert len(names) == 10
    assert api(hub, trainer, "GET", f"/{event['id']}").json()["taken"] == 10


@pytest.mark.skipif(os.geteuid() != 0, reason="servers run as other users only as root")
def test_attendees_cannot_reach_each_others_servers_or_files(hub, trainer):
    event, other_event = new_event(hub, trainer), new_event(hub, trainer)
    ada, bob = Attendee(hub), Attendee(hub)
    assert ada.join(event).status_code == 302 and bob.join(other_event).status_code == 302
    ada, bob = ada.session, bob.session
    for person in (ada, bob):
        person.start_server()
    bob_token = bob.new_token()
    written = Terminal(bob.server_url(), bob_token)
    with written as shell:
        assert shell.run("echo bob-only > secret.txt && pwd")[0] == 0
    # Ada's browser on Bob's server: refused by the hub.
    reply = ada.http.get(f"{bob.server_url()}api/contents/secret.txt", timeout=30)
    assert reply.status_code in (403, 404) or "secret" not in reply.text
    assert bob_token not in reply.text
    # Ada's own token on Bob's server: refused.
    ada_token = ada.new_token()
    direct = ada.http.get(
        f"{bob.server_url()}api/contents/secret.txt",
        headers={"Authorization": f"token {ada_token}"},
        timeout=30,
        allow_redirects=False,
    )
    assert direct.status_code in (302, 403), direct.text[:300]
    # Ada's shell cannot read Bob's home.
    with Terminal(ada.server_url(), ada_token) as shell:
        status, shown = shell.run(f"cat ../{bob.name}/secret.txt")
    assert status != 0 and "bob-only" not in shown, shown


def test_nobody_signs_up_with_a_name_the_join_page_gives_attendees(hub, admin):
    name = f"guest-{uuid.uuid4().hex[:10]}"
    person = HubSession(hub, name, f"pw-{uuid.uuid4().hex}")
    person.signup()
    page = admin.http.get(admin.url("/hub/authorize"), timeout=30)
    assert page.status_code == 200 and name not in page.text
    assert admin.api("GET", f"/users/{name}").status_code == 404


def test_the_join_form_needs_its_xsrf_token(hub, trainer):
    """Another site cannot post the form from a visitor's browser and log them in to an
    account of its choosing (login CSRF)."""
    event = new_event(hub, trainer)
    http = Attendee(hub).session.http
    reply = http.post(
        event["join_url"],
        data={"code": event["code"], "display_name": "Ada"},
        allow_redirects=False,
        timeout=30,
    )
    assert reply.status_code == 403, reply.text[:300]
    assert api(hub, trainer, "GET", f"/{event['id']}").json()["taken"] == 0
