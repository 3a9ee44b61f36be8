"""Workshops through the real hub and proxy: a trainer creates events (page, API, CLI),
attendees join with the event's code and get accounts of their own; what a non-trainer,
a wrong code, another event's code, a full, ended or revoked event gets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.integration.workshops_support import api, hours, new_event, new_trainer

pytestmark = pytest.mark.shared_hub
ECHOES = str(Path(sys.executable).parent / "echoes")
GIT = "https://github.com/echoes-vre/pottery-course.git"
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{12}$")


@pytest.fixture(scope="module")
def trainer(hub, admin):
    return new_trainer(hub, admin)


def test_a_trainer_creates_an_event_and_gets_its_join_link_and_code(hub, trainer):
    event = new_event(hub, trainer, seats=30, cpu=0.5, memory="2G", materials=GIT)
    assert event["trainer"] == trainer.name
    assert CODE.match(event["code"]), event["code"]
    assert event["join_url"] == f"{hub.url}/hub/join/{event['id']}"
    assert (event["seats"], event["taken"], event["state"]) == (30, 0, "open")
    assert (event["cpu"], event["memory"], event["materials"]) == (0.5, "2G", GIT)
    listed = api(hub, trainer, "GET").json()["events"]
    assert event["id"] in [e["id"] for e in listed]


def test_the_trainer_page_form_creates_an_event(hub, trainer):
    http = trainer.http
    page = http.get(hub.service_url("workshops"), headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200, page.text[:300]
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    when = hours(0, 3)
    reply = http.post(
        f"{hub.service_url('workshops')}api/events",
        data={
            "_xsrf": xsrf,
            "title": "Skulls of five epochs",
            "seats": "12",
            "start": when["start"][:16],
            "end": when["end"][:16],
            "keep_work": "true",
        },
        timeout=60,
    )
    assert reply.status_code == 200 and "Skulls of five epochs" in reply.text, reply.text[:500]
    made = [
        e
        for e in api(hub, trainer, "GET").json()["events"]
        if e["title"] == "Skulls of five epochs"
    ]
    assert len(made) == 1 and made[0]["keep_work"] is True and made[0]["seats"] == 12


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seats": 0}, "seats"),
        ({"seats": "many"}, "seats"),
        ({"title": ""}, "title"),
        (hours(2, 1), "end"),
        ({"start": "next tuesday"}, "start"),
        ({"memory": "lots"}, "memory"),
        ({"cpu": -1}, "cpu"),
        ({"materials": "../someone-else"}, "materials"),
        ({"materials": "ssh://host/repo.git"}, "materials"),
        ({"keep_work": "perhaps"}, "keep_work"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_event_is_a_400_naming_the_field_and_creates_nothing(hub, trainer, change, field):
    before = len(api(hub, trainer, "GET").json()["events"])
    body = {"title": "Broken", "seats": 5, **hours(0, 1), **change}
    reply = api(hub, trainer, "POST", json=body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["field"] == field, reply.json()
    assert len(api(hub, trainer, "GET").json()["events"]) == before


def test_a_body_that_is_not_json_is_a_400(hub, trainer):
    reply = api(hub, trainer, "POST", data=b"{title", headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and reply.json()["field"] == "$", reply.text


def test_a_user_outside_the_trainers_group_cannot_create_events(hub, trainer, new_user):
    person = new_user("learner")
    reply = api(hub, person, "POST", json={"title": "Mine", "seats": 5, **hours(0, 1)})
    assert reply.status_code == 403 and "trainers" in reply.json()["message"], reply.text
    assert api(hub, person, "GET").json()["events"] == []
    # Nor can they see, or revoke, another trainer's event.
    event = new_event(hub, trainer)
    assert api(hub, person, "GET", f"/{event['id']}").status_code == 404
    assert api(hub, person, "DELETE", f"/{event['id']}").status_code == 404
    assert api(hub, trainer, "GET", f"/{event['id']}").json()["state"] == "open"


def test_the_administrator_creates_events_and_sees_every_trainers(hub, admin, trainer):
    own = new_event(hub, admin, title="Admin's")
    theirs = new_event(hub, trainer, title="Trainer's")
    seen = {e["id"] for e in api(hub, admin, "GET").json()["events"]}
    assert {own["id"], theirs["id"]} <= seen
    assert own["id"] not in {e["id"] for e in api(hub, trainer, "GET").json()["events"]}


def test_the_cli_creates_lists_and_revokes_events(hub, trainer):
    token = trainer.new_token("cli")

    def echoes(*args: str) -> subprocess.CompletedProcess:
        command = [ECHOES, "workshop", "--hub", hub.url, "--token", token, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    when = hours(0, 2)
    made = echoes(
        "create",
        "--title",
        "Coins of Pompeii",
        "--start",
        when["start"],
        "--end",
        when["end"],
        "--seats",
        "8",
        "--memory",
        "512M",
        "--keep-work",
    )
    assert made.returncode == 0, made.stderr
    event_id = made.stdout.split()[0]
    assert f"/hub/join/{event_id}" in made.stdout and "code: " in made.stdout
    listed = echoes("list")
    assert listed.returncode == 0 and event_id in listed.stdout, listed.stderr
    revoked = echoes("revoke", event_id)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
    refused = echoes(
        "create", "--title", "x", "--start", when["end"], "--end", when["start"], "--seats", "8"
    )
    assert refused.returncode != 0 and "end must come after start" in refused.stderr


def test_the_openapi_description_is_the_route_table(hub):
    from echoes_hub.services.workshops.handlers import ROUTES

    reply = requests.get(f"{hub.service_url('workshops')}openapi.json", timeout=30)
    assert reply.status_code == 200
    assert set(reply.json()["paths"]) == {"/" + route.path for route in ROUTES}
