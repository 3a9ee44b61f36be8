"""The end of an event, through a real hub and real servers: once the end has passed
(here: the trainer ends the events early, as the page's "End now" button does) the
service stops the attendees' servers; when they do not keep their work it archives each
home as one zip (for the trainer; for the attendee, with their own login, for the
download time), removes the homes, and at the end of the download time the accounts;
when they keep their work they only leave the event's group. A service killed half-way
finishes the job. Attackers: another attendee or another event's trainer get no archive,
and cannot end the event."""

from __future__ import annotations

import io
import os
import pwd
import signal
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.hubclient import HubSession, wait_for
from tests.integration.conftest import login_admin
from tests.integration.workshops_support import (
    Attendee,
    api,
    contents,
    hours,
    new_event,
    new_trainer,
    workshops_pid,
)

#: Seconds the attendees may download their archive after the end (short, to see it end).
DOWNLOAD = 40


@pytest.fixture(scope="module")
def hub(hub_factory_module):
    return hub_factory_module(
        args=[
            "--WorkshopsService.expiry_interval=1",
            f"--WorkshopsService.download_seconds={DOWNLOAD}",
        ]
    )


def write(person: HubSession, token: str, path: str, text: str) -> None:
    reply = contents(
        person, token, "PUT", path, json={"type": "file", "format": "text", "content": text}
    )
    assert reply.status_code in (200, 201), reply.text


def my_archive(hub, token: str) -> requests.Response:
    return requests.get(
        f"{hub.service_url('workshops')}api/archive",
        headers={"Authorization": f"token {token}"},
        timeout=60,
    )


def joined(hub, event: dict) -> tuple[HubSession, str]:
    """An attendee of `event` with a running server, and a token made while it runs."""
    attendee = Attendee(hub)
    assert attendee.join(event).status_code == 302
    person = attendee.session
    token = person.new_token("workshops")
    person.start_server()
    return person, token


def test_the_end_archives_and_removes_or_keeps_what_the_event_says(hub):
    admin = login_admin(hub)
    trainer, rival = new_trainer(hub, admin), new_trainer(hub, admin)
    ending = new_event(hub, trainer, seats=3)
    keeping = new_event(hub, trainer, seats=3, keep_work=True)
    with ThreadPoolExecutor(3) as pool:
        people = list(pool.map(lambda event: joined(hub, event), [ending, ending, keeping]))
    (ada, ada_token), (bob, bob_token), (eve, eve_token) = people
    write(ada, ada_token, "work.txt", "Ada's answer\n")
    write(bob, bob_token, "bob.txt", "Bob's notes\n")
    write(eve, eve_token, "kept.txt", "Eve's work\n")
    # A named server of Ada's stops at the end too.
    assert ada.start_server("extra").status_code in (201, 202)
    homes = hub.state_dir / "homes"
    assert (homes / ada.name / "work.txt").exists()
    # Before the end nobody has an archive.
    assert my_archive(hub, ada_token).status_code == 404

    def archived() -> dict | None:
        models = [api(hub, trainer, "GET", f"/{e['id']}").json() for e in (ending, keeping)]
        return models[0] if all(m["archived"] for m in models) else None

    # Only the event's trainer ends it; an upcoming event is revoked instead.
    assert api(hub, rival, "POST", f"/{ending['id']}/end").status_code == 404
    assert api(hub, ada, "POST", f"/{ending['id']}/end").status_code == 404
    later = new_event(hub, trainer, seats=1, **hours(1, 2))
    refused = api(hub, trainer, "POST", f"/{later['id']}/end")
    assert refused.status_code == 400 and "revoke" in refused.json()["message"]
    for event in (ending, keeping):
        ended = api(hub, trainer, "POST", f"/{event['id']}/end")
        assert ended.status_code == 200 and ended.json()["state"] == "ended", ended.text
    model = wait_for(archived, 180, "the ended events' servers stopped", interval=1)
    # Servers stopped, homes archived then removed.
    for person in (ada, bob, eve):
        assert admin.api("GET", f"/users/{person.name}").json()["servers"] == {}
    assert not (homes / ada.name).exists() and not (homes / bob.name).exists()
    listed = {a["account"]: a for a in model["archives"]}
    assert set(listed) == {ada.name, bob.name}
    # The trainer downloads each attendee's zip.
    reply = api(hub, trainer, "GET", f"/{ending['id']}/archives/{ada.name}")
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        assert archive.read("work.txt") == b"Ada's answer\n"
    # Ada downloads her own, with her own login.
    own = my_archive(hub, ada_token)
    assert own.status_code == 200
    with zipfile.ZipFile(io.BytesIO(own.content)) as archive:
        assert archive.read("work.txt") == b"Ada's answer\n"
        assert "bob.txt" not in archive.namelist()
    # The workshops page shows her the link; Eve, who keeps her work, has none.
    for person, link in ((ada, True), (eve, False)):
        page = person.http.get(
            hub.service_url("workshops"), headers={"Accept": "text/html"}, timeout=60
        )
        assert page.status_code == 200, page.text[:300]
        assert ('href="/services/workshops/api/archive"' in page.text) is link
    # Attackers: Bob (another attendee of the event), the rival trainer, Eve.
    for person in (bob, eve):
        for path in (f"/{ending['id']}/archives/{ada.name}", f"/{ending['id']}"):
            assert api(hub, person, "GET", path).status_code == 404
    assert api(hub, rival, "GET", f"/{ending['id']}/archives/{ada.name}").status_code == 404
    with zipfile.ZipFile(io.BytesIO(my_archive(hub, bob_token).content)) as archive:
        names = archive.namelist()
    assert "bob.txt" in names and "work.txt" not in names
    # Those who keep their work keep their account and home, out of the event's group.
    assert admin.api("GET", f"/users/{eve.name}").json()["groups"] == []
    assert (homes / eve.name / "kept.txt").read_text() == "Eve's work\n"
    assert my_archive(hub, eve_token).status_code == 404

    assert api(hub, trainer, "GET", f"/{keeping['id']}").json()["removed"]  # done with it
    assert model["removed"] is None  # the accounts wait for the download time
    # The service killed now, its restart finishes the job at the end of the download time.
    pid = workshops_pid(hub)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: workshops_pid(hub) not in (None, pid), 60, "the service to be restarted")
    # The service removes the accounts one by one and marks the end done after the last.
    wait_for(
        lambda: api(hub, trainer, "GET", f"/{ending['id']}").json()["removed"],
        DOWNLOAD + 120,
        "the ended event's accounts to be removed",
        interval=1,
    )
    for gone in (ada, bob):
        assert admin.api("GET", f"/users/{gone.name}").status_code == 404
    if os.geteuid() == 0:  # their system users went with them; Eve's, who stays, did not
        for gone in (ada, bob):
            with pytest.raises(KeyError):
                pwd.getpwnam(f"echoes-{gone.name}")
        assert pwd.getpwnam(f"echoes-{eve.name}")
    assert api(hub, trainer, "GET", f"/{ending['id']}").json()["removed"]
    assert admin.api("GET", f"/users/{eve.name}").status_code == 200
    # The trainer still has the archives, made once.
    again = api(hub, trainer, "GET", f"/{ending['id']}/archives/{ada.name}")
    assert again.status_code == 200 and again.content == reply.content
