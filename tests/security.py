"""Helpers for the services' security tests (the attack matrix and schemathesis runs of
issue 12).

- `concrete_paths`, `handler_methods`: a matrix test enumerates a service's own tornado
  route table, so a route added later is attacked too: each route pattern becomes real
  paths by filling its named groups, and each handler says which methods it answers.
- `assert_refused`: what every refusal must look like (a 4xx with a JSON body naming the
  problem).
- `cross_site`: a browser session's cookies replayed the way a page on another site makes
  the browser send them (no XSRF token, Sec-Fetch headers of a cross-site fetch).
- `run_schemathesis`: property-based requests from a service's own OpenAPI description
  against the real running service, for every service; returns the failures (no 5xx,
  every status, content type and body as described) and the operations it reached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import requests
import schemathesis
from schemathesis import checks as base_checks
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks
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


#: What a schemathesis run asserts of every answer.
CHECKS = [
    base_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]


def assert_refused(response: requests.Response, what: str) -> dict:
    """A refusal: a 4xx whose JSON body has a message. Returns the body."""
    assert 400 <= response.status_code < 500, (what, response.status_code, response.text[:300])
    assert response.headers.get("Content-Type", "").startswith("application/json"), (
        what,
        response.headers.get("Content-Type"),
        response.text[:300],
    )
    if response.request.method == "HEAD":
        return {}
    body = response.json()
    assert isinstance(body, dict) and body.get("message"), (what, body)
    return body


def cross_site(
    browser: requests.Session, origin: str = "https://attacker.example"
) -> requests.Session:
    """``browser``'s cookies as a cross-site request carries them: no XSRF token."""
    stolen = requests.Session()
    stolen.cookies.update(browser.cookies)
    stolen.headers.update(
        {
            "Origin": origin,
            "Referer": f"{origin}/",
            "Sec-Fetch-Mode": "cors",
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Dest": "empty",
            # A page asks for HTML too: the service must not answer with a login redirect.
            "Accept": "text/html,application/json;q=0.9",
        }
    )
    return stolen


@dataclass
class SchemathesisRun:
    """What a run found (one line per failing operation) and which operations it reached."""

    failures: list[str] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)
    requests: int = 0


def run_schemathesis(
    spec: dict,
    headers: dict[str, str],
    max_examples: int,
    path_parameters: dict[str, str] | None = None,
    modes: Iterable[GenerationMode] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    base_url: str | None = None,
) -> SchemathesisRun:
    """Every operation of ``spec`` with generated requests, authenticated by ``headers``,
    ``max_examples`` of each of ``modes`` (valid and invalid requests by default), and
    valid ones with the real ``path_parameters`` given, to reach existing resources. The
    service is at ``base_url`` (default: the spec's first server)."""
    schema = schemathesis.openapi.from_dict(spec)
    base_url = base_url or spec["servers"][0]["url"]
    run = SchemathesisRun()
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        real = {k: v for k, v in (path_parameters or {}).items() if k in names}
        variants: list[tuple[GenerationMode, dict[str, Any] | None]] = [
            (mode, None) for mode in modes
        ]
        if real:
            variants.append((GenerationMode.POSITIVE, real))
        for mode, fixed in variants:
            strategy = operation.as_strategy(mode, path_parameters=fixed)

            # Generate only (no shrinking: each example is a real request), no example
            # database, no deadline: the run is bounded by max_examples alone.
            @hypothesis.settings(
                max_examples=max_examples,
                deadline=None,
                database=None,
                phases=[hypothesis.Phase.generate],
                suppress_health_check=list(hypothesis.HealthCheck),
            )
            @hypothesis.given(case=strategy)
            def check(case: Any) -> None:
                case.call_and_validate(
                    base_url=base_url, headers=headers, checks=CHECKS, timeout=60
                )
                run.reached.add(case.operation.label)
                run.requests += 1

            try:
                check()
            except (Exception, BaseExceptionGroup) as error:  # reported, not raised
                label = f"{operation.method.upper()} {operation.path} ({mode.value}"
                run.failures.append(f"{label}{', real ids' if fixed else ''}): {error}"[:2000])
    return run
