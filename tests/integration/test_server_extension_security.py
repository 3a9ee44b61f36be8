"""Attacks on the JupyterLab server extension (echoes.server: routes under <server>/echoes/).

Every route of its route table (enumerated, so a new route fails here until it is given a
sample request) and every method it answers, on Alice's real server behind the real hub
and proxy: anonymous, with Bob's browser cookie, with Bob's token, with Alice's own cookie
but no XSRF token, and with bad input from Alice herself. Each answer is a 4xx with a JSON
body naming the problem, and Alice's annotations, apps and files are as they were.
"""

from __future__ import annotations

import json

import pytest
import requests
from tornado import web

from echoes.server.handlers import ROUTES
from tests.hubclient import Lab, wait_for
from tests.integration.annotations_support import wait_for_service
from tests.integration.conftest import add_user
from tests.integration.workshops_support import Attendee, new_event, new_trainer
from tests.notebooks import one_cell_notebook

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NOTEBOOK = one_cell_notebook()
NOTE = {
    "@context": "http://www.w3.org/ns/anno.jsonld",
    "type": "Annotation",
    "motivation": "commenting",
    "body": {"type": "TextualBody", "value": "written by an attacker", "format": "text/plain"},
    "target": "urn:echoes:test:target",
}
#: For each route of the table, a request that works for the server's owner ({note} is one
#: of Alice's annotations), and the bodies its methods are attacked with.
SAMPLES = {
    r"catalog/tree": "catalog/tree",
    r"catalog/search": "catalog/search?q=coins",
    r"catalog/entry/([\w.-]+)": "catalog/entry/images.coins",
    r"catalog/preview/([\w.-]+)": "catalog/preview/images.coins",
    r"catalog/image/([\w.-]+)": "catalog/image/images.coins",
    r"me": "me",
    r"pages": "pages",
    r"annotations/(.*)": "annotations/{note}",
    r"contribute/?(.*)": "contribute",
    r"apps/publish": "apps/publish",
    r"apps/mine": "apps/mine",
    r"usage": "usage",
    r"workshop": "workshop",
    r"workshop/hand": "workshop/hand",
}
BODIES = {
    ("annotations/(.*)", "POST"): NOTE,
    ("annotations/(.*)", "PUT"): NOTE,
    ("apps/publish", "POST"): {"path": "hello.ipynb", "name": "stolen-app", "share": "public"},
}
#: Bad input from the owner for each (route, method): (path, body); None: takes no input.
BAD = {
    ("catalog/tree", "GET"): None,
    ("catalog/search", "GET"): ("catalog/search?q=", None),
    (r"catalog/entry/([\w.-]+)", "GET"): ("catalog/entry/no-theme", None),
    (r"catalog/preview/([\w.-]+)", "GET"): ("catalog/preview/images.nope", None),
    (r"catalog/image/([\w.-]+)", "GET"): ("catalog/image/collections.tate", None),
    ("me", "GET"): None,
    ("pages", "GET"): None,
    ("annotations/(.*)", "GET"): ("annotations/no/such/path", None),
    ("annotations/(.*)", "POST"): ("annotations/containers/default/", b"{not json"),
    ("annotations/(.*)", "PUT"): ("annotations/{note}", b"[]"),
    ("annotations/(.*)", "DELETE"): ("annotations/no/such/path", None),
    ("contribute/?(.*)", "GET"): ("contribute/drafts/no-such-draft-id", None),
    ("contribute/?(.*)", "POST"): ("contribute/drafts", b"{}"),
    ("apps/publish", "POST"): ("apps/publish", {"path": "../../etc/passwd.ipynb", "name": "x"}),
    ("apps/mine", "GET"): None,
    ("usage", "GET"): None,
    ("workshop", "GET"): None,
    ("workshop/hand", "POST"): None,
}


def _requests() -> list[tuple[str, str, str, object]]:
    """(route, method, path, body) for every method every handler of the table answers."""
    assert sorted(SAMPLES) == sorted(route for route, _ in ROUTES), "a route has no sample"
    found = []
    for route, handler in ROUTES:
        for method in METHODS:
            if getattr(handler, method.lower()) is not getattr(web.RequestHandler, method.lower()):
                found.append((route, method, SAMPLES[route], BODIES.get((route, method))))
    return found


def _encode(body: object) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    return json.dumps(body).encode()


def _assert_refused(response: requests.Response, what: str) -> None:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.text}"
    assert response.headers.get("Content-Type", "").startswith("application/json"), (
        f"{what}: {response.headers.get('Content-Type')} {response.text[:200]}"
    )
    assert response.json().get("message"), what


