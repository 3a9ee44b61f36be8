"""A service's route table: one `Route` a path, from which both the URL specs the
service serves and its OpenAPI document (`openapi`) are made, so they cannot drift."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tornado import web

from .auth import OAuthCallbackHandler


@dataclass(frozen=True)
class Route:
    """One path of a service: its handler and, per method, what it does (for OpenAPI)."""

    path: str  # relative to the service prefix, with {parameters}
    handler: type[web.RequestHandler]
    methods: dict[str, str]
    query: tuple[str, ...] = field(default=())
    #: Per method, the schema name of the success reply (none: no body).
    replies: dict[str, str] = field(default_factory=dict)
    #: The schema name of the request body of POST, PUT and PATCH (none: no body).
    body: str = ""
    #: Per method, the headers of the success reply (the service's OpenAPI describes each).
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Per method, a success status other than the method's usual one (a POST that
    #: only reads, as a SPARQL query or an OAI-PMH request, answers 200, not 201).
    success: dict[str, str] = field(default_factory=dict)

    @property
    def pattern(self) -> str:
        """The tornado path pattern: each {parameter} one path segment."""
        return re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path)


def url_specs(prefix: str, routes: list[Route]) -> list[tuple]:
    """Tornado URL specs for every route under ``prefix``, plus the end of the hub's OAuth
    flow (``oauth_callback``), which every service has."""
    specs: list[tuple] = [(prefix + route.pattern + "$", route.handler) for route in routes]
    specs.append((prefix + "oauth_callback", OAuthCallbackHandler))
    return specs
