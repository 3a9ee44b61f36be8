"""The apps service's interface without a server: openapi.yaml against the route table
(so neither drifts), the kernel-message filter in both websocket framings, and what is
passed on to an app's Voila."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from echoes_hub.auth import USERNAME_PATTERN
from echoes_hub.services.apps import proxy
from echoes_hub.services.apps.handlers import routes, upstream_uri
from echoes_hub.services.apps.model import NAME_PATTERN
from tests.security import handler_methods

SPEC = yaml.safe_load((Path(proxy.__file__).parent / "openapi.yaml").read_text())
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
            f"openapi.yaml documents {sorted(documented.get(pattern, ()))}"
        )


def test_path_parameters_are_the_names_the_hub_and_the_service_accept():
    parameters = SPEC["components"]["parameters"]
    assert parameters["author"]["schema"]["pattern"] == USERNAME_PATTERN
    assert parameters["name"]["schema"]["pattern"] == NAME_PATTERN.pattern


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
