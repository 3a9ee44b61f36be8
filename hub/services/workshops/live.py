"""The trainer's live page: each attendee's server as the hub and the server itself see
it, read with the token the hub gave the service for that attendee only (access.py).

- state and last activity: the hub's REST API (``/users/<account>``): ``ready``,
  ``pending`` (starting or stopping) or ``stopped``;
- notebooks open: the server's sessions API (``api/sessions``);
- memory: the server's own measure of its process tree (echoes.server's ``usage``), since
  in container mode the service cannot see the server's processes;
- help: a JupyterHub 5 share of the server with the trainer, made as the attendee;
- collect: a file from the server's contents API.

Servers on ``*.localhost`` hosts (the embedded default) are reached through the hub's
public address with the server's host in the Host header: the service's resolver may not
know those names (README, "Origins").
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any
from urllib.parse import quote, urlsplit

from jupyterhub.utils import url_path_join
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

#: Seconds the page waits for one server: a busy server shows "no answer", not a hang.
TIMEOUT = 10


class Servers:
    """The attendees' servers, through the hub at `hub_api` and the proxy at `hub_url`."""

    def __init__(self, hub_api: str, hub_url: str) -> None:
        self.hub_api = hub_api
        self.hub_url = hub_url

    @classmethod
    def from_environ(cls, hub_url: str) -> Servers:
        return cls(os.environ.get("JUPYTERHUB_API_URL", ""), hub_url)

    def request(self, url: str, token: str, method: str = "GET", **kwargs: Any) -> HTTPRequest:
        headers = {"Authorization": f"token {token}", **kwargs.pop("headers", {})}
        parts = urlsplit(url)
        if (parts.hostname or "").endswith(".localhost") and self.hub_url:
            proxy = urlsplit(self.hub_url)
            headers["Host"] = parts.netloc
            url = parts._replace(netloc=proxy.netloc).geturl()
        return HTTPRequest(
            url, method, headers=headers, request_timeout=TIMEOUT, connect_timeout=TIMEOUT, **kwargs
        )

    async def fetch(self, url: str, token: str, method: str = "GET", **kwargs: Any) -> Any:
        """The JSON reply, or raises `HTTPClientError` / `OSError`."""
        reply = await AsyncHTTPClient().fetch(self.request(url, token, method, **kwargs))
        return json.loads(reply.body) if reply.body else None

    async def user(self, account: str, token: str) -> dict[str, Any]:
        return await self.fetch(url_path_join(self.hub_api, "users", quote(account)), token)

    def server_url(self, user: dict[str, Any]) -> str | None:
        """The attendee's default server's address, if it runs."""
        server = (user.get("servers") or {}).get("")
        if not server or not server.get("ready"):
            return None
        url = server["url"]
        return url if "://" in url else url_path_join(self.hub_url, url)

    async def status(self, account: str, token: str | None) -> dict[str, Any]:
        """State, last activity, memory and notebooks open of the attendee's server."""
        found: dict[str, Any] = {
            "state": "unknown",
            "last_activity": None,
            "memory": None,
            "notebooks": [],
        }
        if not token:
            found["problem"] = "no access to this server (joined before the live page existed)"
            return found
        try:
            user = await self.user(account, token)
        except (HTTPClientError, OSError) as error:
            found["problem"] = f"the hub did not answer: {error}"
            return found
        server = (user.get("servers") or {}).get("")
        found["last_activity"] = (server or {}).get("last_activity") or user.get("last_activity")
        if not server:
            found["state"] = "stopped"
            return found
        found["state"] = "ready" if server.get("ready") else "pending"
        url = self.server_url(user)
        if url is None:
            return found
        sessions, usage = await asyncio.gather(
            self.fetch(url_path_join(url, "api/sessions"), token),
            self.fetch(url_path_join(url, "echoes/usage"), token),
            return_exceptions=True,
        )
        if isinstance(sessions, list):
            found["notebooks"] = sorted(
                {s.get("path", "") for s in sessions if s.get("type", "notebook") == "notebook"}
            )
        if isinstance(usage, dict):
            found["memory"] = usage.get("rss")
        failed = [r for r in (sessions, usage) if isinstance(r, BaseException)]
        if failed:
            found["problem"] = f"the server did not answer: {failed[0]}"
        return found

    async def share(self, account: str, token: str, trainer: str) -> dict[str, Any]:
        """Share the attendee's server with `trainer`, as the attendee (JupyterHub 5)."""
        # The default server: its name, "", after the slash.
        url = url_path_join(self.hub_api, "shares", quote(account)) + "/"
        return await self.fetch(url, token, "POST", body=json.dumps({"user": trainer}))

    async def file(self, url: str, token: str, path: str) -> dict[str, Any]:
        """A file of the server's contents API, with its content."""
        contents = url_path_join(url, "api/contents", quote(path))
        return await self.fetch(contents + "?content=1", token)
