"""The JupyterLab server extension (echoes.server, routes under <server>/echoes/) in a real
jupyter_server started in process by pytest-jupyter, spoken to over real HTTP: the catalog
routes, the publish route's checks, the annotation pass-through, and their JSON errors.

No hub here: the server's owner, hub token and service address come from the environment
a hub gives every user server. The annotation "service" is this server's own REST API
(/api/), so the pass-through is tested against a real HTTP server that refuses requests
without the token. What needs a hub (other users, the real services, the proxy) is in
tests/integration/test_lab_server.py and test_server_extension_security.py.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403 (its fixtures, for this module only)
from tornado import web
from tornado.httpclient import HTTPResponse

from echoes.annotators import coins
from echoes.server.handlers import ROUTES
from echoes_data import recipe
from tests.notebooks import one_cell_notebook

REPO = Path(__file__).resolve().parents[2]
TOKEN = "the-servers-hub-token"
OWNER = "alice"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NOTEBOOK = one_cell_notebook()


@pytest.fixture(scope="module")
def heritage() -> Path:
    return recipe.build(os.environ.get("ECHOES_DATA_DIR") or REPO / ".echoes" / "heritage")


@pytest.fixture
def annotations_url(http_server_port, jp_base_url) -> str:
    """Where the server extension finds the annotation service: this server's own API (a
    test may parametrize another)."""
    return f"http://127.0.0.1:{http_server_port[1]}{jp_base_url}api/"


def closed_port() -> int:
    """A loopback port that nothing listens on: a service that went away."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def jp_server_config(monkeypatch, heritage, annotations_url) -> dict:
    """The extension enabled, in the environment a hub gives a user server; the annotation
    service's address is this server's own API. No apps service, no hub API."""
    monkeypatch.setenv("ECHOES_DATA_DIR", str(heritage))
    monkeypatch.setenv("JUPYTERHUB_USER", OWNER)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", TOKEN)
    monkeypatch.setenv("ECHOES_ANNOTATIONS_URL", annotations_url)
    for name in ("JUPYTERHUB_API_URL", "ECHOES_APPS_URL"):
        monkeypatch.delenv(name, raising=False)
    return {
        "ServerApp": {"jpserver_extensions": {"echoes.server": True}},
        "IdentityProvider": {"token": TOKEN},
    }


@pytest.fixture
def echoes(jp_serverapp, http_server_client, jp_base_url, jp_asyncio_loop) -> Callable:
    """`echoes(method, path, body=None, token=TOKEN, **headers)`: one request to
    <server>/echoes/<path> (sent as written, not escaped again); any status is returned."""

    def request(
        method: str, path: str, body: object = None, token: str | None = TOKEN, **headers: str
    ) -> HTTPResponse:
        if token:
            headers["Authorization"] = f"token {token}"
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""

        # Inside the loop: tornado's client makes its future in the running loop, which an
        # earlier test's asyncio.run() may have left unset for the main thread.
        async def fetch() -> HTTPResponse:
            return await http_server_client.fetch(
                f"{jp_base_url}echoes/{path}",
                method=method,
                body=body,
                headers=headers,
                raise_error=False,
                allow_nonstandard_methods=True,
                request_timeout=60,
            )

        return jp_asyncio_loop.run_until_complete(fetch())

    return request


def as_json(response: HTTPResponse) -> dict:
    assert response.headers.get("Content-Type", "").startswith("application/json"), (
        response.code,
        response.headers.get("Content-Type"),
        response.body[:200],
    )
    return json.loads(response.body)


