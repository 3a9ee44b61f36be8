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
    """The annotation service (a fresh SQLite store) running in this process, at `url`."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        # The HTTP server's limit as ServiceApp.serve sets it.
        super().__init__(self.start, LIMITS["max_import_size"] + 1024, self.close)

    async def start(self, port: int) -> web.Application:
        self.url = f"http://127.0.0.1:{port}/services/annotations/"
        settings = {"database_url": self.database_url, **LIMITS}
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
    assert allowed.status_code == 204 and "POST" in allowed.headers["Allow"]
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


def test_without_a_hub_identity_there_is_nothing(service):
    for path in ("", "containers/", "containers/default/", "search", "openapi.json"):
        reply = requests.get(service.url + path, timeout=30)
        assert reply.status_code == 403, path
        assert reply.json() == {
            "error": "Forbidden",
            "message": "authenticate with the hub (cookie or API token)",
        }
    write = send(requests, "POST", f"{service.url}containers/default/", note())
    assert write.status_code == 403
    assert service.session("alice").get(f"{service.url}containers/default/").json()["total"] == 0


def test_the_description_names_the_requester_and_the_limits(service, alice):
    info = alice.get(service.url).json()
    assert info["user"] == "alice" and info["max_import_items"] == LIMITS["max_import_items"]
    assert info["openapi"] == f"{service.url}openapi.json"
    spec = alice.get(info["openapi"]).json()
    assert spec["servers"] == [{"url": service.url.rstrip("/")}]
    assert "/containers/{container}/{annotation}" in spec["paths"]
