"""echoes.hub: how every program on the user side finds the hub and its services, and
asks who it is, over real HTTP to a small stand-in for the hub's API."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from echoes import publish
from echoes.annotations import AnnotationClient
from echoes.hub import Hub, Identity, ServiceUnavailable, message_of, send

TOKEN = "secret-server-token"
#: What a user server started by the ECHOES hub is told (hub/config.py and JupyterHub).
SERVER_ENV = {
    "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api/",
    "JUPYTERHUB_API_TOKEN": TOKEN,
    "JUPYTERHUB_USER": "ada",
    "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/",
    "JUPYTERHUB_PUBLIC_URL": "http://ada.localhost:8000/user/ada/",
    "JUPYTERHUB_HOST": "http://localhost:8000",
    "ECHOES_ANNOTATIONS_URL": "http://127.0.0.1:9001/services/annotations/",
    "ECHOES_APPS_URL": "http://127.0.0.1:9002/services/apps",
}


class StandIn(BaseHTTPRequestHandler):
    """Answers as the hub's API does: GET /hub/api/user tells a token its owner; the
    annotation service's root says who asks. Every request is recorded."""

    seen: list[tuple[str, str | None]]

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != f"token {TOKEN}":
            self.answer(403, {"status": 403, "message": "Action is not authorized"})
        elif self.path == "/hub/api/user":
            self.answer(200, {"name": "ada", "groups": ["potters", "curators"], "admin": False})
        elif self.path == "/services/annotations/":
            self.answer(200, {"user": "ada"})
        else:
            self.answer(404, {"error": "not found", "message": f"no {self.path}", "field": None})

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[tuple[str, list]]:
    """The stand-in's address and what it was asked; stopped when the test ends."""
    seen: list[tuple[str, str | None]] = []
    handler = type("Recording", (StandIn,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_user_server_learns_the_hub_and_every_service_from_its_environment():
    hub = Hub.from_environ(SERVER_ENV)
    assert hub.api_url == "http://127.0.0.1:8081/hub/api"
    assert (hub.token, hub.user) == (TOKEN, "ada")
    assert hub.service_url("annotations") == "http://127.0.0.1:9001/services/annotations/"
    assert hub.service_url("apps") == "http://127.0.0.1:9002/services/apps/"
    # A service the hub adds later is found the same way, with no code for it here.
    later = Hub.from_environ({**SERVER_ENV, "ECHOES_WORKSHOPS_URL": "http://127.0.0.1:9/w/"})
    assert later.service_url("workshops") == "http://127.0.0.1:9/w/"


def test_links_for_browsers_go_to_each_services_own_host_beside_the_hubs():
    """JupyterLab links to the apps gallery; a kernel reaches the service at ECHOES_APPS_URL."""
    assert Hub.from_environ(SERVER_ENV).page_url("apps") == (
        "http://apps--service.localhost:8000/services/apps/"
    )
    assert Hub.at("http://hub.example/", "t").page_url("apps") == (
        "http://apps--service.hub.example/services/apps/"
    )
    assert Hub.from_environ({}).page_url("apps") == ""


def test_a_missing_service_names_the_variable_the_hub_should_have_set():
    hub = Hub.from_environ({"JUPYTERHUB_API_TOKEN": TOKEN, "ECHOES_APPS_URL": ""})
    with pytest.raises(ServiceUnavailable) as annotations:
        hub.service_url("annotations")
    assert str(annotations.value) == (
        "no annotation service: ECHOES_ANNOTATIONS_URL is not set; "
        "is this server started by the ECHOES hub?"
    )
    with pytest.raises(ServiceUnavailable, match="no apps service: ECHOES_APPS_URL is not set"):
        hub.service_url("apps")


def test_outside_the_servers_the_services_are_on_their_own_hosts_beside_the_hub():
    hub = Hub.at("http://localhost:8000/", "t")
    assert hub.api_url == "http://localhost:8000/hub/api"
    assert hub.service_url("apps") == "http://apps--service.localhost:8000/services/apps/"


def test_the_hub_tells_a_token_its_owner_and_groups_blocking_and_async(stand_in):
    address, seen = stand_in
    hub = Hub.from_environ({**SERVER_ENV, "JUPYTERHUB_API_URL": f"{address}/hub/api"})
    with hub.client() as http:
        assert hub.identity(http) == Identity("ada", ["curators", "potters"])

    async def ask() -> Identity:
        async with hub.async_client() as http:
            return await hub.identity_async(http)

    assert asyncio.run(ask()) == Identity("ada", ["curators", "potters"])
    assert seen == [("/hub/api/user", f"token {TOKEN}")] * 2


def test_a_refusal_of_the_hub_is_an_error_that_says_why_not_an_empty_list_of_groups(stand_in):
    address, _ = stand_in
    hub = Hub.at(address, "someone-elses-token")
    with hub.client() as http, pytest.raises(ServiceUnavailable) as refused:
        hub.identity(http)
    assert "403 Action is not authorized" in str(refused.value)


def test_without_a_token_nothing_is_sent_and_the_error_names_the_variable(stand_in):
    address, seen = stand_in
    hub = Hub.from_environ({"JUPYTERHUB_API_URL": f"{address}/hub/api"})
    with hub.client() as http, pytest.raises(ServiceUnavailable) as missing:
        hub.identity(http)
    assert "no hub token: JUPYTERHUB_API_TOKEN is not set" in str(missing.value)
    assert seen == []


def test_an_unreachable_address_is_named_in_the_error():
    url = f"http://127.0.0.1:{closed_port()}/hub/api"
    hub = Hub(api_url=url, token=TOKEN)
    with hub.client(timeout=10) as http, pytest.raises(ServiceUnavailable) as unreachable:
        hub.identity(http)
    assert str(unreachable.value).startswith(f"cannot reach {url}/user: ")


def test_a_refusal_is_read_by_its_message_in_either_error_shape(stand_in):
    address, _ = stand_in
    hub = Hub(token=TOKEN)
    with hub.client() as http:
        assert message_of(send(http, "GET", f"{address}/elsewhere")) == "no /elsewhere"
    with Hub(token="wrong").client() as http:
        assert message_of(send(http, "GET", address)) == "Action is not authorized"


def test_the_notebook_client_finds_its_service_and_token_through_the_hub_module(
    stand_in, monkeypatch
):
    address, seen = stand_in
    for name, value in SERVER_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ECHOES_ANNOTATIONS_URL", f"{address}/services/annotations")
    client = AnnotationClient()
    assert client.url == f"{address}/services/annotations/"
    assert client.whoami() == "ada"
    assert seen == [("/services/annotations/", f"token {TOKEN}")]


def test_publish_without_the_hub_says_what_is_missing_instead_of_a_traceback(monkeypatch):
    """Given the apps service and a token but no user, the CLI asked the hub at a URL
    with no host (a ValueError traceback); now it asks the hub it knows, or says which."""
    for name in [*SERVER_ENV, "ECHOES_HUB_URL", "ECHOES_TOKEN"]:
        monkeypatch.delenv(name, raising=False)
    apps = f"http://127.0.0.1:{closed_port()}/services/apps/"
    with pytest.raises(SystemExit) as done:
        publish.main(["--unpublish", "--name", "x", "--apps", apps, "--token", TOKEN])
    assert str(done.value) == (
        "echoes publish: no hub: JUPYTERHUB_API_URL is not set; "
        "is this server started by the ECHOES hub?"
    )


def test_publish_in_a_user_server_takes_the_servers_token_user_and_apps_service(monkeypatch):
    for name, value in SERVER_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ECHOES_HUB_URL", raising=False)
    monkeypatch.delenv("ECHOES_TOKEN", raising=False)
    args = publish.parse_args(["--unpublish", "--name", "x"])
    assert (args.token, args.user, args.apps) == (TOKEN, "ada", SERVER_ENV["ECHOES_APPS_URL"])
    # JUPYTERHUB_PUBLIC_URL is this server's own address, not the hub's.
    assert args.hub == ""
