"""Where published apps run: one origin per author, apart from the hub, services and users.

Why: an app runs its author's JavaScript (a notebook's outputs, its widgets) in every
viewer's browser. Run on the hub's origin, or on the apps service's, it acts as its viewer:
reads their annotations, changes their apps' shares, makes API tokens. So:

- **Host**: every app of author A is served at ``<A>--app.<domain>`` (JupyterHub's
  subdomain hook with the kind "app": the same rule that puts user servers on
  ``<user>.<domain>`` and services on ``<service>--service.<domain>``; names that need
  escaping get a hash, so no user, service or other author can have this host). Under
  ``localhost`` each such host is a site of its own for the browser (``localhost`` is a
  public suffix there), so it can set no cookie for the hub or the services either.
- **Credential**: that host holds exactly one cookie, ``echoes-app-viewer``: host-only,
  HttpOnly, SameSite=Lax, path ``/services/apps/<A>/``, signed by this service, naming the
  viewer and A. It opens A's apps that the viewer may see (checked on every request and
  websocket, as before) and nothing else: the gallery, the API and hub OAuth live on the
  service's own host (``apps--service.<domain>``), the hub's and the annotation service's
  cookies on theirs. One host per author, not per app: an author's apps may read each
  other, which shows the viewer nothing that author could not show anyway.
- **Getting it**: a viewer without it who may not open the app anonymously is sent to
  ``/services/apps/enter/<A>/<name>`` on the service's host; hub OAuth there (as for the
  gallery), the access check, then back to the app with a ticket: signed, for this viewer
  and author, valid once and for a minute. The app's host exchanges it for the cookie and
  redirects to the address without it (so it stays in no history, page or referrer).
- **Routes**: the hub's proxy sends ``<A>--app.<domain>/`` to this service. JupyterHub knows
  only users and services, so the service adds a route per author itself, through the
  proxy's REST API (its address and token come in its environment, which it clears), on
  start, on publishing and at every cull; JupyterHub leaves routes it did not make alone.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from urllib.parse import urlsplit

from jupyterhub.utils import subdomain_hook_idna, url_path_join
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.web import create_signed_value, decode_signed_value

log = logging.getLogger("echoes.apps")

VIEWER_COOKIE = "echoes-app-viewer"
TICKET_ARGUMENT = "echoes-ticket"
TICKET_SECONDS = 60
#: How long a viewer's cookie on an author's host lasts (access is checked on every request).
VIEWER_COOKIE_DAYS = 1


class Origins:
    """The public addresses of the apps service and of each author's apps."""

    def __init__(self, hub_host: str, prefix: str, secret: bytes) -> None:
        """`hub_host`: the hub's public origin (JupyterHub's subdomain_host, passed to
        services as JUPYTERHUB_HOST), e.g. http://localhost:8000."""
        parts = urlsplit(hub_host)
        self.scheme = parts.scheme or "http"
        self.domain = parts.hostname or "localhost"
        self.port = f":{parts.port}" if parts.port else ""
        self.prefix = prefix
        self.secret = secret
        self._redeemed: dict[str, float] = {}

    def app_host(self, author: str) -> str:
        return subdomain_hook_idna(author, self.domain, "app")

    def service_host(self) -> str:
        return subdomain_hook_idna("apps", self.domain, "service")

    def app_origin(self, author: str) -> str:
        """The origin of `author`'s apps: the only one whose pages may open their
        websockets or POST to them (browsers send it as `Origin`)."""
        return f"{self.scheme}://{self.app_host(author)}{self.port}"

    def app_url(self, author: str, name: str) -> str:
        return self.app_origin(author) + url_path_join(self.prefix, author, name) + "/"

    def service_url(self, path: str) -> str:
        return f"{self.scheme}://{self.service_host()}{self.port}{url_path_join(self.prefix, path)}"

    def hub_url(self, path: str) -> str:
        """An address on the hub's own host (`hub/user-redirect/...`)."""
        return f"{self.scheme}://{self.domain}{self.port}/{path.lstrip('/')}"

    def enter_url(self, author: str, name: str) -> str:
        return self.service_url(f"enter/{author}/{name}")

    def cookie_path(self, author: str) -> str:
        return url_path_join(self.prefix, author) + "/"

    # tickets and the viewer's cookie ------------------------------------------------

    def ticket(self, viewer: str, author: str) -> str:
        value = json.dumps({"viewer": viewer, "author": author, "nonce": secrets.token_hex(16)})
        return create_signed_value(self.secret, TICKET_ARGUMENT, value).decode()

    def redeem(self, ticket: str, author: str) -> str | None:
        """The viewer a ticket names, if it is genuine, fresh, for `author` and unused."""
        raw = decode_signed_value(
            self.secret, TICKET_ARGUMENT, ticket, max_age_days=TICKET_SECONDS / 86400
        )
        if raw is None:
            return None
        try:
            claims = json.loads(raw)
        except ValueError:
            return None
        now = time.monotonic()
        self._redeemed = {k: t for k, t in self._redeemed.items() if now - t < TICKET_SECONDS}
        if claims.get("author") != author or claims.get("nonce") in self._redeemed:
            return None
        self._redeemed[claims["nonce"]] = now
        return claims.get("viewer") or None

    @staticmethod
    def viewer_cookie(viewer: str, author: str) -> str:
        return json.dumps({"viewer": viewer, "author": author})

    @staticmethod
    def viewer_from_cookie(value: bytes | None, author: str) -> str | None:
        if value is None:
            return None
        try:
            claims = json.loads(value)
        except ValueError:
            return None
        return claims.get("viewer") if claims.get("author") == author else None


class ProxyRoutes:
    """The proxy's routes from each author's host to this service."""

    def __init__(self, api_url: str, token: str, target: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.target = target
        self.known: set[str] = set()

    async def _call(self, method: str, path: str, body: dict | None = None) -> bytes:
        request = HTTPRequest(
            f"{self.api_url}/api/routes{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
            body=json.dumps(body) if body is not None else None,
            request_timeout=30,
        )
        return (await AsyncHTTPClient().fetch(request)).body

    async def ensure(self, hosts: set[str]) -> None:
        """Add the routes of `hosts` that the proxy lacks (it may have been restarted)."""
        if not self.api_url or not hosts:
            return
        try:
            routes = json.loads(await self._call("GET", ""))
            for host in sorted(hosts):
                route = routes.get(f"/{host}")
                if route is None or route.get("target") != self.target:
                    await self._call(
                        "POST", f"/{host}", {"target": self.target, "echoes_apps": True}
                    )
                    log.info("proxy route %s -> %s", host, self.target)
            self.known |= hosts
        except (HTTPClientError, OSError, ValueError) as e:
            log.error("cannot set the proxy's routes to the apps' hosts: %s", e)
