"""The apps service's interface without a server: the OpenAPI document (generated from
the route table) against the routes tornado serves, and what is passed on to an app's
Voila."""

from __future__ import annotations

import re

import pytest

from echoes_hub.auth import USERNAME_PATTERN
from echoes_hub.services.apps import openapi
from echoes_hub.services.apps.handlers import DOCUMENTED, routes, upstream_uri
from echoes_hub.services.apps.model import NAME_PATTERN
from tests.security import handler_methods

SPEC = openapi.document(DOCUMENTED, "http://apps--service.localhost/services/apps/", 1000)
PREFIX = "/services/apps/"
#: Values for the spec's path parameters when matching its paths against the routes.
SAMPLES = {"author": "alice", "name": "pottery", "kernel": "0" * 8 + "-0000-0000-0000-" + "0" * 12}
HTTP_METHODS = {"get", "head", "post", "put", "patch", "delete", "options"}


def route_of(path: str) -> tuple[str, type]:
    """The route tornado picks for `path` (the first whose pattern matches)."""
    for pattern, handler, *_ in routes(PREFIX, "localhost")[-1].target:
        if re.fullmatch(pattern, path):
            return pattern, handler
    raise AssertionError(f"no route serves {path}")


def test_every_documented_path_is_served_with_exactly_its_methods():
    documented: dict[str, set[str]] = {}
    for template, operations in SPEC["paths"].items():
        path = PREFIX + re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m.group(1)], template)[1:]
        pattern, handler = route_of(path)
        methods = {m.upper() for m in operations if m in HTTP_METHODS}
        assert methods <= handler_methods(handler), (template, handler.__name__)
        documented.setdefault(pattern, set()).update(methods)
    for pattern, handler, *_ in routes(PREFIX, "localhost")[-1].target:
        assert documented.get(pattern) == handler_methods(handler), (
            f"{pattern} ({handler.__name__}) answers {sorted(handler_methods(handler))}, "
            f"the document has {sorted(documented.get(pattern, ()))}"
        )


def test_path_parameters_are_the_names_the_hub_and_the_service_accept():
    parameters = [
        parameter
        for operations in SPEC["paths"].values()
        for operation in operations.values()
        for parameter in operation["parameters"]
    ]
    patterns = {p["name"]: p["schema"].get("pattern") for p in parameters}
    assert patterns == {"author": USERNAME_PATTERN, "name": NAME_PATTERN.pattern, "kernel": None}


def test_what_the_table_cannot_say_is_said_of_operations_it_has():
    """The additions to the generated document name operations of the route table."""
    operations = {(path[1:], method) for path, ops in SPEC["paths"].items() for method in ops}
    for additions in (openapi.SUCCESS, openapi.ANSWERS, openapi.BODIES):
        assert set(additions) <= operations, set(additions) - operations


def test_every_refusal_is_documented_as_json():
    for template, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS or method == "head":
                continue
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert "$ref" in response or "application/json" in response["content"], (
                        template,
                        method,
                        status,
                    )


@pytest.mark.parametrize(
    ("uri", "passed_on"),
    [
        ("/services/apps/a/b/", "/services/apps/a/b/"),
        ("/services/apps/a/b/?token=abc", "/services/apps/a/b/"),
        ("/services/apps/a/b/?x=1&token=abc&_xsrf=2&y=", "/services/apps/a/b/?x=1&y="),
    ],
)
def test_credentials_in_query_strings_are_not_passed_to_the_app(uri, passed_on):
    assert upstream_uri(uri) == passed_on
