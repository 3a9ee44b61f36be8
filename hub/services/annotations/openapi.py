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
    "409": "a container of that name exists",
    "412": "If-Match does not match the current ETag",
    "413": "body larger than the limit (or too many annotations in an import)",
    "415": "body is not JSON",
    "428": "If-Match is required",
    "429": "too many imports: one at a time, a limited number an hour (Retry-After)",
}
SUCCESS = {
    "post": ("201", "created"),
    "delete": ("204", "deleted"),
    "options": ("204", "allowed methods in the Allow header"),
}
QUERY_SCHEMAS = {
    "page": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
    "iris": {"type": "string", "enum": ["0", "1"]},
    "visibility": {"type": "string", "pattern": r"^(private|public|group:[\w.-]+)$"},
    "creators": {"type": "string", "enum": ["importer", "keep"]},
}
_NODE = {"type": "object", "required": ["id", "type"]}
_STRING = {"type": "string"}
#: What the replies and request bodies hold; handlers.ROUTES names them per method.
SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": _STRING, "message": _STRING, "field": _STRING},
    },
    "Annotation": {
        "type": "object",
        "required": ["type", "target"],
        "properties": {
            "@context": {},
            "id": _STRING,
            "type": {},
            "target": {},
            "body": {},
            "motivation": {},
            "visibility": _STRING,
        },
    },
    "AnnotationPage": {
        **_NODE,
        "required": ["id", "type", "items", "partOf", "startIndex"],
        "properties": {
            "items": {"type": "array"},
            "startIndex": {"type": "integer", "minimum": 0},
            "partOf": {"type": "object", "required": ["id", "total"]},
        },
    },
    "AnnotationCollection": {
        **_NODE,
        "required": ["id", "type", "total", "first", "last"],
        "properties": {"total": {"type": "integer", "minimum": 0}},
    },
    "CollectionOrPage": {
        "anyOf": [
            {"$ref": "#/components/schemas/AnnotationCollection"},
            {"$ref": "#/components/schemas/AnnotationPage"},
        ]
    },
    "Export": {
        **_NODE,
        "required": ["id", "type", "total", "first"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "first": {"type": "object", "required": ["items"]},
        },
    },
    "Collection": {
        "description": "an AnnotationCollection (pages embedded), an AnnotationPage, or a list",
        "oneOf": [{"type": "object"}, {"type": "array"}],
    },
    "ImportResult": {
        "type": "object",
        "required": ["imported", "items"],
        "properties": {
            "imported": {"type": "integer", "minimum": 0},
            "items": {"type": "array", "items": _STRING},
        },
    },
    "NewContainer": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": _STRING, "label": {"type": "string", "maxLength": 500}},
    },
    "Container": {
        "type": "object",
        "required": ["id", "name", "label", "owner", "created"],
        "properties": {k: _STRING for k in ("id", "name", "label", "owner", "created")},
    },
    "Containers": {"type": "array", "items": {"$ref": "#/components/schemas/Container"}},
    "Revisions": {
        "type": "object",
        "required": ["id", "annotation", "items"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["revision", "action", "by", "at", "doc"],
                    "properties": {"revision": {"type": "integer"}, "doc": {"type": "object"}},
                },
            }
        },
    },
    "Info": {
        "type": "object",
        "required": ["service", "user", "imports"],
        "properties": {"user": _STRING, "imports": {"type": "object"}},
    },
    "OpenAPI": {"type": "object", "required": ["openapi", "paths"]},
}
#: Replies in JSON-LD under the annotation context; every other reply is plain JSON.
JSON_LD = frozenset(["Annotation", "AnnotationPage", "CollectionOrPage", "Export"])


def _content(schema: str) -> dict[str, Any]:
    media_type = MEDIA_TYPE if schema in JSON_LD else "application/json"
    return {media_type: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


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
                "schema": QUERY_SCHEMAS.get(name, {"type": "string"}),
            }
            for name in route.query
        ]
        for method, summary in route.methods.items():
            code, what = SUCCESS.get(method, ("200", "OK"))
            success: dict[str, Any] = {"description": what}
            if method in route.replies:
                success["content"] = _content(route.replies[method])
            operation: dict[str, Any] = {
                "summary": summary,
                "operationId": f"{method}_{route.handler.__name__}",
                "parameters": parameters,
                "responses": {
                    code: success,
                    **{
                        status: {"description": why, "content": _content("Error")}
                        for status, why in ERRORS.items()
                    },
                },
            }
            if method in ("post", "put"):
                body = {"schema": {"$ref": f"#/components/schemas/{route.body}"}}
                operation["requestBody"] = {
                    "required": True,
                    "content": {MEDIA_TYPE: body, "application/json": body},
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
            "schemas": SCHEMAS,
            "securitySchemes": {
                "hubToken": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
        },
        "security": [{"hubToken": []}],
        "paths": paths,
    }
