"""The W3C Web Annotation Protocol through the real proxy, hub authentication and service.

Two (and more) hub users with their own tokens create, read, update, delete and search
annotations; every visibility and ownership rule is checked from the other side. The rules
of one request (paging, hostile input, limits, export and import) are tested in process,
faster, in tests/unit/test_annotations_handlers.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from echoes.annotations import AnnotationClient
from echoes_hub.services.annotations.store import Store, metadata
from tests.annotation_cases import POTTERY, note
from tests.hubclient import wait_for
from tests.integration.annotations_support import (
    ANNOTATIONS_HUB,
    AUTH_CACHE_MAX_AGE,
    MEDIA_TYPE,
    new_person,
    service_url,
    wait_for_service,
    with_token,
)

pytestmark = pytest.mark.slow

#: Collections as Mirador and Annotorious write them, with creators of other stores.
FOREIGN = json.loads((Path(__file__).parents[1] / "fixtures/annotations/foreign.json").read_text())


def send(session, method: str, url: str, document, **headers):
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return session.request(
        method, url, data=data, headers={"Content-Type": MEDIA_TYPE, **headers}, timeout=30
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hub(request, shared_hub, hub_factory_module):
    """A hub with a short auth cache, its annotation store on SQLite (the one this module
    shares with the schema module: its people and containers are this module's own),
    then one of this module's own on PostgreSQL (emptied first)."""
    if request.param == "sqlite":
        return shared_hub(ANNOTATIONS_HUB)
    url = request.getfixturevalue("postgresql_url")
    store = Store(url)
    metadata.drop_all(store.engine)
    store.close()
    return hub_factory_module(args=[*ANNOTATIONS_HUB, f"--AnnotationsService.database_url={url}"])


@pytest.fixture(scope="module")
def service(hub) -> str:
    wait_for_service(hub)
    return service_url(hub)


@pytest.fixture(scope="module")
def alice(hub, admin, service):
    return new_person(hub, admin, "ann-alice", groups=("ann-conservators",))[1]


@pytest.fixture(scope="module")
def bob(hub, admin, service):
    return new_person(hub, admin, "ann-bob")[1]


@pytest.fixture(scope="module")
def carol(hub, admin, service):
    return new_person(hub, admin, "ann-carol", groups=("ann-conservators",))[1]


@pytest.fixture(scope="module")
def root(admin, service):
    return with_token(admin)


def container(service, session, name: str) -> str:
    reply = send(session, "POST", f"{service}containers/", {"name": name, "label": name})
    assert reply.status_code == 201, reply.text
    return reply.headers["Location"]


def test_create_read_update_delete_with_etags(service, alice):
    url = container(service, alice, "crud")
    created = send(alice, "POST", url, note())
    assert created.status_code == 201, created.text
    assert created.headers["Content-Type"] == MEDIA_TYPE
    location, etag = created.headers["Location"], created.headers["ETag"]
    assert location.startswith(url) and location == created.json()["id"]
    assert created.json()["creator"]["nickname"] == alice.name

    read = alice.get(location)
    assert read.status_code == 200 and read.headers["ETag"] == etag
    assert read.json()["body"]["value"] == "A crack across the rim"
    assert 'ldp#Resource>; rel="type"' in read.headers["Link"]
    head = alice.head(location)
    assert head.status_code == 200 and head.headers["ETag"] == etag and not head.content
    assert "PUT" in alice.options(location).headers["Allow"]
    allowed = alice.options(url)
    assert allowed.status_code == 200 and "POST" in allowed.headers["Allow"]
    assert allowed.headers["Accept-Post"] == MEDIA_TYPE

    assert send(alice, "PUT", location, note("3 cm crack")).status_code == 428
    updated = send(alice, "PUT", location, note("3 cm crack"), **{"If-Match": etag})
    assert updated.status_code == 200 and updated.headers["ETag"] != etag
    stale = send(alice, "PUT", location, note("stale"), **{"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["field"] == "If-Match"
    assert alice.get(location).json()["body"]["value"] == "3 cm crack"

    revisions = alice.get(f"{location}/revisions").json()["items"]
    assert [r["doc"]["body"]["value"] for r in revisions] == [
        "A crack across the rim",
        "3 cm crack",
    ]

    assert alice.delete(location, headers={"If-Match": etag}).status_code == 412
    assert alice.delete(location, headers={"If-Match": updated.headers["ETag"]}).status_code == 204
    assert alice.get(location).status_code == 404


def test_search_by_target_creator_motivation_tag_visibility_words(service, alice, bob):
    url = container(service, alice, "search")
    tagged = note(
        "Red slip ware from the Oxford kilns",
        motivation="tagging",
        target=POTTERY,
        body=[
            {"type": "TextualBody", "value": "oxford-kiln", "purpose": "tagging"},
            {"type": "TextualBody", "value": "Red slip ware from the Oxford kilns"},
        ],
        visibility="public",
    )
    assert send(alice, "POST", url, tagged).status_code == 201
    # Alice's container is hers to fill; Bob writes into the default one, everyone's.
    assert send(bob, "POST", url, note("Bob's own remark on the kilns")).status_code == 403
    everyone = f"{service}containers/default/"
    assert send(bob, "POST", everyone, note("Bob's own remark on the kilns")).status_code == 201

    def found(session, **criteria):
        reply = session.get(f"{service}search", params=criteria)
        assert reply.status_code == 200, reply.text
        return [item["creator"]["nickname"] for item in reply.json()["items"]]

    assert found(bob, target=POTTERY) == [alice.name]
    assert found(bob, tag="oxford-kiln") == [alice.name]
    assert found(bob, motivation="tagging", creator=alice.name) == [alice.name]
    assert found(bob, q="slip oxford") == [alice.name]
    assert sorted(found(bob, q="kilns")) == sorted([alice.name, bob.name])
    assert found(alice, q="kilns") == [alice.name]  # Bob's remark is private
    assert found(bob, visibility="private", q="kilns") == [bob.name]
    assert bob.get(f"{service}search", params={"q": "!!"}).json()["field"] == "q"


def test_visibility_and_ownership_between_users(service, alice, bob, carol, root):
    url = container(service, alice, "visibility")
    private = send(alice, "POST", url, note("private")).json()["id"]
    shared = send(alice, "POST", url, note("shared", visibility="group:ann-conservators"))
    shared, shared_etag = shared.json()["id"], shared.headers["ETag"]
    public = send(alice, "POST", url, note("public", visibility="public"))
    public, public_etag = public.json()["id"], public.headers["ETag"]

    def listed(session):
        return {a["id"] for a in session.get(url).json()["first"]["items"]}

    assert listed(alice) == {private, shared, public}
    assert listed(carol) == {shared, public}
    assert listed(bob) == {public}
    assert listed(root) == {private, shared, public}
    assert bob.get(private).status_code == 404
    assert bob.get(shared).status_code == 404
    assert bob.get(f"{private}/revisions").status_code == 404
    assert carol.get(shared).status_code == 200
    assert root.get(private).status_code == 200

    # Reading is not writing: neither a group member nor anyone else edits Alice's work.
    assert send(carol, "PUT", shared, note("mine"), **{"If-Match": shared_etag}).status_code == 403
    assert send(bob, "PUT", public, note("mine"), **{"If-Match": public_etag}).status_code == 403
    assert bob.delete(public).status_code == 403
    assert send(bob, "PUT", private, note("x"), **{"If-Match": "*"}).status_code == 404
    assert bob.delete(private).status_code == 404
    assert alice.get(public).json()["body"]["value"] == "public"

    # Nobody poses as someone else, or as the owner of someone else's agent.
    as_alice = note(creator={"type": "Person", "nickname": alice.name})
    assert send(bob, "POST", url, as_alice).status_code == 403
    agent = {"type": "Software", "name": "x", "version": "1", "actedOnBehalfOf": alice.name}
    assert send(bob, "POST", url, note(creator=agent)).status_code == 403
    assert send(bob, "POST", url, note(visibility="group:ann-conservators")).status_code == 403
    assert listed(alice) == {private, shared, public}

    # An administrator may moderate; the annotation stays Alice's.
    moderated = send(
        root, "PUT", public, note("moderated", visibility="public"), **{"If-Match": "*"}
    )
    assert moderated.status_code == 200
    assert moderated.json()["creator"]["nickname"] == alice.name

    # Without a hub identity (or with a forged one) only what is public, and no change.
    for headers in ({}, {"Authorization": "token forged"}):
        anonymous = requests.get(url, headers=headers, timeout=10)
        assert anonymous.status_code == 200
        assert {a["id"] for a in anonymous.json()["first"]["items"]} == {public}
        assert requests.get(private, headers=headers, timeout=10).status_code == 404
        refused = send(requests, "POST", url, note("anonymous"), **headers)
        assert refused.status_code == 403
    assert requests.get(service, timeout=10).status_code == 403


def test_removal_from_a_group_applies_within_the_auth_cache_age(hub, admin, service, alice):
    person, erin = new_person(hub, admin, "ann-erin", groups=("ann-conservators",))
    shared = send(
        alice,
        "POST",
        f"{service}containers/default/",
        note("for conservators only", visibility="group:ann-conservators"),
    )
    shared = shared.json()["id"]
    assert erin.get(shared).status_code == 200  # the service now holds Erin's groups
    removed = admin.api("DELETE", "/groups/ann-conservators/users", json={"users": [person.name]})
    assert removed.status_code == 200, removed.text
    started = time.monotonic()
    # The bound is the configured age; the margin is for a busy machine, far below
    # JupyterHub's default of 300 s that this setting replaces.
    wait_for(
        lambda: erin.get(shared).status_code == 404,
        AUTH_CACHE_MAX_AGE + 20,
        "the group removal to reach the annotation service",
    )
    print(f"group removal applied after {time.monotonic() - started:.1f}s")
    listed = erin.get(f"{service}search", params={"q": "conservators"}).json()["items"]
    assert shared not in [item["id"] for item in listed]


def test_browser_login_reaches_the_service_and_cookies_alone_cannot_write(hub, admin, service):
    person, _ = new_person(hub, admin, "ann-dora")
    # The hub's OAuth flow: service -> hub authorize (no confirmation page) -> callback.
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    reply = person.http.get(service, headers=browser, timeout=30)
    assert reply.status_code == 200, reply.text[:300]
    assert "/hub/api/oauth2/authorize" in " ".join(r.headers["Location"] for r in reply.history)
    assert reply.json()["user"] == person.name
    # A page on another site could make the browser POST with its cookies: refused.
    forged = person.http.post(
        f"{service}containers/default/",
        data=json.dumps(note("cross-site")),
        headers={"Content-Type": MEDIA_TYPE},
        timeout=30,
    )
    assert forged.status_code == 403
    listed = person.http.get(f"{service}search", params={"q": "cross"}, timeout=30)
    assert listed.json()["items"] == []


def test_from_another_origin_a_cookie_changes_nothing_and_a_token_does(hub, admin, service):
    person, token = new_person(hub, admin, "ann-xo")
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    assert person.http.get(service, headers=browser, timeout=30).status_code == 200
    service_host = urlsplit(service).hostname
    xsrf = next(
        c.value for c in person.http.cookies if c.name == "_xsrf" and service_host in c.domain
    )
    url = f"{service}containers/default/"
    by_cookie = {"Content-Type": MEDIA_TYPE, "X-XSRFToken": xsrf}
    # The cookie and the service's XSRF token are enough on the service's own origin...
    own = person.http.post(url, data=json.dumps(note("own origin")), headers=by_cookie, timeout=30)
    assert own.status_code == 201, own.text
    # ...never from another one, even with both (a browser would send neither).
    elsewhere = {**by_cookie, "Origin": "https://viewer.example.org"}
    forged = person.http.post(
        url, data=json.dumps(note("cross-site")), headers=elsewhere, timeout=30
    )
    assert forged.status_code == 403 and forged.json()["field"] == "Origin"
    assert forged.headers["Access-Control-Allow-Origin"] == "*"
    location, etag = own.headers["Location"], own.headers["ETag"]
    changed = person.http.put(
        location,
        data=json.dumps(note("cross-site")),
        headers={**elsewhere, "If-Match": etag},
        timeout=30,
    )
    assert changed.status_code == 403
    # A token is what another origin's page sends, and it works.
    sent = send(
        token, "POST", url, note("by token", visibility="public"), Origin=elsewhere["Origin"]
    )
    assert sent.status_code == 201, sent.text
    assert sent.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in sent.headers
    mine = token.get(url, params={"creator": person.name}).json()["first"]["items"]
    assert sorted(a["body"]["value"] for a in mine) == ["by token", "own origin"]
    # Anyone reads the public one from anywhere, without credentials.
    read = requests.get(
        sent.headers["Location"], headers={"Origin": elsewhere["Origin"]}, timeout=30
    )
    assert read.status_code == 200 and read.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in read.headers["Access-Control-Expose-Headers"]


def test_path_tricks_in_request_iris(service, alice):
    for path in (
        "containers/..%2F..%2Fhub/",
        "containers/default/..%2F..%2F",
        "containers/default/not-an-id",
        "containers/DEFAULT/",
        "containers/default/%00",
    ):
        reply = alice.get(service + path)
        assert reply.status_code in (400, 404), (path, reply.status_code)


def test_html_bodies_are_sanitised_and_history_and_creators_do_not_leak(service, alice, bob):
    url = f"{service}containers/default/"
    html = '<a href="javascript&colon;alert(1)">look</a><script>x()</script><b>rim</b>'
    body = {"type": "TextualBody", "value": html, "format": "text/html"}
    created = send(alice, "POST", url, note(body=body))
    assert created.status_code == 201, created.text
    stored = alice.get(created.headers["Location"]).json()["body"]["value"]
    assert "<b>rim</b>" in stored and "javascript" not in stored and "script" not in stored

    # A private draft made public later: Bob sees the public state only, Alice all.
    location, etag = created.headers["Location"], created.headers["ETag"]
    weak = send(
        alice, "PUT", location, note("public", visibility="public"), **{"If-Match": f"W/{etag}"}
    )
    assert weak.status_code == 412
    assert (
        send(
            alice, "PUT", location, note("public", visibility="public"), **{"If-Match": etag}
        ).status_code
        == 200
    )
    assert len(alice.get(f"{location}/revisions").json()["items"]) == 2
    assert [
        r["doc"]["body"]["value"] for r in bob.get(f"{location}/revisions").json()["items"]
    ] == ["public"]

    # Bob's agent named after Alice is not Alice.
    impostor = {"type": "Software", "name": alice.name, "version": "1"}
    assert (
        send(bob, "POST", url, note("not Alice", visibility="public", creator=impostor)).status_code
        == 201
    )
    found = alice.get(
        f"{service}search", params={"creator": f"urn:echoes:user:{alice.name}"}
    ).json()
    assert found["items"] and {a["creator"]["id"] for a in found["items"]} == {
        f"urn:echoes:user:{alice.name}"
    }


def test_import_from_mirador_and_annotorious_makes_the_importer_the_creator(
    service, alice, bob, root
):
    url = container(service, bob, "from-other-tools")
    for collection in (FOREIGN["mirador"], FOREIGN["annotorious"]):
        reply = send(bob, "POST", f"{url}import", collection)
        assert reply.status_code == 201, reply.text
    items = bob.get(f"{url}export").json()["first"]["items"]
    assert len(items) == 5
    assert {a["creator"]["id"] for a in items} == {
        f"urn:echoes:user:{bob.name}",
        f"urn:echoes:agent:{bob.name}:segment-anything",
    }
    by_via = {a["via"]: a for a in items}
    carberry = by_via["https://mirador.example.org/annotations/7d1e6f0a"]
    assert carberry["as:attributedTo"]["name"] == "Josiah Carberry"
    keller = by_via["urn:uuid:4f0c2a8e-6a53-4f2b-8d0e-9c1d2b3a4e5f"]
    assert keller["as:attributedTo"]["name"] == "M. Keller"
    assert keller["created"] == "2024-03-05T10:12:00.000Z"
    assert alice.get(url).json()["total"] == 0  # private to Bob, as anything new


def test_import_never_makes_anyone_another_hub_user_or_their_agent(service, alice, bob, root):
    url = container(service, bob, "posing")
    as_alice = note(
        "signed Alice",
        creator={"id": f"urn:echoes:user:{alice.name}", "type": "Person", "nickname": alice.name},
    )
    alices_agent = note(
        "by Alice's agent",
        creator={
            "id": f"urn:echoes:agent:{alice.name}:coins",
            "type": "Software",
            "name": "coins",
            "version": "1",
            "actedOnBehalfOf": alice.name,
        },
        confidence=0.9,
    )
    page = {"type": "AnnotationPage", "items": [as_alice, alices_agent]}
    reply = send(bob, "POST", f"{url}import", page)
    assert reply.status_code == 201, reply.text
    person, agent = (bob.get(iri).json() for iri in reply.json()["items"])
    assert person["creator"]["id"] == f"urn:echoes:user:{bob.name}"
    assert agent["creator"]["id"] == f"urn:echoes:agent:{bob.name}:coins"
    assert agent["creator"]["actedOnBehalfOf"]["nickname"] == bob.name
    assert agent["as:attributedTo"]["id"] == f"urn:echoes:agent:{alice.name}:coins"
    assert root.get(url, params={"creator": alice.name}).json()["total"] == 0

    # Keeping the original creators is for administrators (migrations between stores).
    kept = send(
        bob, "POST", f"{url}import?creators=keep", {"type": "AnnotationPage", "items": [as_alice]}
    )
    assert kept.status_code == 403 and kept.json()["field"] == "creators"
    assert root.get(url).json()["total"] == 2
    # The notebook client asks for it the same way.
    token = root.headers["Authorization"].split()[1]
    migrating = AnnotationClient(url=service, token=token, container="posing")
    [iri] = migrating.import_collection([as_alice], keep_creators=True)
    assert alice.get(iri).json()["creator"]["nickname"] == alice.name  # hers: she sees it
    assert bob.get(iri).status_code == 404


def test_openapi_describes_the_routes(service, alice):
    spec = alice.get(f"{service}openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/containers/{container}/{annotation}" in spec["paths"]
    methods = {"get", "put", "delete", "head", "options"}
    assert set(spec["paths"]["/containers/{container}/{annotation}"]) == methods
    assert spec["servers"][0]["url"] == service.rstrip("/")