@pytest.fixture(scope="module")
def labs(hub, admin, data):
    """Alice's and Bob's JupyterLab; Alice has a notebook, an annotation and a token,
    attends a workshop, so that its routes (workshop, workshop/hand) answer her, and
    contributes collections (the group `institutions`: the contribute routes)."""
    wait_for_service(hub)
    attendee = Attendee(hub)
    assert attendee.join(new_event(hub, new_trainer(hub, admin))).status_code == 302
    alice, bob = attendee.session, add_user(hub, admin, "ext-bob")
    admin.api("POST", "/groups/institutions")
    joined = admin.api("POST", "/groups/institutions/users", json={"users": [alice.name]})
    assert joined.status_code == 200, joined.text
    for person in (alice, bob):
        person.start_server()
    alice_lab, bob_lab = Lab(alice), Lab(bob)
    # Her server learns her workshop at its first check of the service, just after start.
    wait_for(lambda: alice_lab.get("workshop").json() is not None, 60, "Alice's workshop")
    saved = alice_lab.save_notebook("hello.ipynb", NOTEBOOK)
    assert saved.status_code == 201, saved.text
    created = alice_lab.send("POST", "annotations/containers/default/", NOTE)
    assert created.status_code == 201, created.text
    alice.note = created.json()["id"].split("/services/annotations/", 1)[1]
    alice.token = alice.new_token("alice's")
    return alice_lab, bob_lab


def _state(hub, alice: Lab) -> dict:
    """What the attacks must not change: Alice's annotations, apps and files."""
    headers = {"Authorization": f"token {alice.person.token}"}
    search = requests.get(
        hub.service_url("annotations") + "search", headers=headers, timeout=60
    ).json()
    apps = requests.get(hub.service_url("apps") + "api/apps", headers=headers, timeout=60)
    home = hub.state_dir / "homes" / alice.person.name
    return {
        "annotations": sorted(json.dumps(item, sort_keys=True) for item in search["items"]),
        "apps": sorted(app["name"] for app in apps.json()["apps"]),
        "files": sorted(p.name for p in home.iterdir()),
    }


def test_every_route_and_method_of_the_table_is_attacked():
    attacked = {(route, method) for route, method, *_ in _requests()}
    assert {route for route, _ in attacked} == set(SAMPLES)
    assert attacked == set(BAD), "give each new route and method its bad input in BAD"


def test_the_owner_reaches_every_route(labs):
    """The samples work for Alice, so the refusals below are about who asks."""
    alice, bob = labs
    # Bob attends no workshop: null, not a 404 (an error in every user's browser console).
    nothing = bob.get("workshop")
    assert (nothing.status_code, nothing.json()) == (200, None), nothing.text
    for route, method, path, _body in _requests():
        if method == "GET":
            response = alice.get(path.format(note=alice.person.note))
            assert response.status_code == 200, (route, response.status_code, response.text)


def test_nobody_else_can_use_alices_server_extension(hub, labs):
    alice, bob = labs
    before = _state(hub, alice)
    attackers = [
        ("anonymous", requests.Session(), {}),
        # Bob's browser, with the XSRF token of his own server.
        ("bob's cookie", bob.person.http, {"X-XSRFToken": bob.xsrf}),
        ("bob's token", requests.Session(), {"Authorization": f"token {bob.person.new_token()}"}),
    ]
    # A request another site makes Alice's browser send: her cookie, no XSRF token.
    forged = ("alice's cookie without XSRF", alice.person.http, {})
    for route, method, path, body in _requests():
        url = alice.base + "echoes/" + path.format(note=alice.person.note)
        for who, session, headers in [*attackers, *([forged] if method != "GET" else [])]:
            response = session.request(
                method,
                url,
                data=_encode(body),
                headers={"Content-Type": "application/ld+json", **headers},
                allow_redirects=False,
                timeout=60,
            )
            _assert_refused(response, f"{who}: {method} {route}")
    assert _state(hub, alice) == before


def test_bad_input_gets_a_4xx_json_naming_the_problem(hub, labs):
    alice, _ = labs
    before = _state(hub, alice)
    for (route, method), bad in BAD.items():
        if bad is None:
            continue  # the route takes no input
        path, body = bad
        response = alice.send(method, path.format(note=alice.person.note), _encode(body) or b"")
        _assert_refused(response, f"bad input: {method} {route}")
    # Paths that try to leave the annotation service or the app's own address.
    for escaping in ("annotations/..%2F..%2Fhub%2Fapi%2Fusers", "contribute/..%2F..%2Fsparql"):
        escape = alice.get(escaping)
        assert escape.status_code in (400, 404), (escaping, escape.status_code)
    for name in ("..", "."):
        publish = {"path": "hello.ipynb", "name": name}
        response = alice.send(
            "POST", "apps/publish", publish, **{"Content-Type": "application/json"}
        )
        _assert_refused(response, f"an app named {name!r}")
    assert _state(hub, alice) == before
