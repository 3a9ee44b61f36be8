"""A service's tornado application served in this process, for in-process handler tests.

`InProcess` runs the application on a loopback port in a thread with its own event loop,
so tests speak real HTTP to it with `requests`. Who is calling is the only stand-in: the
service base's seam (hub/services/base/auth.py, `CALLER`) answers with the hub user a
request names in the `USER_HEADER` header (`session(name)` sets it; `session(name,
admin=True)` an administrator); no header, no user.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import requests
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

from echoes_hub.services.base.auth import CALLER

USER_HEADER = "X-Test-User"
ADMIN_HEADER = "X-Test-Admin"


async def caller(handler: web.RequestHandler) -> dict[str, Any] | None:
    """The user model the hub would give for the user the request names (no groups)."""
    name = handler.request.headers.get(USER_HEADER)
    admin = handler.request.headers.get(ADMIN_HEADER) == "yes"
    return {"kind": "user", "name": name, "admin": admin, "groups": []} if name else None


class InProcess:
    """The application ``await make_web_app(port)`` makes (in the server's loop), served
    at ``port``; ``stop()`` stops the server, awaits ``close()`` and ends the thread."""

    def __init__(
        self,
        make_web_app: Callable[[int], Awaitable[web.Application]],
        max_body_size: int = 10 * 1024 * 1024,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        sock, self.port = bind_unused_port()
        self.loop = asyncio.new_event_loop()
        self._close = close

        async def listen() -> HTTPServer:
            app = await make_web_app(self.port)
            app.settings[CALLER] = caller
            server = HTTPServer(app, max_body_size=max_body_size)
            server.add_sockets([sock])
            return server

        self.server = self.loop.run_until_complete(listen())
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def session(name: str, admin: bool = False) -> requests.Session:
        """A client the service takes for hub user ``name`` (an administrator, with
        ``admin``)."""
        session = requests.Session()
        session.headers[USER_HEADER] = name
        if admin:
            session.headers[ADMIN_HEADER] = "yes"
        session.name = name  # type: ignore[attr-defined]
        return session

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        if self._close is not None:
            self.loop.run_until_complete(self._close())
        self.loop.close()
