"""Credentials from a trainer's CSV, through a real hub: one account a row in the event's
group, whose one-time password logs in once through the normal login form and never
again; a bad file is a 400 naming the line and creates nothing; the credentials are
shown once, to the trainer only: attendees and other trainers get nothing."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hubclient import HubSession
from tests.integration.workshops_support import Attendee, api, new_event, new_trainer

pytestmark = pytest.mark.shared_hub
ECHOES = str(Path(sys.executable).parent / "echoes")
PEOPLE = "name,email\nZoë Ñúñez,zoe@example.org\n  Ada   Lovelace ,ada@example.org\n"


@pytest.fixture(scope="module")
def trainer(hub, admin):
    return new_trainer(hub, admin)


def upload(hub, person, event: dict, data: bytes, accept: str = "application/json"):
    return api(
        hub,
        person,
        "POST",
        f"/{event['id']}/credentials",
        data=data,
        headers={"Content-Type": "text/csv", "Accept": accept},
    )


def test_each_row_gets_an_account_whose_password_logs_in_once(hub, trainer):
    event = new_event(hub, trainer, seats=3)
    reply = upload(hub, trainer, event, PEOPLE.encode())
    assert reply.status_code == 201, reply.text
    cards = reply.json()["people"]
    assert [(c["name"], c["email"]) for c in cards] == [
        ("Zoë Ñúñez", "zoe@example.org"),
        ("Ada Lovelace", "ada@example.org"),
    ]
    assert all(c["username"].startswith("guest-") for c in cards)  # the join page's rule
    assert cards[0]["login_url"] == f"{hub.url}/hub/login"
    seen = api(hub, trainer, "GET", f"/{event['id']}").json()
    assert seen["taken"] == 2
    assert {a["display_name"] for a in seen["attendees"]} == {"Zoë Ñúñez", "Ada Lovelace"}
    # Only hashes are kept: the event's record never shows a password again.
    assert cards[0]["password"] not in api(hub, trainer, "GET", f"/{event['id']}").text
    zoe = HubSession(hub, cards[0]["username"], cards[0]["password"])
    assert zoe.login_error("WRONG-" + cards[0]["password"][6:])[0] == 403
    # Typed in lower case, without the dashes, it is the same password.
    assert zoe.login(cards[0]["password"].lower().replace("-", "")).status_code == 302
    assert zoe.is_logged_in()
    me = zoe.api("GET", "/user").json()
    assert me["groups"] == [f"workshop-{event['id']}"] and me["admin"] is False
    zoe.start_server()
    assert zoe.server_model()["ready"]
    # Used once, it is spent: another browser cannot log in with it.
    again = HubSession(hub, cards[0]["username"], cards[0]["password"])
    assert again.login_error()[0] == 403 and not again.is_logged_in()
    # Nor does another attendee's password open this account.
    other = HubSession(hub, cards[0]["username"], cards[1]["password"])
    assert other.login_error()[0] == 403
    zoe.stop_server()


@pytest.mark.parametrize(
    ("data", "line", "says"),
    [
        (b"name,mail\nAda,ada@example.org\n", 1, "no column 'email'"),
        (b"name,email\nAda,ada@example.org\n ,bob@example.org\n", 3, "the name must be"),
        (b"name,email\nAda,ada@example.org\nAdb,ADA@example.org\n", 3, "line 2 too"),
        (b"name,email\nA,a@example.org\nB,b@example.org\nC,c@example.org\n", 4, "2 free seats"),
        (b"name,email\nAda,ada@example.org\nZo\xeb,zoe@example.org\n", 3, "not UTF-8"),
        (b"name,email\nAda,not-an-address\n", 2, "not an e-mail address"),
    ],
)
def test_a_bad_file_is_a_400_naming_the_line_and_creates_nothing(hub, trainer, data, line, says):
    event = new_event(hub, trainer, seats=2)
    reply = upload(hub, trainer, event, data)
    assert reply.status_code == 400, reply.text
    assert reply.json()["line"] == line and says in reply.json()["message"], reply.json()
    assert api(hub, trainer, "GET", f"/{event['id']}").json()["taken"] == 0


def test_an_e_mail_of_an_earlier_upload_is_refused(hub, trainer):
    event = new_event(hub, trainer, seats=5)
    assert upload(hub, trainer, event, b"name,email\nAda,ada@example.org\n").status_code == 201
    again = upload(hub, trainer, event, b"name,email\nBob,bob@example.org\nAda,Ada@example.org\n")
    assert again.status_code == 400 and again.json()["line"] == 3, again.text
    assert api(hub, trainer, "GET", f"/{event['id']}").json()["taken"] == 1


def test_the_printable_page_has_one_card_a_person_and_the_csv_to_download(hub, trainer):
    event = new_event(hub, trainer, seats=3)
    page = upload(hub, trainer, event, PEOPLE.encode(), accept="text/html")
    assert page.status_code == 201 and page.headers["Cache-Control"] == "no-store"
    assert page.text.count('class="card"') == 2 and "Zoë Ñúñez" in page.text
    assert "data:text/csv;charset=utf-8," in page.text
    table = upload(hub, trainer, event, b"name,email\nC,c@example.org\n", accept="text/csv")
    assert table.status_code == 201 and table.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["name"] for r in rows] == ["C"] and rows[0]["username"].startswith("guest-")
    login = HubSession(hub, rows[0]["username"], rows[0]["password"]).login()
    assert login.status_code == 302


def test_attendees_and_other_trainers_cannot_add_people_or_read_credentials(hub, admin, trainer):
    event = new_event(hub, trainer, seats=5)
    attendee = Attendee(hub)
    assert attendee.join(event).status_code == 302
    rival = new_trainer(hub, admin)
    for person in (attendee.session, rival):
        assert upload(hub, person, event, PEOPLE.encode()).status_code in (403, 404)
        assert api(hub, person, "GET", f"/{event['id']}/credentials").status_code in (404, 405)
        assert api(hub, person, "GET", f"/{event['id']}").status_code == 404
    assert api(hub, trainer, "GET", f"/{event['id']}").json()["taken"] == 1


def test_the_cli_uploads_a_csv_and_writes_the_credentials(hub, trainer, tmp_path):
    event = new_event(hub, trainer, seats=2)
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE)
    out = tmp_path / "credentials.csv"
    token = trainer.new_token("cli")
    command = [ECHOES, "workshop", "--hub", hub.url, "--token", token, "credentials"]
    done = subprocess.run(
        [*command, event["id"], str(people), "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open()))
    assert [r["email"] for r in rows] == ["zoe@example.org", "ada@example.org"]
    assert os.stat(out).st_mode & 0o077 == 0  # passwords: private to the trainer
    people.write_bytes(b"name\nAda\n")
    refused = subprocess.run(
        [*command, event["id"], str(people)], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0 and "line 1: no column 'email'" in refused.stderr


def test_the_trainers_page_form_uploads_the_csv_and_shows_the_cards(hub, trainer):
    event = new_event(hub, trainer, seats=3)
    http = trainer.http  # the trainer's browser: the service's OAuth cookie, its XSRF token
    page = http.get(hub.service_url("workshops"), headers={"Accept": "text/html"}, timeout=60)
    action = f"/services/workshops/api/events/{event['id']}/credentials"
    assert page.status_code == 200 and action in page.text, page.text[:300]
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    url = f"{hub.service_url('workshops')}api/events/{event['id']}/credentials"
    files = {"people": ("people.csv", PEOPLE.encode(), "text/csv")}
    reply = http.post(url, data={"_xsrf": xsrf}, files=files, timeout=60)
    assert reply.status_code == 201 and reply.text.count('class="card"') == 2, reply.text[:300]
    # Without the page's XSRF token another site cannot make the trainer's browser post it.
    forged = http.post(url, files=files, timeout=60)
    assert forged.status_code == 403, forged.text[:300]
    assert api(hub, trainer, "GET", f"/{event['id']}").json()["taken"] == 2
