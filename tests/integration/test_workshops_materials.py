"""A workshop's materials through real servers: the trainer's folder reaches each
attendee's home when their server starts; after the attendee's edits and the trainer's
push, the attendee's changes are kept, deleted files restored and new ones added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.hubclient import free_port_block, wait_for
from tests.integration.workshops_support import (
    Attendee,
    api,
    contents,
    hours,
    new_event,
    new_trainer,
    shell,
    text_of,
)

pytestmark = [
    pytest.mark.shared_hub,
    pytest.mark.skipif(os.geteuid() != 0, reason="servers run as other users only as root"),
]


@pytest.fixture(scope="module")
def trainer(hub, admin):
    person = new_trainer(hub, admin)
    person.start_server()
    return person


def edit_one_and_delete_another(person, token: str) -> None:
    """The attendee's own changes to the materials: intro.txt edited, data.csv deleted."""
    edited = contents(
        person,
        token,
        "PUT",
        "course/intro.txt",
        json={"type": "file", "format": "text", "content": "my answer\n"},
    )
    assert edited.status_code == 200, edited.text
    assert contents(person, token, "DELETE", "course/data.csv").status_code == 204


def test_a_materials_folder_that_is_not_in_the_trainers_home_is_a_400(hub, trainer):
    body = {"title": "Materials", "seats": 3, **hours(-1, 2), "materials": "nowhere"}
    reply = api(hub, trainer, "POST", json=body)
    assert reply.status_code == 400 and reply.json()["field"] == "materials", reply.text


def test_materials_reach_the_attendee_and_an_update_keeps_their_changes(hub, trainer):
    shell(
        trainer,
        "mkdir -p course/sub && echo v1 > course/intro.txt && echo d1 > course/data.csv"
        " && echo s1 > course/sub/notes.txt && ln -sf /etc/shadow course/leak",
    )
    event = new_event(hub, trainer, materials="course")
    attendee = Attendee(hub)
    assert attendee.join(event).status_code == 302
    person = attendee.session
    person.start_server()
    token = person.new_token()
    wait_for(lambda: text_of(person, token, "course/intro.txt"), 120, "the materials")
    assert text_of(person, token, "course/intro.txt") == "v1\n"
    assert text_of(person, token, "course/sub/notes.txt") == "s1\n"
    assert contents(person, token, "GET", "course/leak").status_code == 404
    # The attendee edits one file and deletes another.
    edit_one_and_delete_another(person, token)
    # The trainer changes both, adds one, and pushes.
    shell(
        trainer,
        "echo v2 > course/intro.txt && echo d2 > course/data.csv && echo new > course/extra.txt",
    )
    pushed = api(hub, trainer, "POST", f"/{event['id']}/materials")
    assert pushed.status_code == 200 and pushed.json()["materials_version"] == 2, pushed.text
    wait_for(lambda: text_of(person, token, "course/extra.txt"), 120, "the pushed materials")
    assert text_of(person, token, "course/intro.txt") == "my answer\n"
    assert text_of(person, token, "course/data.csv") == "d2\n"


def test_only_attendees_get_materials(hub, trainer, new_user):
    person = new_user("learner")
    reply = requests.get(
        f"{hub.service_url('workshops')}api/materials",
        headers={"Authorization": f"token {person.new_token()}"},
        timeout=30,
    )
    assert reply.status_code == 404, reply.text


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Trainer", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def git_server(tmp_path):
    """A course repository on a plain HTTP server (git's dumb protocol), as a trainer's
    repository is on any git host; `push(files)` commits and publishes a new version."""
    work, served = tmp_path / "work", tmp_path / "served"
    work.mkdir()
    git("init", "--initial-branch=main", cwd=work)

    def push(files: dict[str, str | None]) -> None:
        for name, text in files.items():
            if text is None:
                (work / name).unlink()
            else:
                (work / name).write_text(text)
        git("add", "-A", cwd=work)
        git("commit", "-m", "materials", cwd=work)
        shutil.rmtree(served, ignore_errors=True)
        git("clone", "--bare", str(work), str(served / "course.git"), cwd=tmp_path)
        git("update-server-info", cwd=served / "course.git")

    push({"intro.txt": "v1\n", "data.csv": "d1\n"})
    port = free_port_block(1)
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=served,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/course.git"
        wait_for(lambda: requests.get(f"{url}/HEAD", timeout=5).ok, 30, "the git server")
        yield url, push
    finally:
        server.terminate()
        server.wait(30)


def test_git_materials_are_pulled_with_nbgitpuller_and_keep_the_attendees_changes(
    hub, trainer, git_server
):
    url, push = git_server
    event = new_event(hub, trainer, materials=url)
    attendee = Attendee(hub)
    assert attendee.join(event).status_code == 302
    person = attendee.session
    person.start_server()
    token = person.new_token()
    wait_for(lambda: text_of(person, token, "course/intro.txt"), 120, "the clone")
    edit_one_and_delete_another(person, token)
    push({"data.csv": "d2\n", "extra.txt": "new\n"})
    pushed = api(hub, trainer, "POST", f"/{event['id']}/materials")
    assert pushed.status_code == 200 and pushed.json()["materials_version"] == 2, pushed.text
    wait_for(lambda: text_of(person, token, "course/extra.txt"), 120, "the pull")
    assert text_of(person, token, "course/intro.txt") == "my answer\n"
    assert text_of(person, token, "course/data.csv") == "d2\n"
