"""Asking a source, bounded: every answer has a time limit and a size limit, and is
checked before anything parses it (XML by defusedxml: no DTD, no entities; JSON as JSON).
An answer that breaks a limit, or no answer, is `SourceFailed`: it ends that source's
harvest with the reason, and the platform goes on.

A source names the addresses the harvest then asks (a IIIF collection its manifests, a
Change Discovery stream its records, any answer a redirect): a source outside this
machine's networks may not send the harvest inside them (loopback, private, link-local
addresses: the hub's own API, a cloud's metadata service). Each address is checked as it
is resolved, redirects included, which are followed here (at most `REDIRECTS`).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as checked_xml_tree


class SourceFailed(Exception):
    """The source answered in a way that ends its harvest (the message says how)."""


@dataclass(frozen=True)
class Limits:
    """How long an answer may take and how large it may be
    (`TwinsService.harvest_timeout`, `TwinsService.harvest_max_bytes`)."""

    timeout: float = 30.0
    max_bytes: int = 50 << 20
    #: Whether addresses inside this machine's networks may be asked (run.py: when the
    #: source itself is inside them).
    inside: bool = False


#: Redirects followed per request.
REDIRECTS = 5


def is_inside(url: str) -> bool:
    """Whether ``url``'s host resolves to an address inside this machine's networks
    (loopback, private, link-local, reserved); a host that does not resolve is not."""
    host = urlsplit(url).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return False
    return any(inside_address(info[4][0]) for info in found)


def inside_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return not ip.is_global


def check_address(url: str, limits: Limits) -> None:
    """SourceFailed when ``url`` leads inside this machine's networks and may not."""
    if not limits.inside and is_inside(url):
        raise SourceFailed(
            f"{url}: an address inside this machine's networks, refused (the source is "
            "outside them)"
        )


def get(url: str, limits: Limits, params: dict[str, str] | None = None) -> requests.Response:
    """GET ``url``, its body read whole within ``limits``; a 4xx or 5xx is returned as is
    (the protocol says what it means)."""
    return bounded("GET", url, limits, params=params)


def post(
    url: str, limits: Limits, data: bytes | str, headers: dict[str, str] | None = None
) -> requests.Response:
    """POST ``data`` to ``url`` (a SPARQL query, say), the answer read as `get` reads it."""
    body = data.encode("utf-8") if isinstance(data, str) else data
    return bounded("POST", url, limits, data=body, headers=headers)


def bounded(method: str, url: str, limits: Limits, **arguments: Any) -> requests.Response:
    """Ask ``url``, its body read whole within ``limits``, or SourceFailed."""
    started = time.monotonic()
    for _ in range(REDIRECTS + 1):
        check_address(url, limits)
        try:
            response = requests.request(
                method,
                url,
                timeout=limits.timeout,
                stream=True,
                allow_redirects=False,
                **arguments,
            )
        except requests.RequestException as error:
            raise SourceFailed(f"no answer: {error}") from error
        if not response.is_redirect:
            break
        response.close()
        url = urljoin(url, response.headers["Location"])  # its query included
        arguments.pop("params", None)
        if method == "POST" and response.status_code in (301, 302, 303):  # as browsers do
            method = "GET"
            arguments.pop("data", None)
    else:
        raise SourceFailed(f"{url}: more than {REDIRECTS} redirects")
    body = bytearray()
    try:
        for chunk in response.iter_content(1 << 16):
            body += chunk
            if len(body) > limits.max_bytes:
                raise SourceFailed(f"{url}: an answer larger than {limits.max_bytes} bytes")
            if time.monotonic() - started > limits.timeout:
                raise SourceFailed(f"{url}: an answer still coming after {limits.timeout:g} s")
    except requests.RequestException as error:
        raise SourceFailed(f"no answer: {error}") from error
    finally:
        response.close()  # an answer left half read is not kept open
    response._content = bytes(body)
    return response


def check_xml(body: bytes) -> None:
    """SourceFailed unless ``body`` is XML without a DTD or entities."""
    try:
        checked_xml_tree(body, forbid_dtd=True)
    except DefusedXmlException as error:
        raise SourceFailed(f"an answer with a DTD or entities, refused: {error}") from error
    except Exception as error:  # the parser's own error types vary
        raise SourceFailed(f"an answer that is not XML: {error}") from error


def get_json_text(url: str, limits: Limits, accept: str = "application/json") -> tuple[Any, str]:
    """The JSON document at ``url`` (JSON-LD included) and its text as the source sent it,
    or SourceFailed saying why not."""
    response = bounded("GET", url, limits, headers={"Accept": accept})
    if not response.ok:
        raise SourceFailed(f"{url}: HTTP {response.status_code}")
    try:
        text = response.content.decode("utf-8")
        return json.loads(text), text
    except ValueError as error:  # UnicodeDecodeError is one
        raise SourceFailed(f"{url}: an answer that is not JSON: {error}") from error
    except RecursionError as error:  # JSON nested deeper than the parser goes
        raise SourceFailed(f"{url}: an answer nested too deep to read") from error
