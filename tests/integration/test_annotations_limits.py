"""The annotation service under load and faults: big imports, limits, crashes, logs.

Through the real proxy and hub: a large import does not hold up other users, each
user's imports are limited in size and rate (413 and 429 with JSON), a service killed
with SIGKILL is back within seconds, and tokens put in URLs never reach its log.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
from urllib.parse import urlsplit

import pytest
import requests

from tests.hubclient import wait_for
from tests.integration.annotations_support import (
    MEDIA_TYPE,
    new_person,
    service_pid,
    service_processes,
    service_url,
    wait_for_service,
)

pytestmark = pytest.mark.slow

MAX_IMPORTS_PER_HOUR = 30
MAX_IMPORT_ITEMS = 50_000
MAX_IMPORT_SIZE = 12_000_000


def page(count: int, text: str = "a note on the rim") -> dict:
    return {
        "type": "AnnotationPage",
        "items": [
            {
                "type": "Annotation",
                "motivation": "commenting",
                "body": {"type": "TextualBody", "value": f"{text} {i}"},
                "target": f"urn:echoes:catalog:heritage/limits/{i % 100}",
            }
            for i in range(count)
        ],
    }


@pytest.fixture(scope="module")
def hub(hub_factory_module):
    return hub_factory_module(
        args=[
            f"--AnnotationsService.max_imports_per_hour={MAX_IMPORTS_PER_HOUR}",
            f"--AnnotationsService.max_import_items={MAX_IMPORT_ITEMS}",
            f"--AnnotationsService.max_import_size={MAX_IMPORT_SIZE}",
        ]
    )


@pytest.fixture(scope="module")
def service(hub) -> str:
    wait_for_service(hub)
    return service_url(hub)


def post(session, url: str, document) -> requests.Response:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return session.post(url, data=data, headers={"Content-Type": MEDIA_TYPE}, timeout=300)


def own_container(service: str, session, name: str) -> str:
    reply = post(session, f"{service}containers/", {"name": name})
    assert reply.status_code == 201, reply.text
    return reply.headers["Location"]


def test_a_large_import_does_not_hold_up_other_users(hub, admin, service):
    _, alice = new_person(hub, admin, "imp-alice")
    _, bob = new_person(hub, admin, "imp-bob")
    url = own_container(service, alice, "big")
    assert bob.get(f"{service}search", timeout=30).status_code == 200  # Bob is known already
    body = json.dumps(page(MAX_IMPORT_ITEMS)).encode()

    # The import goes out in full; its answer is awaited in a thread.
    where = urlsplit(f"{url}import")
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=600)
    connection.putrequest("POST", where.path)
    for name, value in (
        ("Authorization", alice.headers["Authorization"]),
        ("Content-Type", MEDIA_TYPE),
        ("Content-Length", str(len(body))),
    ):
        connection.putheader(name, value)
    connection.endheaders(body)
    finished: list[str] = []
    answer: dict = {}

    def await_import() -> None:
        reply = connection.getresponse()
        answer.update(status=reply.status, body=json.loads(reply.read()))
        finished.append("import")

    waiter = threading.Thread(target=await_import)
    waiter.start()
    try:
        # The service says when it is working on Alice's import (it answers meanwhile).
        wait_for(
            lambda: alice.get(service, timeout=300).json()["imports"]["running"],
            120,
            "Alice's import to be running",
        )
        # Bob reads, and gets his answer before Alice's import is done.
        read = bob.get(f"{service}search", params={"q": "rim"}, timeout=300)
        finished.append("read")
        # One import at a time per user: Alice's second one is refused meanwhile.
        refused = post(alice, f"{url}import", page(1))
        assert refused.status_code == 429, refused.text[:300]
        assert "import running" in refused.json()["message"]
        assert int(refused.headers["Retry-After"]) >= 1
    finally:
        waiter.join(600)
        connection.close()
    assert read.status_code == 200, read.text[:300]
    assert finished == ["read", "import"], "Bob's read waited for Alice's import"
    assert answer["status"] == 201, str(answer)[:300]
    assert answer["body"]["imported"] == MAX_IMPORT_ITEMS
    assert alice.get(url, timeout=30).json()["total"] == MAX_IMPORT_ITEMS


def test_the_service_is_back_within_seconds_after_sigkill(hub, admin, service):
    _, erin = new_person(hub, admin, "imp-erin")

    def answers() -> bool:
        return erin.get(f"{service}search", timeout=5).status_code == 200

    # Twice: JupyterHub alone notices a dead service at its next poll, every 30 s from
    # the (re)start, so the second crash at the latest would keep it away that long.
    for _ in range(2):
        killed = service_pid(hub)
        os.kill(killed, signal.SIGKILL)

        def restarted(killed: int = killed) -> bool:
            try:
                return service_pid(hub) != killed
            except LookupError:  # between the death and the new start
                return False

        wait_for(restarted, 10, "a new annotation service process", 0.1)
        wait_for(answers, 10, "the annotation service to answer again", 0.1)


def test_tokens_in_query_strings_never_reach_the_log(hub, admin, service):
    _, frank = new_person(hub, admin, "imp-frank")
    token = frank.headers["Authorization"].removeprefix("token ")
    marker = "marker" + token[-6:][::-1]
    anonymous = requests.Session()
    probes = [
        f"{service}search?token={token}&q={marker}",
        f"{service}containers/nowhere/?access_token={token}&q={marker}",
        # (The OAuth state is no credential: JupyterHub logs a mismatching one.)
        f"{service}oauth_callback?code={token}&state=forged&q={marker}",
        f"{service}containers/default/?_xsrf={token}&q={marker}",
    ]
    for url in probes:
        reply = anonymous.get(url, timeout=30)
        # Refused, or (search and a container: anyone reads the public annotations) answered.
        assert reply.status_code < 500, (url, reply.status_code)
    wait_for(lambda: hub.log().count(marker) >= len(probes), 30, "the requests to be logged")
    assert token not in hub.log(), "a token from a URL was written to the log"


def test_the_supervised_service_still_ends_with_a_killed_hub(hub, service):
    """The restart must not outlive the hub (last in this module: it kills the hub)."""
    assert len(service_processes(hub)) == 2  # the tether and the service
    hub.stop(signal.SIGKILL)
    wait_for(lambda: not service_processes(hub), 30, "the tether and the service to end")
