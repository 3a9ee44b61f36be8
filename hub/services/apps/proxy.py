"""Reverse proxy from an app's public address to its Voila, checking access on every
request and websocket, and letting through only what a dashboard needs.

Only Voila's page, static assets and the kernel's channels are reachable: no Jupyter
server API. What a viewer's browser may send on the kernel's channels is Voila's own
rule, which Voila enforces itself (its kernel manager's ``allowed_message_types``: comms,
kernel info and shutdown, never ``execute_request``), so it is not written again here.
"""

from __future__ import annotations

import re

#: Paths under an app's address (after /services/apps/<author>/<name>/) that reach Voila.
_KERNEL = r"[0-9a-f-]{36}"
HTTP_PATHS = re.compile(
    r"^(|voila/static/.*|voila/templates/.*|voila/labextensions/.*|voila/api/themes/.*"
    rf"|voila/files/.*|api/kernels/{_KERNEL})$"
)
POST_PATHS = re.compile(rf"^voila/api/shutdown/{_KERNEL}$")
WEBSOCKET_PATHS = re.compile(rf"^(api/kernels/{_KERNEL}/channels|voila/query/{_KERNEL})$")

#: Request headers never forwarded: the hub's cookies and tokens stay out of the app.
DROPPED_REQUEST_HEADERS = frozenset(
    {
        "host",
        "cookie",
        "authorization",
        "origin",
        "connection",
        "upgrade",
        "content-length",
        "transfer-encoding",
        "accept-encoding",
        "x-xsrftoken",
    }
)
DROPPED_RESPONSE_HEADERS = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "connection",
        "content-encoding",
        "set-cookie",
        "server",
    }
)


def http_allowed(method: str, path: str) -> bool:
    if method in ("GET", "HEAD"):
        return bool(HTTP_PATHS.match(path))
    return method == "POST" and bool(POST_PATHS.match(path))
