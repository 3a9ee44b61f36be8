"""The OpenAPI 3 description of the service, generated from the route table so it cannot drift."""

from __future__ import annotations

import re
from typing import Any

from .model import ANNO_CONTEXT, MEDIA_TYPE, MOTIVATIONS

QUERY_DOCS = {
    "target": "IRI of a target source: a catalog item, a canvas, an image or an annotation",
    "creator": "urn:echoes:user:<name>: that person's own annotations (theirs or their agents'); "
    "urn:echoes:agent:<owner>:<name>: those of that Software agent; a bare name: that hub "
    "user, or your own agent of that name",
    "motivation": "one motivation, e.g. commenting",
    "tag": "a tag (TextualBody with purpose tagging)",
    "visibility": "private, public or group:<name>",
    "q": "words that must all occur in the bodies",
    "page": "page number, from 0",
    "iris": "1: items as IRIs only",
    "creators": "importer (default): you become the creator, the original one is kept in "
    "as:attributedTo; keep (administrators, for migrations): store the creators as given",
}
ERRORS = {
    "400": "invalid JSON or annotation; the reply names the field",
    "403": "not authenticated, or not allowed",
    "404": "no such container or annotation (or not visible to you)",
    "412": "If-Match does not match the current ETag",
    "413": "body larger than the limit",
    "415": "body is not JSON",
    "428": "If-Match is required",
}
SUCCESS = {
    "post": ("201", "created"),
    "delete": ("204", "deleted"),
    "options": ("204", "allowed methods in the Allow header"),
}


def openapi(
    routes: list, base_url: str, max_body_size: int, max_import_size: int
) -> dict[str, Any]:
    """The description of ``routes`` (handlers.ROUTES) served under ``base_url``."""
    paths: dict[str, Any] = {}
    for route in routes:
        operations = {}
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{(\w+)\}", route.path)
        ]
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": QUERY_DOCS[name],
                "schema": {"type": "string"},
            }
            for name in route.query
        ]
        for method, summary in route.methods.items():
            code, what = SUCCESS.get(method, ("200", "OK"))
            operation: dict[str, Any] = {
                "summary": summary,
                "operationId": f"{method}_{route.handler.__name__}",
                "parameters": parameters,
                "responses": {
                    code: {"description": what},
                    **{k: {"description": v} for k, v in ERRORS.items()},
                },
            }
            if method in ("post", "put"):
                operation["requestBody"] = {
                    "required": True,
                    "content": {
                        MEDIA_TYPE: {"schema": {"type": "object"}},
                        "application/json": {"schema": {"type": "object"}},
                    },
                }
            operations[method] = operation
        paths["/" + route.path] = operations
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ECHOES annotations",
            "version": "1.0",
            "description": (
                f"W3C Web Annotation Protocol over the Data Model ({ANNO_CONTEXT}). "
                f"Bodies up to {max_body_size} bytes, imports up to {max_import_size} bytes. "
                f"Motivations: {', '.join(sorted(MOTIVATIONS))}. Visibility: private (default), "
                "public or group:<name>. Authenticate with the hub: OAuth cookie or "
                "'Authorization: token <hub API token>'."
            ),
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "components": {
            "securitySchemes": {
                "hubToken": {"type": "apiKey", "in": "header", "name": "Authorization"}
            }
        },
        "security": [{"hubToken": []}],
        "paths": paths,
    }
