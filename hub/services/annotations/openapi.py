"""What the OpenAPI description of the annotation service says that is its own (schemas,
query parameters, errors); the document is generated from the route table by the service
base (hub/services/base/openapi.py), so it cannot drift."""

from __future__ import annotations

from typing import Any

from ..base import openapi as base
from ..base.routes import Route
from .model import ANNO_CONTEXT, MEDIA_TYPE, MOTIVATIONS
from .rdf import N_TRIPLES, TURTLE

_QUERY_DOCS = {
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
    "since": "the number of the last change already read (`last` of the previous reply); 0: all",
    "limit": "most changes read in one reply (1 to 1000)",
    "wait": "seconds (up to 30) to wait for a change when there is none yet (long poll)",
    "to": "the IRI of the annotation answered (one of this service's)",
    "verdict": "agreed or contested (accepted or rejected for the person an agent acts "
    "for); empty: a reply",
    "back": "a page of this hub's domain the form links back to (others are ignored)",
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
    "406": "Accept takes none of JSON-LD, Turtle and N-Triples",
    "415": "body is not JSON",
    "428": "If-Match is required",
    "429": "too many imports: one at a time, a limited number an hour (Retry-After)",
}
_QUERY_SCHEMAS = {
    "page": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
    "iris": {"type": "string", "enum": ["0", "1"]},
    "visibility": {"type": "string", "pattern": r"^(private|public|group:[\w.-]+)$"},
    "creators": {"type": "string", "enum": ["importer", "keep"]},
    "since": {"type": "integer", "minimum": 0},
    "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
    "wait": {"type": "integer", "minimum": 0, "maximum": 30},
    "verdict": {"type": "string", "enum": ["", "agreed", "contested", "accepted", "rejected"]},
}
_NODE = {"type": "object", "required": ["id", "type"]}
_STRING = {"type": "string"}
#: What the replies and request bodies hold; handlers.ROUTES names them per method.
SCHEMAS: dict[str, dict] = {
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
    "Changes": {
        "type": "object",
        "required": ["since", "last", "changes"],
        "properties": {
            "since": {"type": "integer"},
            "last": {"type": "integer"},
            "changes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": _STRING,
                        "annotation": {"type": "object"},
                        "gone": {"type": "boolean"},
                    },
                },
            },
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
#: The reply headers handlers.ROUTES name, per method.
HEADERS = {
    "Allow": "the methods the resource allows",
    "Accept-Post": "the media type to POST annotations as",
    "Content-Location": "the IRI of the representation: the id in its body",
    "ETag": "strong for the JSON-LD (what If-Match takes), weak for Turtle and N-Triples",
    "Link": "the LDP type (and, on containers, ldp:constrainedBy the protocol)",
    "Location": "the IRI of the new resource",
    "Vary": "Accept (and Prefer, on containers)",
}


QUERY = {
    name: {"description": why, "schema": _QUERY_SCHEMAS.get(name, {"type": "string"})}
    for name, why in _QUERY_DOCS.items()
}


def openapi(
    routes: list[Route], base_url: str, max_body_size: int, max_import_size: int
) -> dict[str, Any]:
    """The description of ``routes`` (handlers.ROUTES) served under ``base_url``."""
    return base.openapi(
        routes,
        base_url,
        title="ECHOES annotations",
        description=(
            f"W3C Web Annotation Protocol over the Data Model ({ANNO_CONTEXT}). "
            f"Bodies up to {max_body_size} bytes, imports up to {max_import_size} bytes. "
            f"Motivations: {', '.join(sorted(MOTIVATIONS))}. Visibility: private (default), "
            "public or group:<name>. Anonymous visitors read public annotations (GET, HEAD, "
            "OPTIONS on containers, annotations, revisions, search, export and changes). "
            "Every answer has Access-Control-Allow-Origin: * without credentials; a change "
            "from another origin needs the token. GETs of JSON-LD also answer Turtle or N-Triples "
            "(Accept). PUT needs If-Match (428 without: no lost updates)."
        ),
        schemas=SCHEMAS,
        errors=ERRORS,
        query=QUERY,
        media_types={schema: MEDIA_TYPE for schema in JSON_LD},
        body_media_types=(MEDIA_TYPE, "application/json"),
        alternatives={schema: (TURTLE, N_TRIPLES) for schema in JSON_LD},
        headers=HEADERS,
    )
