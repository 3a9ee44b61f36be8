"""The attack matrix of the annotation service (issue 12, section 3).

Every route of the service's own route table (`handlers.ROUTES`, so a route added later
is attacked too, plus the OAuth callback outside it), with every method it answers, is
sent by four attackers against Alice's container and her annotation shared with her
group:

- anonymous: no credentials at all;
- another user (Mallory, in no group) and a user of another group (Eve), each with
  their own valid hub token;
- a stolen cookie: Alice's own OAuth cookie for the service, replayed as a page on
  another site makes the browser send it (no XSRF token).

Each answer is a 4xx with a JSON body, except reads that any user may make (the
service's description, the list of containers, a container's listing, search, export)
and those that anyone may make, anonymous visitors and the stolen cookie's page included
(a container's listing, search, export: the public annotations): those may answer, but
with nothing of Alice's that the attacker may not see. Afterwards
the store is as it was. A positive control shows that the cookie itself was good: with
JupyterHub's XSRF token (the service's `_xsrf` cookie sent back in `X-XSRFToken`) the
same cookie writes.

On the run's shared hub: the people are this module's own, and "as it was" compares the
whole store before and after each attacker (nothing else writes meanwhile), with the
revision history of Alice's annotations, the ones attacked.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import pytest
import requests

from echoes_hub.services.annotations.handlers import ROUTES
from tests.integration.annotations_support import (
    MEDIA_TYPE,
    new_person,
    service_url,
    wait_for_service,
    with_token,
)
from tests.security import assert_refused, cross_site

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

PRIVATE = f"private-{uuid.uuid4().hex}"
SHARED = f"shared-{uuid.uuid4().hex}"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def note(text: str, **changes) -> dict:
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": text},
        "target": "urn:echoes:catalog:heritage/archaeometry/pottery",
        **changes,
    }


#: A request body per `Route.body` schema: what an attacker would send.
BODIES = {
    "Annotation": note("taken over", visibility="public"),
    "NewContainer": {"name": "alice-box", "label": "taken over"},
    "Collection": {"type": "AnnotationPage", "items": [note("imported over")]},
}
#: What an attacker posts to a form route (no JSON body: the answer form, respond.py):
#: a public agreement with Alice's annotation, in her name or theirs.
FORM = {"verdict": "agreed", "text": "taken over", "visibility": "public"}


@pytest.fixture(scope="module")
def world(hub, admin) -> dict:
    wait_for_service(hub)
    service = service_url(hub)
    alice_person, alice = new_person(hub, admin, "sec-alice", groups=("sec-team",))
    _, mallory = new_person(hub, admin, "sec-mallory")
    _, eve = new_person(hub, admin, "sec-eve", groups=("sec-other",))

    def post(session, url: str, document: dict) -> requests.Response:
        reply = session.post(
            url, data=json.dumps(document), headers={"Content-Type": MEDIA_TYPE}, timeout=30
        )
        assert reply.status_code == 201, reply.text
        return reply

    box = post(alice, f"{service}containers/", {"name": "alice-box"}).headers["Location"]
    post(alice, box, note(PRIVATE))
    shared = post(alice, box, note(SHARED, visibility="group:sec-team")).json()["id"]
    # Alice opens the service in her browser: the hub's OAuth flow sets its cookies.
    opened = alice_person.http.get(service, headers=BROWSER, timeout=30)
    assert opened.status_code == 200 and opened.json()["user"] == alice_person.name
    return {
        "service": service,
        "alice": alice_person,
        "root": with_token(admin),
        "ids": {"container": "alice-box", "annotation": shared.rsplit("/", 1)[1]},
        "attackers": {
            "anonymous": requests.Session(),
            "another user": mallory,
            "a user of another group": eve,
            "a stolen cookie": cross_site(alice_person.http),
        },
    }


def store_state(world: dict) -> tuple:
    """Everything the store holds, as an administrator reads it, and the revisions of
    Alice's annotations."""
    root, service = world["root"], world["service"]
    containers = root.get(f"{service}containers/", timeout=30).json()
    items = root.get(f"{service}export", timeout=60).json()["first"]["items"]
    alices = [a for a in items if a["creator"].get("nickname") == world["alice"].name]
    assert alices, "none of Alice's annotations is in the store"
    history = {a["id"]: root.get(f"{a['id']}/revisions", timeout=30).json() for a in alices}
    return containers, items, history


def attacks(service: str, ids: dict) -> list[tuple[str, str, str, dict | str | None]]:
    """(what, method, URL, body) for every method of every route, and the OAuth callback.
    A body is JSON (a dict) or, for a route without a JSON body, a form (a str); the
    form and the URL's ``to`` name Alice's annotation."""
    found = []
    alices = f"{service}containers/{ids['container']}/{ids['annotation']}"
    for route in ROUTES:
        url = service + route.path.format(**ids)  # a new {parameter} fails here: add it
        if "to" in route.query:
            url += "?" + urlencode({"to": alices})
        for method in route.methods:
            body = None
            if method in ("post", "put"):
                body = BODIES[route.body] if route.body else urlencode({**FORM, "to": alices})
            found.append((f"{method.upper()} /{route.path}", method.upper(), url, body))
    found.append(("GET /oauth_callback", "GET", f"{service}oauth_callback?code=x&state=y", None))
    return found


def is_open_read(what: str, method: str, authenticated: bool) -> bool:
    """Reads any authenticated user may make, and those anyone may make (the routes
    with `public_reads`): they answer with what the caller may see."""
    if method not in ("GET", "HEAD", "OPTIONS") or "{annotation}" in what:
        return False
    route = next((r for r in ROUTES if what.endswith(f" /{r.path}")), None)
    return authenticated or bool(route and getattr(route.handler, "public_reads", False))


def test_the_stolen_cookie_is_alices_and_writes_with_the_xsrf_token(world):
    """The positive control: without it, the matrix's refusals could be a dead cookie."""
    browser = world["alice"].http
    xsrf = browser.cookies.get("_xsrf", path="/services/annotations/")
    assert xsrf, browser.cookies
    reply = browser.post(
        f"{world['service']}containers/alice-box/",
        data=json.dumps(note("from Alice's browser")),
        headers={
            "Content-Type": MEDIA_TYPE,
            "X-XSRFToken": xsrf,
            "Sec-Fetch-Mode": "cors",
            "Sec-Fetch-Site": "same-origin",
        },
        timeout=30,
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["creator"]["nickname"] == world["alice"].name


@pytest.mark.parametrize(
    "attacker", ["anonymous", "another user", "a user of another group", "a stolen cookie"]
)
def test_every_route_refuses_the_attacker_and_changes_nothing(world, attacker):
    session = world["attackers"][attacker]
    authenticated = attacker in ("another user", "a user of another group")
    before = store_state(world)
    problems = []
    for what, method, url, body in attacks(world["service"], world["ids"]):
        headers = {"If-Match": "*"} if method in ("PUT", "DELETE") else {}
        if isinstance(body, str):
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            headers["Content-Type"] = MEDIA_TYPE
        data = body if isinstance(body, str) or body is None else json.dumps(body)
        reply = session.request(
            method, url, data=data, headers=headers, timeout=60, allow_redirects=False
        )
        leaked = PRIVATE in reply.text or SHARED in reply.text
        try:
            assert not leaked, f"{what}: Alice's annotation in the answer"
            if not is_open_read(what, method, authenticated):
                assert_refused(reply, f"{attacker}: {what}")
        except AssertionError as error:
            problems.append(str(error)[:500])
    assert not problems, "\n".join(problems)
    assert store_state(world) == before
