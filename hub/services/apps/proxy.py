"""Reverse proxy from an app's public address to its Voila, checking access on every
request and websocket, and letting through only what a dashboard needs.

Voila's kernel websocket would let anyone send `execute_request` and run code as the
apps' account; only the messages widgets use pass (comms, kernel info). Only Voila's
page, static assets and the kernel's channels are reachable: no Jupyter server API.
"""

from __future__ import annotations

import json
import re
import struct

#: Paths under an app's address (after /services/apps/<author>/<name>/) that reach Voila.
_KERNEL = r"[0-9a-f-]{36}"
HTTP_PATHS = re.compile(
    r"^(|voila/static/.*|voila/templates/.*|voila/labextensions/.*|voila/api/themes/.*"
    rf"|voila/files/.*|api/kernels/{_KERNEL})$"
)
POST_PATHS = re.compile(rf"^voila/api/shutdown/{_KERNEL}$")
WEBSOCKET_PATHS = re.compile(rf"^(api/kernels/{_KERNEL}/channels|voila/query/{_KERNEL})$")
KERNEL_CHANNELS = re.compile(rf"^api/kernels/{_KERNEL}/channels$")

#: Messages a viewer's browser may send to the app's kernel: widgets' comms and status.
ALLOWED_MESSAGES = frozenset(
    {"comm_open", "comm_msg", "comm_close", "comm_info_request", "kernel_info_request"}
)

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


def message_type(message: str | bytes) -> str:
    """The msg_type of a kernel message in Jupyter's legacy websocket framing: JSON text,
    or binary with a table of offsets whose first part is the JSON message."""
    try:
        if isinstance(message, str):
            return json.loads(message).get("header", {}).get("msg_type", "")
        count = struct.unpack_from("!I", message, 0)[0]
        offsets = struct.unpack_from(f"!{count}I", message, 4)
        end = offsets[1] if count > 1 else len(message)
        return json.loads(message[offsets[0] : end]).get("header", {}).get("msg_type", "")
    except (ValueError, struct.error, AttributeError, IndexError):
        return ""


def message_allowed(message: str | bytes) -> bool:
    return message_type(message) in ALLOWED_MESSAGES
