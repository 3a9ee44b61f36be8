"""The hub's REST API with the workshops service's own token (JUPYTERHUB_API_URL and
JUPYTERHUB_API_TOKEN): what the warm pool (pool.py) and the end of events (expiry.py) do
through it, within the service's roles (__init__.py). The trainer's page acts with the
attendees' tokens instead (live.py)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

#: Users asked for at a time when listing servers.
PAGE = 200


class HubAPI:
    def __init__(self, url: str = "", token: str = "") -> None:
        self.url = (url or os.environ["JUPYTERHUB_API_URL"]).rstrip("/")
        self.token = token or os.environ["JUPYTERHUB_API_TOKEN"]

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """The hub's answer (status, JSON); raises when the hub fails (5xx), refuses the
        service's token (401, 403) or does not answer: callers handle the other codes."""
        request = HTTPRequest(
            self.url + path,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
            body=None if body is None and method == "GET" else json.dumps(body or {}),
            allow_nonstandard_methods=True,
            request_timeout=120,
        )
        reply = await AsyncHTTPClient().fetch(request, raise_error=False)
        if reply.code >= 500 or reply.code in (401, 403, 599):
            raise RuntimeError(f"hub API {method} {path}: {reply.code} {reply.body!r}")
        return reply.code, json.loads(reply.body) if reply.body else None

    async def servers(self, prefix: str) -> dict[str, dict]:
        """The default servers of the hub's active users named `prefix`...: name -> model."""
        found: dict[str, dict] = {}
        offset = 0
        while True:
            query = urlencode(
                {"state": "active", "name_filter": prefix, "limit": PAGE, "offset": offset}
            )
            code, users = await self.call("GET", f"/users?{query}")
            if code != 200:
                raise RuntimeError(f"the hub's user list answered {code}: {users}")
            for user in users:
                if user["name"].startswith(prefix) and "" in user.get("servers", {}):
                    found[user["name"]] = user["servers"][""]
            if len(users) < PAGE:
                return found
            offset += len(users)

    async def stop_servers(self, name: str, timeout: float = 300) -> None:
        """Stop every server of `name` (the default one and named ones) and wait until
        they have stopped (nothing if none runs or the account is gone)."""
        user = f"/users/{quote(name)}"
        code, model = await self.call("GET", user)
        if code == 404:
            return
        for server in model.get("servers") or {}:
            path = f"{user}/server" if server == "" else f"{user}/servers/{quote(server)}"
            await self.call("DELETE", path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code, model = await self.call("GET", user)
            if code == 404 or not model.get("servers"):
                return
            await asyncio.sleep(1)
        raise RuntimeError(f"{name}'s servers did not stop within {timeout} s")

    async def leave_group(self, name: str, group: str) -> None:
        await self.call("DELETE", f"/groups/{quote(group)}/users", {"users": [name]})

    async def delete_user(self, name: str) -> None:
        await self.call("DELETE", f"/users/{quote(name)}")
