"""Names under `.localhost` are loopback (RFC 6761, section 6.3), as every current browser
resolves them, whatever the system's resolver says: glibc without nss-myhostname, as on
these machines, does not know them. The hub gives every user, service and app author an
origin of its own under `<domain>` (`localhost` by default), so programs that talk to it
as a browser does (the `echoes` command, the tests) call `resolve_localhost_names()` once."""

from __future__ import annotations

import socket

_system_getaddrinfo = socket.getaddrinfo


def is_localhost_name(host: object) -> bool:
    return isinstance(host, str) and host.lower().rstrip(".").endswith(".localhost")


def _getaddrinfo(host, *args, **kwargs):
    return _system_getaddrinfo("127.0.0.1" if is_localhost_name(host) else host, *args, **kwargs)


def resolve_localhost_names() -> None:
    """From now on, this process resolves `*.localhost` to 127.0.0.1 (idempotent). Only the
    address changes: the Host header, TLS names and cookies still use the real name."""
    socket.getaddrinfo = _getaddrinfo
