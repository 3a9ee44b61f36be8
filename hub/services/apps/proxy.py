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


#: The kernel websocket framing that JupyterLab's and Voila's JS ask for (jupyter-server).
V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"


def message_type(message: str | bytes, protocol: str | None = None) -> str:
    """The msg_type of a kernel message, read as the app's Voila reads it: in the v1
    framing (a table of 8-byte little-endian offsets: channel, header, ...) when that
    subprotocol was agreed, else in the legacy one (JSON text, or binary with a table of
    4-byte big-endian offsets whose first part is the JSON message)."""
    try:
        if protocol == V1_PROTOCOL:
            count = int.from_bytes(message[:8], "little")
            offsets = [int.from_bytes(message[8 * i : 8 * (i + 1)], "little") for i in (1, 2, 3)]
            if count < 4 or isinstance(message, str):
                return ""
            return json.loads(message[offsets[1] : offsets[2]]).get("msg_type", "")
        if isinstance(message, str):
            return json.loads(message).get("header", {}).get("msg_type", "")
        count = struct.unpack_from("!I", message, 0)[0]
        offsets = struct.unpack_from(f"!{count}I", message, 4)
        end = offsets[1] if count > 1 else len(message)
        return json.loads(message[offsets[0] : end]).get("header", {}).get("msg_type", "")
    except (ValueError, struct.error, AttributeError, IndexError, TypeError):
        return ""


def message_allowed(message: str | bytes, protocol: str | None = None) -> bool:
    return message_type(message, protocol) in ALLOWED_MESSAGES
