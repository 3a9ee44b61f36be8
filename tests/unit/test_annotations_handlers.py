"""The annotation service's HTTP protocol, in process: the real tornado application,
store (SQLite and PostgreSQL), rules and HTTP on a loopback port, without a hub.

The one stand-in is who is calling: the service base's seam (`base.auth.CALLER`, set by
tests/inprocess.py) answers with the user a test names, where the service would ask the
hub. What needs the hub itself (login, tokens, cookies and XSRF, group changes, cross-user rules) is
tested through a real one in tests/integration/test_annotations_*.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from tornado import web
from traitlets.config import Config

from echoes_hub.services.annotations.app import AnnotationsApp
from echoes_hub.services.annotations.store import Store, metadata
from tests.annotation_cases import HOSTILE, POTTERY, note
from tests.inprocess import InProcess

MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
LIMITS = {"max_import_items": 50, "max_import_size": 512 * 1024, "max_imports_per_hour": 4}


class Service(InProcess):
    """The annotation service (a fresh SQLite store) running in this process, at `url`,
    with `LIMITS` and ``settings`` (other `AnnotationsService` settings)."""

    def __init__(self, database_url: str, **settings: int) -> None:
        self.database_url = database_url
        self.settings = settings
        # The HTTP server's limit as ServiceApp.serve sets it.
        super().__init__(self.start, LIMITS["max_import_size"] + 1024, self.close)

    async def start(self, port: int) -> web.Application:
        self.url = f"http://127.0.0.1:{port}/services/annotations/"
        settings = {"database_url": self.database_url, **LIMITS, **self.settings}
        config = {"AnnotationsService": settings, "ServiceApp": {"public_url": self.url}}
        self.app = AnnotationsApp(config=Config(config))
        await self.app.open()
        return self.app.make_web_app()

    async def close(self) -> None:
        await self.app.close()


@contextmanager
def running(backend: str, request, folder: Path) -> Iterator[Service]:
    """The service on ``backend``: SQLite in ``folder``, or PostgreSQL (emptied first)."""
    if backend == "postgresql":
        url = request.getfixturevalue("postgresql_url")
        store = Store(url)
        metadata.drop_all(store.engine)
        store.close()
    else:
        url = f"sqlite:///{folder}/annotations.sqlite"
    service = Service(url)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request, tmp_path) -> Iterator[Service]:
    """A fresh service for each test, on SQLite, then on PostgreSQL."""
    with running(request.param, request, tmp_path) as service:
        yield service


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def refusing(request, tmp_path_factory) -> Iterator[Service]:
    """One service for all the requests it must refuse (each checks it changed nothing)."""
    with running(request.param, request, tmp_path_factory.mktemp("refusing")) as service:
        yield service


@pytest.fixture
def alice(service) -> requests.Session:
    return service.session("alice")


def send(session, method: str, url: str, document, **headers) -> requests.Response:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return session.request(
        method, url, data=data, headers={"Content-Type": MEDIA_TYPE, **headers}, timeout=30
    )


def container(service: Service, session, name: str) -> str:
    reply = send(session, "POST", f"{service.url}containers/", {"name": name, "label": name})
    assert reply.status_code == 201, reply.text
    return reply.headers["Location"]


def test_create_read_update_delete_with_etags(service, alice):
    url = container(service, alice, "crud")
    created = send(alice, "POST", url, note())
    assert created.status_code == 201, created.text
    assert created.headers["Content-Type"] == MEDIA_TYPE
    location, etag = created.headers["Location"], created.headers["ETag"]
    assert location.startswith(url) and location == created.json()["id"]
    assert created.json()["creator"]["nickname"] == "alice"

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

    required = send(alice, "PUT", location, note("3 cm crack"))
    assert required.status_code == 428 and required.json()["error"] == "PreconditionRequired"
    updated = send(alice, "PUT", location, note("3 cm crack"), **{"If-Match": etag})
    assert updated.status_code == 200 and updated.headers["ETag"] != etag
    stale = send(alice, "PUT", location, note("stale"), **{"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["field"] == "If-Match"
    weak = send(
        alice, "PUT", location, note("weak"), **{"If-Match": f"W/{updated.headers['ETag']}"}
    )
    assert weak.status_code == 412
    assert alice.get(location).json()["body"]["value"] == "3 cm crack"

    revisions = alice.get(f"{location}/revisions").json()["items"]
    assert [r["doc"]["body"]["value"] for r in revisions] == [
        "A crack across the rim",
        "3 cm crack",
    ]

    assert alice.delete(location, headers={"If-Match": etag}).status_code == 412
    assert alice.delete(location, headers={"If-Match": updated.headers["ETag"]}).status_code == 204
    gone = alice.get(location)
    assert gone.status_code == 404 and gone.json()["error"] == "NotFound"


def test_container_paging_and_prefer(service, alice):
    url = container(service, alice, "paging")
    for start in range(0, 130, 50):  # imports of at most max_import_items
        items = [note(f"note {i}") for i in range(start, min(start + 50, 130))]
        reply = send(alice, "POST", f"{url}import", {"type": "AnnotationPage", "items": items})
        assert reply.status_code == 201, reply.text
    collection = alice.get(url).json()
    assert collection["type"] == ["BasicContainer", "AnnotationCollection"]
    assert collection["total"] == 130
    first = collection["first"]
    assert len(first["items"]) == 100 and first["items"][0]["body"]["value"] == "note 0"
    second = alice.get(first["next"]).json()
    assert second["type"] == "AnnotationPage" and second["startIndex"] == 100
    assert len(second["items"]) == 30 and "next" not in second and second["prev"]
    assert second["partOf"] == {"id": url, "total": 130}
    assert alice.get(url, params={"page": "x"}).json()["field"] == "page"

    prefer = 'return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"'
    minimal = alice.get(url, headers={"Prefer": prefer}).json()
    assert isinstance(minimal["first"], str) and minimal["total"] == 130
    prefer = 'return=representation;include="http://www.w3.org/ns/oa#PreferContainedIRIs"'
    iris = alice.get(url, headers={"Prefer": prefer}).json()
    assert all(isinstance(i, str) and i.startswith(url) for i in iris["first"]["items"])


def test_search_by_target_motivation_tag_and_words(service, alice):
    url = container(service, alice, "search")
    tagged = note(
        "Red slip ware from the Oxford kilns",
        motivation="tagging",
        target=POTTERY,
        body=[
            {"type": "TextualBody", "value": "oxford-kiln", "purpose": "tagging"},
            {"type": "TextualBody", "value": "Red slip ware from the Oxford kilns"},
        ],
    )
    assert send(alice, "POST", url, tagged).status_code == 201
    assert send(alice, "POST", url, note("A remark on the rim")).status_code == 201

    def found(**criteria) -> list[str]:
        reply = alice.get(f"{service.url}search", params=criteria)
        assert reply.status_code == 200, reply.text
        return [item["body"][-1]["value"] for item in reply.json()["items"]]

    kilns = ["Red slip ware from the Oxford kilns"]
    assert found(target=POTTERY) == kilns
    assert found(tag="oxford-kiln") == found(motivation="tagging") == found(q="slip oxford")
    assert found(q="slip oxford") == kilns
    assert alice.get(f"{service.url}search", params={"q": "!!"}).json()["field"] == "q"
    bad = alice.get(f"{service.url}search", params={"visibility": "world"})
    assert bad.status_code == 400 and bad.json()["field"] == "visibility"


@pytest.mark.parametrize("name, document, status, field", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_malformed_and_hostile_input_is_refused_and_changes_nothing(
    refusing, name, document, status, field
):
    alice = refusing.session("alice")
    url = f"{refusing.url}containers/default/"
    before = alice.get(url).json()["total"]
    content_type = "application/x-www-form-urlencoded" if status == 415 else MEDIA_TYPE
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    reply = alice.post(url, data=data, headers={"Content-Type": content_type}, timeout=30)
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    assert set(reply.json()) <= {"error", "message", "field"} and reply.json()["message"]
    if field is not None:
        assert reply.json()["field"] == field, reply.json()
    assert alice.get(url).json()["total"] == before


def test_path_tricks_in_request_iris(service, alice):
    for path in (
        "containers/..%2F..%2Fhub/",
        "containers/default/..%2F..%2F",
        "containers/default/not-an-id",
        "containers/DEFAULT/",
        "containers/default/%00",
    ):
        reply = alice.get(service.url + path)
        assert reply.status_code in (400, 404), (path, reply.status_code)


def test_text_that_looks_like_script_is_data_not_markup(service, alice):
    created = send(
        alice, "POST", f"{service.url}containers/default/", note("<script>alert(1)</script>")
    )
    assert created.status_code == 201
    read = alice.get(created.headers["Location"])
    assert read.headers["Content-Type"] == MEDIA_TYPE
    assert read.headers["X-Content-Type-Options"] == "nosniff"
    assert read.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert read.json()["body"]["value"] == "<script>alert(1)</script>"


def test_export_import_export_round_trip(service, alice):
    source = container(service, alice, "round-trip-a")
    documents = [
        note("region"),
        note("pottery", target=POTTERY, motivation="describing", visibility="public"),
        note(
            "row five",
            target={
                "source": POTTERY,
                "selector": {
                    "type": "FragmentSelector",
                    "conformsTo": "http://tools.ietf.org/rfc/rfc7111",
                    "value": "row=5",
                },
            },
        ),
        note(
            "bell",
            target={
                "source": "https://example.org/audio/bell.ogg",
                "selector": {"type": "FragmentSelector", "value": "t=3,7.5"},
            },
        ),
        note(
            "quote",
            target={
                "source": "https://example.org/report",
                "selector": {
                    "type": "TextQuoteSelector",
                    "exact": "kiln",
                    "prefix": "the ",
                    "suffix": " at",
                },
            },
        ),
        note(
            "tags",
            motivation="tagging",
            body={"type": "TextualBody", "value": "ünïcödé-tag ☃", "purpose": "tagging"},
        ),
    ]
    for document in documents:
        assert send(alice, "POST", source, document).status_code == 201
    first = alice.get(f"{source}export").json()
    assert first["type"] == "AnnotationCollection" and first["total"] == len(documents)

    target = container(service, alice, "round-trip-b")
    reply = send(alice, "POST", f"{target}import", first)
    assert reply.status_code == 201 and reply.json()["imported"] == len(documents)
    second = alice.get(f"{target}export").json()

    def essence(annotation: dict) -> dict:
        return {
            k: v for k, v in annotation.items() if k not in ("id", "via", "modified", "generated")
        }

    before, after = first["first"]["items"], second["first"]["items"]
    assert [a["id"] for a in before] == [b["via"] for b in after]
    assert [essence(a) for a in before] == [essence(b) for b in after]


def test_imports_over_the_size_and_rate_limits_are_refused_and_change_nothing(service, alice):
    url = container(service, alice, "limited")
    page = {"type": "AnnotationPage", "items": [note("one")]}
    too_many = send(alice, "POST", f"{url}import", {**page, "items": [note()] * 51})
    assert too_many.status_code == 413 and too_many.json()["field"] == "items"
    padded = json.dumps(page).encode() + b" " * LIMITS["max_import_size"]
    too_big = send(alice, "POST", f"{url}import", padded)
    assert too_big.status_code == 413 and too_big.json()["error"] == "TooLarge"
    assert too_big.json()["field"] == "$"
    assert alice.get(url).json()["total"] == 0

    # The import refused for its items counted (the body too large never started one).
    for _ in range(LIMITS["max_imports_per_hour"] - 1):
        assert send(alice, "POST", f"{url}import", page).status_code == 201
    over = send(alice, "POST", f"{url}import", page)
    assert over.status_code == 429 and over.json()["error"] == "TooManyRequests"
    assert over.headers["Content-Type"].startswith("application/json")
    assert int(over.headers["Retry-After"]) > 1
    assert alice.get(url).json()["total"] == LIMITS["max_imports_per_hour"] - 1
    assert alice.get(service.url).json()["imports"]["this_hour"] == LIMITS["max_imports_per_hour"]
    # Each user has a quota of their own.
    dave = service.session("dave")
    assert send(dave, "POST", f"{service.url}containers/default/import", page).status_code == 201


def test_the_body_limit_of_one_annotation_is_smaller_than_an_imports(service, alice):
    url = f"{service.url}containers/default/"
    limit = service.app.service_settings.max_body_size
    big = note(body={"type": "TextualBody", "value": "x" * limit})
    reply = send(alice, "POST", url, big)
    assert reply.status_code == 413 and reply.json() == {
        "error": "TooLarge",
        "message": f"request body larger than {limit} bytes",
        "field": "$",
    }
    assert alice.get(url).json()["total"] == 0


def test_without_a_hub_identity_only_public_annotations_are_read(service, alice):
    url = f"{service.url}containers/default/"
    public = send(alice, "POST", url, note("for everyone", visibility="public")).json()["id"]
    private = send(alice, "POST", url, note("for Alice")).json()["id"]
    for path in ("", "containers/", "openapi.json"):
        reply = requests.get(service.url + path, timeout=30)
        assert reply.status_code == 403, path
        assert reply.json() == {
            "error": "Forbidden",
            "message": "authenticate with the hub (cookie or API token)",
        }
    for path in ("containers/default/", "search", "export", "containers/default/export"):
        reply = requests.get(service.url + path, timeout=30)
        assert reply.status_code == 200, path
        found = reply.json().get("items") or reply.json()["first"]["items"]
        assert [a["id"] for a in found] == [public], path
    assert requests.get(public, timeout=30).status_code == 200
    assert requests.get(private, timeout=30).status_code == 404
    write = send(requests, "POST", url, note())
    assert write.status_code == 403
    changed = send(requests, "PUT", public, note("mine now"), **{"If-Match": "*"})
    assert changed.status_code == 403
    assert alice.get(url).json()["total"] == 2


def test_the_description_names_the_requester_and_the_limits(service, alice):
    info = alice.get(service.url).json()
    assert info["user"] == "alice" and info["max_import_items"] == LIMITS["max_import_items"]
    assert info["openapi"] == f"{service.url}openapi.json"
    spec = alice.get(info["openapi"]).json()
    assert spec["servers"] == [{"url": service.url.rstrip("/")}]
    assert "/containers/{container}/{annotation}" in spec["paths"]


OTHER_ORIGIN = "https://mirador.example.org"


def test_containers_and_pages_send_content_location_equal_to_their_id(service, alice):
    url = container(service, alice, "located")
    for text in ("one", "two"):
        assert send(alice, "POST", url, note(text)).status_code == 201
    for address in (
        url,
        f"{url}?page=0",
        f"{url}?page=0&iris=1",
        f"{url}export",
        f"{service.url}search?q=one",
        f"{service.url}export?q=one",
    ):
        reply = alice.get(address)
        assert reply.status_code == 200, address
        assert reply.headers["Content-Location"] == reply.json()["id"], address
        assert "Accept" in reply.headers["Vary"]
    minimal = 'return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"'
    reply = alice.get(url, headers={"Prefer": minimal})
    assert reply.headers["Content-Location"] == reply.json()["id"] == url
    assert reply.headers["ETag"]  # a container has one (tornado's, of the body)


def test_options_answers_200_with_allow_and_accept_post(service, alice):
    url = container(service, alice, "optional")
    location = send(alice, "POST", url, note()).headers["Location"]
    allowed = alice.options(url)
    assert allowed.status_code == 200
    assert allowed.headers["Content-Type"] == "application/json"
    assert allowed.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert allowed.headers["Accept-Post"] == MEDIA_TYPE
    assert "ldp#BasicContainer" in allowed.headers["Link"]
    assert allowed.json() == {
        "allow": ["GET", "HEAD", "OPTIONS", "POST"],
        "accept-post": MEDIA_TYPE,
    }
    one = alice.options(location)
    assert one.status_code == 200 and one.headers["Allow"] == "GET, HEAD, OPTIONS, PUT, DELETE"
    assert alice.get(location).headers["Allow"] == one.headers["Allow"]


def test_the_page_an_export_embeds_has_an_id(service, alice):
    url = container(service, alice, "exported")
    assert send(alice, "POST", url, note()).status_code == 201
    for address in (f"{url}export", f"{service.url}export?creator=alice"):
        exported = alice.get(address).json()
        page = exported["first"]
        assert page["id"] == f"{exported['id']}#page-0"
        assert page["partOf"] == {"id": exported["id"], "total": 1}
        assert len(page["items"]) == 1


def _triples(text: str, syntax: str):
    import rdflib

    return rdflib.Graph().parse(data=text, format=syntax)


def _json_ld_triples(document: dict):
    """The triples of ``document`` as pyld (another JSON-LD processor) reads them, with
    the contexts the service ships."""
    import rdflib
    from pyld import jsonld

    from echoes_hub.services.annotations.rdf import CONTEXTS

    def local(url: str, options: dict | None = None) -> dict:
        return {"contextUrl": None, "documentUrl": url, "document": {"@context": CONTEXTS[url]}}

    quads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": local})
    return rdflib.Graph().parse(data=quads, format="nt")


def test_turtle_and_n_triples_are_the_triples_of_the_json_ld(service, alice):
    from rdflib.compare import isomorphic

    url = container(service, alice, "triples")
    created = send(alice, "POST", url, note("ünïcödé ☃", visibility="public"))
    location, etag = created.headers["Location"], created.headers["ETag"]
    document = alice.get(location).json()
    for accept, syntax, content_type in (
        ("text/turtle", "turtle", "text/turtle; charset=utf-8"),
        ("application/n-triples", "nt", "application/n-triples"),
        ("text/turtle;q=0.5, application/ld+json;q=0.1", "turtle", "text/turtle; charset=utf-8"),
    ):
        reply = alice.get(location, headers={"Accept": accept})
        assert reply.status_code == 200 and reply.headers["Content-Type"] == content_type
        assert reply.headers["Vary"] == "Accept"
        assert reply.headers["ETag"] == f'W/{etag[:-1]}.{syntax}"'
        assert isomorphic(_triples(reply.text, syntax), _json_ld_triples(document))
        revalidated = alice.get(
            location, headers={"Accept": accept, "If-None-Match": reply.headers["ETag"]}
        )
        assert revalidated.status_code == 304
    collection = alice.get(url, headers={"Accept": "application/n-triples"})
    assert collection.status_code == 200
    assert isomorphic(_triples(collection.text, "nt"), _json_ld_triples(alice.get(url).json()))
    assert collection.headers["Content-Location"] == url
    assert f"<{location}>" in collection.text and "ldp#BasicContainer" in collection.text
    exported = alice.get(f"{url}export", headers={"Accept": "text/turtle"})
    assert exported.status_code == 200 and "ünïcödé ☃" in exported.text

    # JSON-LD stays the default, and its ETag the one PUT takes.
    for accept in (None, "*/*", "application/json", "application/ld+json", "text/*;q=0.1, */*"):
        reply = alice.get(location, headers={"Accept": accept} if accept else {})
        assert reply.headers["Content-Type"] == MEDIA_TYPE and reply.headers["ETag"] == etag
    assert alice.get(location, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("accept", ["text/html", "application/rdf+xml", "*/*;q=0"])
def test_media_types_not_served_get_406(refusing, accept):
    alice = refusing.session("alice")
    for path in ("containers/default/", "search", "export"):
        reply = alice.get(refusing.url + path, headers={"Accept": accept})
        assert reply.status_code == 406, (path, reply.status_code)
        assert reply.headers["Content-Type"] == "application/json"
        assert reply.json()["error"] == "NotAcceptable" and reply.json()["field"] == "Accept"


def test_other_origins_read_public_annotations_without_credentials(service, alice):
    url = f"{service.url}containers/default/"
    public = send(alice, "POST", url, note("public", visibility="public")).json()["id"]
    private = send(alice, "POST", url, note("private")).json()["id"]
    exposed = {"ETag", "Link", "Location", "Content-Location", "Allow", "Vary"}
    anonymous = {"Origin": OTHER_ORIGIN}
    for address in (url, f"{url}?page=0", public, f"{service.url}search", f"{url}export"):
        reply = requests.get(address, headers=anonymous, timeout=30)
        assert reply.status_code == 200, address
        assert reply.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in reply.headers
        names = {h.strip() for h in reply.headers["Access-Control-Expose-Headers"].split(",")}
        assert exposed <= names
    items = requests.get(url, headers=anonymous, timeout=30).json()["first"]["items"]
    assert [a["id"] for a in items] == [public]
    refused = requests.get(private, headers=anonymous, timeout=30)
    assert refused.status_code == 404 and refused.headers["Access-Control-Allow-Origin"] == "*"
    # What Alice's own token shows her page is hers, still without credentials mode.
    mine = alice.get(private, headers={"Origin": OTHER_ORIGIN, "Authorization": "token t"})
    assert mine.status_code == 200 and "Access-Control-Allow-Credentials" not in mine.headers


def test_a_preflight_is_answered_for_the_route_without_credentials(service, alice):
    private = send(alice, "POST", f"{service.url}containers/default/", note()).json()["id"]
    for address, method in (
        (f"{service.url}containers/default/", "POST"),
        (private, "PUT"),  # invisible to an anonymous preflight, answered all the same
    ):
        reply = requests.options(
            address,
            headers={
                "Origin": OTHER_ORIGIN,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type, if-match",
            },
            timeout=30,
        )
        assert reply.status_code == 204, (address, reply.text)
        assert reply.headers["Access-Control-Allow-Origin"] == "*"
        assert method in reply.headers["Access-Control-Allow-Methods"].split(", ")
        allowed = reply.headers["Access-Control-Allow-Headers"].lower().split(", ")
        assert {"authorization", "content-type", "if-match"} <= set(allowed)
        assert "Access-Control-Allow-Credentials" not in reply.headers
        assert int(reply.headers["Access-Control-Max-Age"]) > 0


def test_a_change_from_another_origin_needs_a_token_never_a_cookie(service, alice):
    """In process the caller is whoever the test header names: without an Authorization
    header the service takes it as a cookie's (tests/integration has the real hub's)."""
    url = f"{service.url}containers/default/"
    by_cookie = send(alice, "POST", url, note("forged"), Origin=OTHER_ORIGIN)
    assert by_cookie.status_code == 403 and by_cookie.json()["field"] == "Origin"
    assert by_cookie.headers["Access-Control-Allow-Origin"] == "*"
    assert alice.get(url).json()["total"] == 0
    by_token = send(alice, "POST", url, note("sent"), Origin=OTHER_ORIGIN, Authorization="token t")
    assert by_token.status_code == 201, by_token.text
    here = service.url.split("/services/")[0]
    assert send(alice, "POST", url, note("same origin"), Origin=here).status_code == 201
    location, etag = by_token.headers["Location"], by_token.headers["ETag"]
    changed = send(alice, "PUT", location, note("x"), Origin=OTHER_ORIGIN, **{"If-Match": etag})
    assert changed.status_code == 403
    deleted = alice.delete(location, headers={"Origin": OTHER_ORIGIN})
    assert deleted.status_code == 403
    assert alice.get(url).json()["total"] == 2


def test_the_openapi_description_names_the_headers_and_media_types_sent(service, alice):
    spec = alice.get(f"{service.url}openapi.json").json()
    url = container(service, alice, "described")
    created = send(alice, "POST", url, note())
    location, etag = created.headers["Location"], created.headers["ETag"]
    replies = {
        ("/containers/{container}/", "post"): created,
        ("/containers/{container}/", "get"): alice.get(url),
        ("/containers/{container}/", "head"): alice.head(url),
        ("/containers/{container}/", "options"): alice.options(url),
        ("/containers/{container}/export", "get"): alice.get(f"{url}export"),
        ("/containers/{container}/{annotation}", "get"): alice.get(location),
        ("/containers/{container}/{annotation}", "head"): alice.head(location),
        ("/containers/{container}/{annotation}", "options"): alice.options(location),
        ("/containers/{container}/{annotation}", "put"): send(
            alice, "PUT", location, note("changed"), **{"If-Match": etag}
        ),
        ("/search", "get"): alice.get(f"{service.url}search"),
        ("/export", "get"): alice.get(f"{service.url}export"),
    }
    for (path, method), reply in replies.items():
        code, documented = next(iter(spec["paths"][path][method]["responses"].items()))
        assert reply.status_code == int(code), (path, method)
        missing = [name for name in documented["headers"] if name not in reply.headers]
        assert not missing, (path, method)
        if method == "get":
            assert {MEDIA_TYPE, "text/turtle", "application/n-triples"} <= set(
                documented["content"]
            )
            turtle = alice.get(reply.url, headers={"Accept": "text/turtle"})
            assert turtle.headers["Content-Type"].startswith("text/turtle"), path
    assert "406" in spec["paths"]["/search"]["get"]["responses"]


def test_the_change_feed_gives_anonymous_followers_the_public_state_and_waits_for_changes(
    service, alice
):
    url = f"{service.url}containers/default/"
    feed = f"{service.url}changes"
    start = requests.get(feed, timeout=30).json()
    assert start == {"since": 0, "last": 0, "changes": []}
    public = send(alice, "POST", url, note("for everyone", visibility="public"))
    private = send(alice, "POST", url, note("for Alice")).json()["id"]
    first = requests.get(feed, timeout=30).json()
    assert [c["id"] for c in first["changes"]] == [public.json()["id"], private]
    assert first["changes"][0]["annotation"]["body"]["value"] == "for everyone"
    assert first["changes"][1] == {"id": private, "gone": True}  # nothing of it shown
    # Alice reads her own in full.
    assert alice.get(feed).json()["changes"][1]["annotation"]["id"] == private
    # Going private is "gone" for anonymous followers; one entry per annotation.
    shown = public.json()
    shown["visibility"] = "private"
    etag = public.headers["ETag"]
    assert send(alice, "PUT", shown["id"], shown, **{"If-Match": etag}).status_code == 200
    later = requests.get(feed, params={"since": first["last"]}, timeout=30).json()
    assert later["changes"] == [{"id": shown["id"], "gone": True}]
    assert later["last"] > first["last"]
    # A long poll answers once a change comes, not at the end of its wait.
    import threading

    seen: list[dict] = []
    waiting = threading.Thread(
        target=lambda: seen.append(
            requests.get(feed, params={"since": later["last"], "wait": 30}, timeout=60).json()
        )
    )
    waiting.start()
    made = send(alice, "POST", url, note("news", visibility="public")).json()["id"]
    waiting.join(timeout=60)
    assert not waiting.is_alive()
    assert [c["id"] for c in seen[0]["changes"]] == [made]
    # Nothing new after a short wait: an empty page, since unchanged.
    idle = requests.get(feed, params={"since": seen[0]["last"], "wait": 1}, timeout=30).json()
    assert idle == {"since": seen[0]["last"], "last": seen[0]["last"], "changes": []}
    for bad in ({"since": "-1"}, {"limit": "5000"}, {"wait": "31"}, {"since": "x"}):
        reply = requests.get(feed, params=bad, timeout=30)
        assert reply.status_code == 400, bad
        assert reply.json()["field"] == next(iter(bad))
