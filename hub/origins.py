"""The hub answers on its own host only (`EchoesHub.domain`), never on the hosts beneath it.

The proxy sends every host it has no route for to the hub (JupyterHub's `hub_routespec`
"/"), so without this the hub's login page would also answer at, say,
`http://alice.localhost:8000/hub/login`. Someone who logged in there (following a link
from alice) would get hub cookies on alice's host, where alice's pages run: they could make
API tokens in that person's name. So on any `*.<domain>` host, requests for the hub's pages
and API are sent to the hub's own host (GET, HEAD) or refused. Everything else keeps
working: JupyterHub sends `/user/<name>/` on a user's host to the hub's host itself, and
servers and services reach the hub API on its loopback address, not through the proxy.

The other way round, `http://<domain>/services/<name>/...` (the address of a service before
each had its own host) is sent to `<name>--service.<domain>` (GET, HEAD), for old links and
bookmarks, or refused: nothing is changed through the old address.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from jupyterhub.utils import subdomain_hook_idna
from tornado import web
from tornado.httputil import HTTPServerRequest
from tornado.routing import HostMatches, Matcher, Rule


class _OtherHost(Matcher):
    """Requests for `prefix` on any host beneath `domain` (not `domain` itself)."""

    def __init__(self, domain: str, prefix: str) -> None:
        self.host = re.compile(rf".+\.{re.escape(domain)}$", re.IGNORECASE)
        self.prefix = prefix

    def match(self, request: HTTPServerRequest) -> dict | None:
        if self.host.match(request.host_name) and request.path.startswith(self.prefix):
            return {}
        return None


class _Moved(web.RequestHandler):
    """GET and HEAD are sent to the same address on `origin()`; anything else is refused
    with JSON, since nothing is changed here."""

    #: Who answers there, for the refusal's message.
    who: str

    def origin(self) -> str:
        raise NotImplementedError

    def get(self, *args: str) -> None:
        self.redirect(self.origin() + self.request.uri)

    head = get

    def prepare(self) -> None:
        if self.request.method not in ("GET", "HEAD"):
            self.set_status(403)
            self.set_header("Content-Type", "application/json")
            message = f"{self.who} answers at {self.origin()}/ only"
            self.finish(json.dumps({"status": 403, "message": message}))

    def check_xsrf_cookie(self) -> None:
        """Nothing is changed here: other methods are refused in prepare."""


class _ToTheHubsHost(_Moved):
    who = "the hub"

    def initialize(self, hub_url: str) -> None:
        self.hub_url = hub_url.rstrip("/")

    def origin(self) -> str:
        return self.hub_url


class _ToTheServicesHost(_Moved):
    who = "the service"

    def initialize(self, hub_url: str, domain: str) -> None:
        self.hub_url, self.domain = urlsplit(hub_url), domain

    def origin(self) -> str:
        host = subdomain_hook_idna(self.path_args[0], self.domain, "service")
        port = f":{self.hub_url.port}" if self.hub_url.port else ""
        return f"{self.hub_url.scheme}://{host}{port}"


def keep_hub_on_its_host(app: web.Application, hub_url: str, domain: str, prefix: str) -> None:
    """Put the rules in front of all of JupyterHub's handlers in `app`."""
    rules = [
        Rule(_OtherHost(domain, prefix), _ToTheHubsHost, {"hub_url": hub_url}),
        Rule(
            HostMatches(re.escape(domain)),
            [(r"/services/([^/]+)/.*", _ToTheServicesHost, {"hub_url": hub_url, "domain": domain})],
        ),
    ]
    for rule in reversed(rules):
        app.default_router.rules.insert(0, app.default_router.process_rule(rule))