def refused(response: HTTPResponse, status: int | tuple[int, ...]) -> str:
    """The message of a JSON refusal with `status`."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.code in statuses, (response.code, response.body[:300])
    message = as_json(response).get("message")
    assert message, response.body
    return message


def test_catalog_tree_search_entry_and_previews(echoes, heritage):
    tree = as_json(echoes("GET", "catalog/tree"))
    themes = {t["name"]: t for t in tree["themes"]}
    assert sorted(themes) == ["archaeometry", "collections", "environment", "images", "sites"]
    assert "images.coins" in [e["path"] for e in themes["images"]["entries"]]

    hits = as_json(echoes("GET", "catalog/search?q=coins+pompeii"))["results"]
    assert [h["path"] for h in hits] == ["images.coins", "images.coins_manifest"]

    entry = as_json(echoes("GET", "catalog/entry/images.coins"))
    assert entry["licence"] == "LicenseRef-No-Known-Copyright-Restrictions"
    assert "Brooklyn Museum" in entry["citation"]
    assert "echoes.catalog().images.read().coins.read()" in entry["code"]
    assert entry["canvas"] == coins.canvas(heritage)  # as its IIIF manifest names it
    assert entry["target"] == "urn:echoes:catalog:heritage/images/coins"
    # Annotate on the manifest shows its one canvas: the photograph's, the same annotations.
    manifest = as_json(echoes("GET", "catalog/entry/images.coins_manifest"))
    assert (
        manifest["canvases"]
        == entry["canvases"]
        == [{"entry": "images.coins", "title": entry["title"], "canvas": entry["canvas"]}]
    )
    assert as_json(echoes("GET", "catalog/entry/archaeometry.pottery_kilns"))["canvases"] == []

    image = as_json(echoes("GET", "catalog/preview/images.coins"))
    assert (image["width"], image["height"]) == (384, 303)
    png = echoes("GET", "catalog/image/images.coins")
    assert png.headers["Content-Type"] == "image/png" and png.body[:4] == b"\x89PNG"

    table = as_json(echoes("GET", "catalog/preview/archaeometry.pottery_kilns"))
    assert table["shape"][0] == 48
    assert "site" in table["columns"] and len(table["rows"]) == 5

    array = as_json(echoes("GET", "catalog/preview/environment.nottingham_castle_temperature"))
    assert array["kind"] == "array" and array["variables"]


def test_the_catalog_refuses_unknown_entries_and_bad_requests_with_json(echoes):
    missing = refused(echoes("GET", "catalog/entry/images.nothing"), 404)
    assert missing == "no catalog entry 'images.nothing'"
    refused(echoes("GET", "catalog/entry/no-theme"), (400, 404))
    refused(echoes("GET", "catalog/preview/images.nope"), 404)
    assert echoes("GET", "catalog/preview/..%2Fetc").code in (400, 404)
    assert "not an image" in refused(echoes("GET", "catalog/image/archaeometry.pottery_kilns"), 400)
    assert "not an image" in refused(echoes("GET", "catalog/image/collections.tate"), 400)
    assert "search" in refused(echoes("GET", "catalog/search?q=+"), 400)


def test_me_without_a_hub_says_which_variable_is_missing(echoes):
    # Who the owner is and their groups come from the hub (a real one in
    # tests/integration/test_lab_server.py); a server without one says so, never "no groups".
    assert "JUPYTERHUB_API_URL" in refused(echoes("GET", "me"), 502)


def test_every_route_and_method_refuses_a_request_without_the_servers_token(echoes):
    """Enumerated from the route table, so a new route is covered when it lands."""
    samples = {"([\\w.-]+)": "images.coins", "(.*)": "contents"}
    asked = 0
    for route, handler in ROUTES:
        path = route
        for pattern, sample in samples.items():
            path = path.replace(pattern, sample)
        for method in METHODS:
            if getattr(handler, method.lower()) is getattr(web.RequestHandler, method.lower()):
                continue
            for token in (None, "not-the-token"):
                refused(echoes(method, path, {"path": "x.ipynb", "name": "x"}, token=token), 403)
                asked += 1
    assert asked >= 2 * len(ROUTES)


def test_the_annotation_pass_through_sends_the_servers_token_and_passes_replies_on(
    echoes, jp_root_dir
):
    (jp_root_dir / "notes.txt").write_text("a note")
    # The "service" (this server's API) answers only with the server's token, so a reply
    # is the proof the pass-through sent it; the query string goes along.
    model = as_json(echoes("GET", "annotations/contents/notes.txt?content=1&type=file"))
    assert (model["name"], model["content"]) == ("notes.txt", "a note")
    without_content = as_json(echoes("GET", "annotations/contents/notes.txt?content=0"))
    assert without_content["content"] is None

    # The service's JSON refusals come back with their status and body unchanged; a
    # POST goes with its body and Content-Type.
    gone = echoes("GET", "annotations/kernelspecs/nope")
    assert gone.code == 404 and as_json(gone)["message"] == "Kernel spec nope not found"
    bad = echoes("POST", "annotations/contents", b"{bad", **{"Content-Type": "application/json"})
    assert bad.code == 400 and as_json(bad)["message"] == "Invalid JSON in body of request"

    # A page that is not JSON (the web framework's HTML 404) is never passed on as such.
    page = echoes("GET", "annotations/no/such/page")
    assert refused(page, 404) == "the service answered 404 Not Found"

    # Paths that try to leave the service's address.
    for escape in ("..%2F..%2Fapi%2Fstatus", "contents/../../api/status", "http://elsewhere/"):
        assert echoes("GET", f"annotations/{escape}").code in (400, 404), escape


@pytest.mark.parametrize(
    "annotations_url", [f"http://127.0.0.1:{closed_port()}/services/annotations/"]
)
def test_when_the_annotation_service_is_gone_every_method_answers_a_502_json_message(echoes):
    """What the annotation view polls while the service (or the hub with it) is away: a
    JSON message it can show, never a page or an empty reply; the next poll asks again."""
    for method, path in (
        ("GET", "annotations/search?target=https%3A%2F%2Fiiif.example.org%2Fcanvas%2F1"),
        ("POST", "annotations/containers/default/"),
        ("DELETE", "annotations/containers/default/1"),
    ):
        body = {"type": "Annotation"} if method == "POST" else None
        message = refused(echoes(method, path, body), 502)
        assert message.startswith("cannot reach http://127.0.0.1:"), (method, message)
    assert echoes("GET", "annotations/search?q=x").code == 502  # still, on the next poll


def test_publish_refuses_bad_requests_with_a_400_json_naming_the_problem(echoes, jp_root_dir):
    (jp_root_dir / "hello.ipynb").write_text(json.dumps(NOTEBOOK))
    (jp_root_dir / "broken.ipynb").write_text("{not a notebook")
    publish = {"path": "hello.ipynb", "name": "hello", "share": "hub"}
    cases = {
        "the body is not JSON": b"{not json",
        "JSON object": [publish],
        "strings": {**publish, "name": 42},
        "only notebooks": {**publish, "path": "hello.py"},
        "give the app a name": {**publish, "name": ""},
        "nowhere.ipynb": {**publish, "path": "nowhere.ipynb"},
        "not inside": {**publish, "path": "../../etc/passwd.ipynb"},
        "broken.ipynb": {**publish, "path": "broken.ipynb"},
    }
    for named, body in cases.items():
        response = echoes("POST", "apps/publish", body, **{"Content-Type": "application/json"})
        assert named in refused(response, 400), named


def test_an_unknown_service_is_a_502_json_naming_it(echoes, jp_root_dir):
    (jp_root_dir / "hello.ipynb").write_text(json.dumps(NOTEBOOK))
    body = {"path": "hello.ipynb", "name": "hello"}
    response = echoes("POST", "apps/publish", body, **{"Content-Type": "application/json"})
    assert "apps service" in refused(response, 502)


def test_pages_name_no_service_page_without_the_hubs_host(echoes):
    # With a hub (JUPYTERHUB_HOST), the twins service's own host beside it: the browser
    # test opens a twin through it (tests/e2e/test_twins_browser.py).
    reply = echoes("GET", "pages")
    assert reply.code == 200 and json.loads(reply.body) == {"twins": ""}
