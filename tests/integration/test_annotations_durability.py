"""Acknowledged writes survive a crash: kill -9 the service in a burst of writes.

Writers create annotations one by one and in batches; the service process is killed
with SIGKILL while they run; the hub restarts it; every annotation whose creation got
a 201 must then be there, with the content that was sent.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
import requests

from tests.hubclient import wait_for
from tests.integration.annotations_support import (
    MEDIA_TYPE,
    new_person,
    service_pid,
    service_url,
    wait_for_service,
)

pytestmark = pytest.mark.slow


def document(writer: int, number: int) -> dict:
    return {
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": f"writer {writer} note {number}"},
        "target": f"urn:echoes:catalog:heritage/durability/{writer}",
    }


def test_every_acknowledged_write_survives_kill_9(hub, admin):
    wait_for_service(hub)
    _, session = new_person(hub, admin, "ann-durable")
    reply = session.post(
        f"{service_url(hub)}containers/",
        data=json.dumps({"name": "durability"}),
        headers={"Content-Type": MEDIA_TYPE},
    )
    assert reply.status_code == 201, reply.text
    url = reply.headers["Location"]
    token = session.headers["Authorization"]

    acknowledged: dict[str, str] = {}  # IRI -> body text sent
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def single_writer(writer: int) -> None:
        own = requests.Session()
        own.headers.update({"Authorization": token, "Content-Type": MEDIA_TYPE})
        number = 0
        while not stop.is_set():
            number += 1
            sent = document(writer, number)
            try:
                reply = own.post(url, data=json.dumps(sent), timeout=10)
            except requests.RequestException as error:
                failures.append(type(error).__name__)
                time.sleep(0.05)
                continue
            if reply.status_code == 201:
                with lock:
                    acknowledged[reply.headers["Location"]] = sent["body"]["value"]
            else:
                failures.append(str(reply.status_code))

    def batch_writer(writer: int) -> None:
        own = requests.Session()
        own.headers.update({"Authorization": token, "Content-Type": MEDIA_TYPE})
        number = 0
        while not stop.is_set():
            batch = [document(writer, number + i) for i in range(50)]
            number += 50
            page = {"type": "AnnotationPage", "items": batch}
            try:
                reply = own.post(f"{url}import", data=json.dumps(page), timeout=20)
            except requests.RequestException as error:
                failures.append(type(error).__name__)
                time.sleep(0.05)
                continue
            if reply.status_code == 201:
                with lock:
                    for iri, sent in zip(reply.json()["items"], batch, strict=True):
                        acknowledged[iri] = sent["body"]["value"]

    threads = [threading.Thread(target=single_writer, args=(w,)) for w in range(3)]
    threads.append(threading.Thread(target=batch_writer, args=(99,)))
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(acknowledged) >= 200, 60, "200 acknowledged writes")
        pid = service_pid(hub)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: len(failures) >= 3, 30, "writes failing after the kill")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert len(acknowledged) >= 200

    # The hub notices the dead service and starts it again.
    wait_for_service(hub, timeout=120)
    assert service_pid(hub) != pid

    for iri, text in acknowledged.items():
        reply = session.get(iri, timeout=10)
        assert reply.status_code == 200, (iri, reply.status_code)
        assert reply.json()["body"]["value"] == text
    total = session.get(url, timeout=10).json()["total"]
    assert total >= len(acknowledged)
