"""A workshop with real containers (`echoes up --spawner docker`), from the trainer's
folder to the archives: the service reaches homes in Docker volumes (workshops/homes.py).

A trainer's event has folder materials (from the trainer's home volume) and attendees who
do not keep their work; the warm pool has their containers running before they join
through the join page (and one for the seat left, which goes with its volume at the
end). Each container gets the materials and the event's size; the trainer collects a
notebook from both into their own volume (as the image's user); the trainer ends the
event, and the containers go, each home is archived as a zip and its volume removed.
Attackers: another attendee gets no archive of someone else's home.

One hub for the module. Outside CI the test skips without an engine or the image; in CI
(CI=true) that fails.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from echoes_hub.spawners.docker import DEFAULT_HOME_VOLUME, home_volume_name
from tests.hubclient import wait_for
from tests.integration.test_docker_spawner import DockerHub, docker, running_docker_hub
from tests.integration.test_workshops_expiry import my_archive, write
from tests.integration.test_workshops_pool import started
from tests.integration.workshops_support import (
    Attendee,
    api,
    contents,
    new_event,
    new_trainer,
    seated,
    text_of,
    wait_for_pool,
)

pytestmark = pytest.mark.slow

NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture(scope="module")
def docker_hub() -> Iterator[DockerHub]:
    with running_docker_hub(
        "--WorkshopsService.expiry_interval=1",
        "--WorkshopsService.pool_servers=2",
        "--WorkshopsService.pool_interval=1",
    ) as running:
        yield running


def exists(kind: str, name: str) -> bool:
    """Whether the engine has the container or volume `name`."""
    return docker(kind, "inspect", name, check=False).returncode == 0


def test_a_workshop_in_containers_from_materials_to_archives(docker_hub: DockerHub) -> None:
    hub, admin = docker_hub.hub, docker_hub.admin
    trainer = new_trainer(hub, admin)
    trainer.start_server()
    trainer_token = trainer.new_token()
    for path in ("course", "course/sub"):
        assert contents(trainer, trainer_token, "PUT", path, json={"type": "directory"}).ok
    write(trainer, trainer_token, "course/intro.txt", "v1\n")
    write(trainer, trainer_token, "course/sub/notes.txt", "s1\n")

    event = new_event(hub, trainer, seats=3, memory="640M", cpu=0.25, materials="course")
    assert event["keep_work"] is False and event["materials"] == "course"
    pooled = wait_for_pool(hub, admin, trainer, event, 2)

    # Two attendees join through the join page and get the pool's running containers.
    attendees = [Attendee(hub), Attendee(hub)]
    with ThreadPoolExecutor(2) as threads:
        replies = list(
            threads.map(
                lambda pair: pair[1].join(event, display_name=pair[0]),
                zip(("Ada", "Bob"), attendees, strict=True),
            )
        )
    assert [r.status_code for r in replies] == [302, 302], [r.text[:300] for r in replies]
    ada, bob = (a.session for a in attendees)
    assert {ada.name, bob.name} == set(pooled) == set(seated(hub, trainer, event))
    joined = {
        a["account"]: a for a in api(hub, trainer, "GET", f"/{event['id']}").json()["attendees"]
    }
    tokens = {}
    for person, reply in zip((ada, bob), replies, strict=True):
        assert reply.headers["Location"] == person.server_url()  # straight to its lab
        assert started(pooled[person.name]) < joined[person.name]["joined"]
        tokens[person.name] = person.new_token("workshops")
        # The event's size is the container's; the materials reach its home volume.
        host = docker_hub.container(person)["HostConfig"]
        assert host["Memory"] == 640 * 2**20
        assert host["CpuQuota"] / host["CpuPeriod"] == 0.25
    for person in (ada, bob):
        token = tokens[person.name]
        wait_for(lambda p=person, t=token: text_of(p, t, "course/intro.txt"), 120, "the materials")
        assert text_of(person, token, "course/sub/notes.txt") == "s1\n"
        notebook = {**NOTEBOOK, "metadata": {"author": person.name}}
        put = contents(
            person,
            token,
            "PUT",
            "answers.ipynb",
            json={"type": "notebook", "format": "json", "content": notebook},
        )
        assert put.status_code in (200, 201), put.text
    write(ada, tokens[ada.name], "work.txt", "Ada's answer\n")

    # The trainer collects the notebook from both into their home volume, as its user.
    reply = api(hub, trainer, "POST", f"/{event['id']}/collect", json={"path": "answers.ipynb"})
    assert reply.status_code == 200, reply.text
    saved = {r["account"]: r["saved"] for r in reply.json()["attendees"]}
    folder = f"/home/jovyan/collected/{event['id']}"
    assert saved == {
        ada.name: f"~/collected/{event['id']}/Ada/answers.ipynb",
        bob.name: f"~/collected/{event['id']}/Bob/answers.ipynb",
    }
    for person, name in ((ada, "Ada"), (bob, "Bob")):
        copy = f"{folder}/{name}/answers.ipynb"
        shown = docker("exec", docker_hub.container_name(trainer), "stat", "-c", "%u:%g", copy)
        assert shown.stdout.split() == ["1000:1000"], "the copy is the container user's"
        read = docker("exec", docker_hub.container_name(trainer), "cat", copy).stdout
        assert json.loads(read)["metadata"]["author"] == person.name

    # The pool started a server for the seat left (it holds at most 2).
    [spare] = wait_for_pool(hub, admin, trainer, event, 1)

    # The trainer ends the event: containers gone, homes archived, volumes removed.
    ended = api(hub, trainer, "POST", f"/{event['id']}/end")
    assert ended.status_code == 200 and ended.json()["state"] == "ended", ended.text
    model = wait_for(
        lambda: (found := api(hub, trainer, "GET", f"/{event['id']}").json())["archived"] and found,
        180,
        "the ended event's homes to be archived",
        interval=1,
    )
    for person in (ada, bob):
        assert admin.api("GET", f"/users/{person.name}").json()["servers"] == {}
        assert not exists("container", docker_hub.container_name(person))
        assert not exists("volume", docker_hub.volume_name(person))
    assert exists("volume", docker_hub.volume_name(trainer))  # the trainer's home stays
    # The pool's unclaimed account goes with its home.
    wait_for(
        lambda: admin.api("GET", f"/users/{spare}").status_code == 404,
        120,
        "the unclaimed pooled account to be deleted",
        interval=1,
    )
    assert not exists("volume", home_volume_name(DEFAULT_HOME_VOLUME, docker_hub.prefix, spare))
    assert {a["account"] for a in model["archives"]} == {ada.name, bob.name}
    reply = api(hub, trainer, "GET", f"/{event['id']}/archives/{ada.name}")
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        assert archive.read("work.txt") == b"Ada's answer\n"
        assert archive.read("course/intro.txt") == b"v1\n"
        assert json.loads(archive.read("answers.ipynb"))["metadata"]["author"] == ada.name

    # Ada downloads her own; Bob (another attendee) gets only his, never Ada's.
    with zipfile.ZipFile(io.BytesIO(my_archive(hub, tokens[ada.name]).content)) as archive:
        assert archive.read("work.txt") == b"Ada's answer\n"
    for path in (f"/{event['id']}/archives/{ada.name}", f"/{event['id']}"):
        assert api(hub, bob, "GET", path).status_code == 404
    with zipfile.ZipFile(io.BytesIO(my_archive(hub, tokens[bob.name]).content)) as archive:
        names = archive.namelist()
    assert "answers.ipynb" in names and "work.txt" not in names
