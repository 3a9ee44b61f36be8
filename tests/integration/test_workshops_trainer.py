"""The trainer's live page of an event through the real hub, proxy and servers: who has
joined, each server's state, memory, activity and notebooks open; raised hands; messages;
opening an attendee's server to help (a JupyterHub share, logged and shown to the
attendee); collecting a notebook. And the same routes tried by those who must not: another
attendee, and the trainer of another event."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from tests.hubclient import HubSession, wait_for
from tests.integration.workshops_support import Attendee, api, new_event, new_trainer, on_server

pytestmark = [
    pytest.mark.shared_hub,
    pytest.mark.skipif(os.geteuid() != 0, reason="servers run as other users only as root"),
]
SHOUTY = "<b>Ada</b> & co"


def workshop_status(person: HubSession, token: str) -> dict:
    """What the attendee's JupyterLab reads: their server's last check of the service."""
    reply = on_server(person, token, "GET", "echoes/workshop")
    assert reply.status_code == 200, reply.text
    return reply.json()


def joined(hub, event: dict, display_name: str, start: bool) -> tuple[HubSession, str]:
    attendee = Attendee(hub)
    assert attendee.join(event, display_name=display_name).status_code == 302
    person = attendee.session
    if start:
        person.start_server()
    return person, person.new_token()


@pytest.fixture(scope="module")
def trainer(hub, admin):
    person = new_trainer(hub, admin)
    person.start_server()  # makes the trainer's home, where collected notebooks go
    return person


@pytest.fixture(scope="module")
def event(hub, trainer):
    return new_event(hub, trainer, title="Live page", seats=5)


@pytest.fixture(scope="module")
def ada(hub, event):
    """An attendee with a running server; her display name is markup, to stay text."""
    return joined(hub, event, SHOUTY, start=True)


@pytest.fixture(scope="module")
def bob(hub, event):
    """An attendee of the same event whose server is not running."""
    return joined(hub, event, "Bob", start=False)


@pytest.fixture(scope="module")
def rival(hub, admin):
    """The trainer of another event, with an attendee of their own."""
    person = new_trainer(hub, admin)
    other = new_event(hub, person, title="Another course")
    return person, other


def live(hub, trainer, event) -> dict:
    reply = api(hub, trainer, "GET", f"/{event['id']}/live")
    assert reply.status_code == 200, reply.text
    return reply.json()


def attendee_in(page: dict, account: str) -> dict:
    return next(a for a in page["attendees"] if a["account"] == account)


def test_the_live_page_shows_who_joined_their_servers_memory_activity_and_notebooks(
    hub, trainer, event, ada, bob
):
    person, token = ada
    session = on_server(
        person,
        token,
        "POST",
        "api/sessions",
        json={"path": "work.ipynb", "type": "notebook", "kernel": {"name": "python3"}},
    )
    assert session.status_code == 201, session.text
    page = live(hub, trainer, event)
    seen = attendee_in(page, person.name)
    assert seen["display_name"] == SHOUTY
    assert seen["server"]["state"] == "ready", seen
    assert seen["server"]["notebooks"] == ["work.ipynb"], seen
    # The server, JupyterLab and the kernel: tens of megabytes at least.
    assert seen["server"]["memory"] > 30 * 2**20, seen
    assert seen["server"]["last_activity"], seen
    stopped = attendee_in(page, bob[0].name)
    assert (stopped["display_name"], stopped["server"]["state"]) == ("Bob", "stopped"), stopped
    assert stopped["server"]["notebooks"] == [] and stopped["server"]["memory"] is None


def test_a_raised_hand_reaches_the_trainer_who_marks_it_handled_and_the_attendee_sees_it(
    hub, trainer, event, ada
):
    person, token = ada
    raised = on_server(person, token, "POST", "echoes/workshop/hand")
    assert raised.status_code == 201, raised.text
    again = on_server(person, token, "POST", "echoes/workshop/hand")
    assert again.json()["id"] == raised.json()["id"], "a second click is the same hand"
    assert workshop_status(person, token)["hand"]["handled"] is None
    hands = live(hub, trainer, event)["hands"]
    assert [h["account"] for h in hands] == [person.name], hands
    handled = api(hub, trainer, "POST", f"/{event['id']}/hands/{hands[0]['id']}")
    assert handled.status_code == 200 and handled.json()["handled_by"] == trainer.name
    assert live(hub, trainer, event)["hands"] == []
    wait_for(
        lambda: workshop_status(person, token)["hand"]["handled"], 60, "the attendee to see it"
    )


def test_a_message_reaches_every_attendees_jupyterlab(hub, trainer, event, ada):
    person, token = ada
    sent = api(hub, trainer, "POST", f"/{event['id']}/messages", json={"text": "Break <10 min>"})
    assert sent.status_code == 201, sent.text

    def shown() -> bool:
        return "Break <10 min>" in [m["text"] for m in workshop_status(person, token)["messages"]]

    wait_for(shown, 60, "the message in the attendee's server")


def test_the_trainer_opens_an_attendees_server_and_the_attendee_is_told(hub, trainer, event, ada):
    person, token = ada
    trainers_token = trainer.new_token("helping")
    assert on_server(person, trainers_token, "GET", "api/status").status_code == 403
    opened = api(hub, trainer, "POST", f"/{event['id']}/attendees/{person.name}/help")
    assert opened.status_code == 200, opened.text
    assert opened.json()["url"].endswith(f"/user/{person.name}/lab")
    # A token the server has not seen (it keeps the hub's answer about one for minutes).
    fresh = trainer.new_token("helping, shared")
    assert on_server(person, fresh, "GET", "api/status").status_code == 200
    shares = person.api("GET", f"/shares/{person.name}").json()["items"]
    assert [s["user"]["name"] for s in shares if s.get("user")] == [trainer.name], shares
    assert attendee_in(live(hub, trainer, event), person.name)["helpers"][0]["trainer"] == (
        trainer.name
    )

    def told() -> list:
        return [h["trainer"] for h in workshop_status(person, token)["helpers"]]

    wait_for(lambda: told() == [trainer.name], 60, "the attendee to be told")


def test_another_attendee_cannot_use_the_trainers_routes_nor_share_a_server(hub, event, ada, bob):
    person, _ = ada
    other, other_token = bob
    for method, path in [
        ("GET", "/live"),
        ("POST", f"/attendees/{person.name}/help"),
        ("POST", "/messages"),
        ("POST", "/collect"),
        ("POST", "/hands/1"),
    ]:
        reply = api(hub, other, method, f"/{event['id']}{path}", json={"text": "x", "path": "a"})
        assert reply.status_code == 404 and reply.json()["field"] == "id", (path, reply.text)
    # Nor straight at the hub: Bob may share only his own server.
    shared = other.api("POST", f"/shares/{person.name}/", json={"user": other.name})
    assert shared.status_code in (403, 404), shared.text  # the hub's 404: none of yours
    shares = person.api("GET", f"/shares/{person.name}").json()["items"]
    assert other.name not in [s["user"]["name"] for s in shares if s.get("user")], shares
    assert on_server(person, other_token, "GET", "api/status").status_code == 403


def test_another_events_trainer_can_open_no_attendee_of_this_event(hub, event, ada, rival):
    person, _ = ada
    stranger, their_event = rival
    reply = api(hub, stranger, "POST", f"/{event['id']}/attendees/{person.name}/help")
    assert reply.status_code == 404, reply.text
    # Naming this event's attendee under their own event does not work either.
    reply = api(hub, stranger, "POST", f"/{their_event['id']}/attendees/{person.name}/help")
    assert reply.status_code == 404 and reply.json()["field"] == "account", reply.text
    assert on_server(person, stranger.new_token(), "GET", "api/status").status_code == 403


def test_collecting_copies_a_notebook_from_every_running_server_into_the_trainers_home(
    hub, trainer, event, ada, bob
):
    person, token = ada
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    put = on_server(
        person,
        token,
        "PUT",
        "api/contents/answers.ipynb",
        json={"type": "notebook", "format": "json", "content": notebook},
    )
    assert put.status_code in (200, 201), put.text
    reply = api(hub, trainer, "POST", f"/{event['id']}/collect", json={"path": "answers.ipynb"})
    assert reply.status_code == 200, reply.text
    results = {r["account"]: r for r in reply.json()["attendees"]}
    folder = "_b_Ada__b_ _ co"  # the display name, made a safe file name
    assert results[person.name]["saved"] == f"~/collected/{event['id']}/{folder}/answers.ipynb"
    assert results[bob[0].name]["saved"] is None and results[bob[0].name]["problem"]
    home = Path(hub.state_dir) / "homes" / trainer.name
    copy = home / "collected" / event["id"] / folder / "answers.ipynb"
    assert copy.is_file() and '"nbformat": 4' in copy.read_text()
    assert copy.stat().st_uid == home.stat().st_uid, "the copy is the trainer's own file"


@pytest.mark.parametrize(
    ("path", "body", "field", "status"),
    [
        ("/messages", {}, "text", 400),
        ("/messages", {"text": 5}, "text", 400),
        ("/messages", {"text": "x" * 2001}, "text", 400),
        ("/messages", [], "$", 400),
        ("/collect", {"path": "../elsewhere.ipynb"}, "path", 400),
        ("/collect", {"path": "/etc/passwd"}, "path", 400),
        ("/collect", {}, "path", 400),
        ("/hands/first", {}, "hand", 400),
        ("/hands/999999", {}, "hand", 404),
        ("/attendees/nobody/help", {}, "account", 404),
    ],
)
def test_bad_input_is_a_4xx_naming_the_problem(hub, trainer, event, path, body, field, status):
    before = live(hub, trainer, event)["messages"]
    reply = api(hub, trainer, "POST", f"/{event['id']}{path}", json=body)
    assert reply.status_code == status and reply.json()["field"] == field, reply.text
    assert live(hub, trainer, event)["messages"] == before


def test_a_body_that_is_not_json_is_a_400(hub, trainer, event):
    reply = api(
        hub,
        trainer,
        "POST",
        f"/{event['id']}/messages",
        data=b"{text",
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 400 and reply.json()["field"] == "$", reply.text


def test_someone_who_attends_no_event_raises_no_hand(hub, new_user):
    person = new_user("learner")
    reply = requests.post(
        f"{hub.service_url('workshops')}api/hands",
        headers={"Authorization": f"token {person.new_token()}"},
        timeout=30,
    )
    assert reply.status_code == 404 and reply.json()["field"] == "account", reply.text
