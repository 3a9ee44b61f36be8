"""Helpers for the services' security tests (the attack matrix of issue 12).

A matrix test enumerates a service's own tornado route table, so a route added later is
attacked too: `concrete_paths` turns each route pattern into a real path by filling its
named groups, `handler_methods` says which HTTP methods a handler answers, and
`assert_refused` is what every refusal must look like (a 4xx with a JSON body naming the
problem).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import requests
from tornado import web

#: Methods the matrix sends (HEAD has no body to check; OPTIONS is answered by none).
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _groups(pattern: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each top-level named group `(?P<name>...)` in `pattern`."""
    found, i = [], 0
    while (start := pattern.find("(?P<", i)) >= 0:
        name = pattern[start + 4 : pattern.index(">", start)]
        depth, j = 0, start
        while True:
            if pattern[j] == "\\":
                j += 2
                continue
            depth += {"(": 1, ")": -1}.get(pattern[j], 0)
            j += 1
            if depth == 0:
                break
        found.append((start, j, name))
        i = j
    return found


def concrete_paths(pattern: str, candidates: Mapping[str, Iterable[str]]) -> list[str]:
    """Every path that `pattern` (a tornado route regex) matches when each named group is
    filled with one of its candidate values; fails naming a group with no candidate that
    fits, so a new route with a new group is noticed, never skipped."""
    paths = [""]
    last = 0
    for start, end, name in _groups(pattern):
        literal = pattern[last:start].replace("\\", "")
        fitting = [v for v in candidates.get(name, ()) if re.fullmatch(pattern[start:end], v)]
        if not fitting:
            raise AssertionError(f"no candidate value for group {name!r} of {pattern}")
        paths = [p + literal + v for p in paths for v in fitting]
        last = end
    paths = [p + pattern[last:].rstrip("$").replace("\\", "") for p in paths]
    for path in paths:
        assert re.fullmatch(pattern, path), (pattern, path)
    return paths


def handler_methods(handler: type) -> set[str]:
    """The HTTP methods `handler` implements itself (not tornado's default 405)."""
    return {
        m
        for m in web.RequestHandler.SUPPORTED_METHODS
        if getattr(handler, m.lower()) is not getattr(web.RequestHandler, m.lower())
    }


def assert_refused(response: requests.Response, what: str) -> dict:
    """A refusal: a 4xx whose JSON body has a message. Returns the body."""
    assert 400 <= response.status_code < 500, (what, response.status_code, response.text[:300])
    assert response.headers.get("Content-Type", "").startswith("application/json"), (
        what,
        response.headers.get("Content-Type"),
        response.text[:300],
    )
    body = response.json()
    assert isinstance(body, dict) and body.get("message"), (what, body)
    return body
