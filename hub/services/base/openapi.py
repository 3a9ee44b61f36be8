"""The OpenAPI 3 document of a service, generated from its route table so it cannot drift.

The service gives what is its own (title, description, schemas of its bodies, its query
parameters, the errors it answers); paths, operations, the `Error` schema every service
answers with and the hub token security scheme come from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .routes import Route

#: The body of every error reply (`errors.error_json`).
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "field": {"type": "string"},
    },
}
SUCCESS = {
    "post": ("201", "created"),
    "delete": ("204", "deleted"),
    "options": ("200", "the allowed methods, in the Allow header"),
}
HUB_AUTH = "Authenticate with the hub: OAuth cookie or 'Authorization: token <hub API token>'."


def openapi(
    routes: Iterable[Route],
    base_url: str,
    *,
    title: str,
    description: str,
    schemas: Mapping[str, dict],
    errors: Mapping[str, str],
    query: Mapping[str, dict] | None = None,
    media_types: Mapping[str, str] | None = None,
    body_media_types: tuple[str, ...] = ("application/json",),
    body_media_types_of: Mapping[str, tuple[str, ...]] | None = None,
    alternatives: Mapping[str, tuple[str, ...]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The description of ``routes`` served under ``base_url``.

    ``schemas``: the reply and body schemas the routes name; ``errors``: status -> why,
    each answered with the `Error` schema; ``query``: per query parameter its
    ``description`` and ``schema`` (default a string); ``media_types``: the media type of
    a reply schema other than application/json; ``body_media_types``: what request bodies
    may be sent as (``body_media_types_of``: per body schema, where not those);
    ``alternatives``: the other media types a reply schema is also served as (text, by
    content negotiation); ``headers``: name -> description of the reply headers the
    routes name (`Route.headers`)."""
    query = query or {}
    media_types = media_types or {}
    alternatives = alternatives or {}
    headers = headers or {}

    def content(schema: str) -> dict[str, Any]:
        media_type = media_types.get(schema, "application/json")
        found = {media_type: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
        for other in alternatives.get(schema, ()):
            found[other] = {"schema": {"type": "string"}}
        return found

    paths: dict[str, Any] = {}
    for route in routes:
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{(\w+)\}", route.path)
        ]
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": query[name]["description"],
                "schema": query[name].get("schema", {"type": "string"}),
            }
            for name in route.query
        ]
        operations = {}
        for method, summary in route.methods.items():
            code, what = SUCCESS.get(method, ("200", "OK"))
            if method in route.success:
                code, what = route.success[method], "OK"
            success: dict[str, Any] = {"description": what}
            if method in route.replies:
                success["content"] = content(route.replies[method])
            if method in route.headers:
                success["headers"] = {
                    name: {"description": headers[name], "schema": {"type": "string"}}
                    for name in route.headers[method]
                }
            operation: dict[str, Any] = {
                "summary": summary,
                "operationId": f"{method}_{route.handler.__name__}",
                "parameters": parameters,
                "responses": {
                    code: success,
                    **{
                        status: {"description": why, "content": content("Error")}
                        for status, why in errors.items()
                    },
                },
            }
            if method in ("post", "put", "patch") and route.body:
                body = {"schema": {"$ref": f"#/components/schemas/{route.body}"}}
                operation["requestBody"] = {
                    "required": True,
                    "content": {
                        media_type: body
                        for media_type in (body_media_types_of or {}).get(
                            route.body, body_media_types
                        )
                    },
                }
            operations[method] = operation
        paths["/" + route.path] = operations
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0", "description": f"{description} {HUB_AUTH}"},
        "servers": [{"url": base_url.rstrip("/")}],
        "components": {
            "schemas": {"Error": ERROR_SCHEMA, **schemas},
            "securitySchemes": {
                "hubToken": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
        },
        "security": [{"hubToken": []}],
        "paths": paths,
    }
