"""Where the hub's services are, seen from a user server, and one request to them made
with the server's own hub token (JUPYTERHUB_API_TOKEN): the browser never holds a token.

- annotations: ECHOES_ANNOTATIONS_URL, else the service's address from the hub API
  (server tokens may read the `annotations` service's model).
- apps: ECHOES_APPS_URL. The hub sets both to each service's own (loopback, or, for
  containers, gateway) address: the services' public hosts are for browsers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

#: Request headers passed on to a service, and reply headers passed back.
FORWARDED_REQUEST = ("Content-Type", "If-Match", "Prefer", "Accept")
FORWARDED_REPLY = ("Content-Type", "ETag", "Location", "Link", "Allow")
TIMEOUT = 120.0


class ServiceUnavailable(Exception):
    """A service cannot be found or reached; the handlers answer 502 with this message."""


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Services:
    """The services of the hub this server belongs to."""

    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    _annotations: str | None = None
    _apps: str | None = None

    @property
    def token(self) -> str:
        token = self.env.get("JUPYTERHUB_API_TOKEN", "")
        if not token:
            raise ServiceUnavailable("this server has no hub token (not started by a hub)")
        return token

    @property
    def user(self) -> str:
        return self.env.get("JUPYTERHUB_USER", "")

    async def fetch(
        self, method: str, url: str, body: bytes | None = None, headers: dict | None = None
    ) -> Reply:
        """One request with the server's token; any HTTP status is a Reply, not an error."""
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""  # tornado wants a body with these methods
        request = HTTPRequest(
            url,
            method=method,
            body=body,
            headers={**(headers or {}), "Authorization": f"token {self.token}"},
            request_timeout=TIMEOUT,
            follow_redirects=False,
            allow_nonstandard_methods=True,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except (OSError, HTTPClientError) as error:
            raise ServiceUnavailable(f"cannot reach {url}: {error}") from None
        if response.code == 599:
            raise ServiceUnavailable(f"cannot reach {url}: {response.error}")
        kept = {k: response.headers[k] for k in FORWARDED_REPLY if k in response.headers}
        return Reply(response.code, response.body or b"", kept)

    async def annotations_url(self) -> str:
        if self._annotations is None:
            explicit = self.env.get("ECHOES_ANNOTATIONS_URL")
            self._annotations = explicit or await self._from_hub("annotations")
        return self._annotations.rstrip("/") + "/"

    async def _from_hub(self, name: str) -> str:
        api = self.env.get("JUPYTERHUB_API_URL", "")
        if not api:
            raise ServiceUnavailable(f"cannot find the {name} service: no JUPYTERHUB_API_URL")
        reply = await self.fetch("GET", f"{api.rstrip('/')}/services/{name}")
        if reply.status != 200:
            raise ServiceUnavailable(f"the hub does not tell where the {name} service is")
        model = json.loads(reply.body)
        return model["url"].rstrip("/") + model["prefix"]

    async def apps_url(self) -> str:
        if self._apps is None:
            self._apps = self.env.get("ECHOES_APPS_URL", "")
            if not self._apps:
                raise ServiceUnavailable("the hub does not tell where the apps service is")
        return self._apps.rstrip("/") + "/"
