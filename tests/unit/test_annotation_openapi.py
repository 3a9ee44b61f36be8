"""The OpenAPI description matches the route table, and each handler does what it documents."""

from __future__ import annotations

import re

from tornado.routing import PathMatches

from echoes_hub.services.annotations.handlers import ROUTES
from echoes_hub.services.annotations.openapi import openapi
from echoes_hub.services.base.routes import url_specs

HTTP_METHODS = {"get", "post", "put", "delete", "patch", "head", "options"}
PREFIX = "/services/annotations/"


def test_every_route_is_described_and_nothing_else():
    spec = openapi(ROUTES, "http://hub.example" + PREFIX, 1000, 2000)
    assert set(spec["paths"]) == {"/" + r.path for r in ROUTES}
    for route in ROUTES:
        assert set(spec["paths"]["/" + route.path]) == set(route.methods)


def test_handlers_implement_exactly_the_documented_methods():
    for route in ROUTES:
        implemented = {
            m
            for m in HTTP_METHODS
            if any(
                m in vars(k)
                for k in route.handler.__mro__[:-1]
                if k.__module__.endswith("handlers")
            )
        }
        assert implemented == set(route.methods), route.path


def test_documented_paths_reach_their_handler():
    specs = url_specs(PREFIX, ROUTES)
    for route in ROUTES:
        example = PREFIX + re.sub(r"\{(\w+)\}", "abc", route.path)
        first = next(s for s in specs if PathMatches(s[0]).match(_request(example)) is not None)
        assert first[1] is route.handler, example


class _request:
    def __init__(self, path: str) -> None:
        self.path = path
