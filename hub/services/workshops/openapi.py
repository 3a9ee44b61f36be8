"""What the workshops service's OpenAPI description says that is its own; the document is
generated from the route table (handlers.ROUTES) by the service base."""

from __future__ import annotations

from typing import Any

from ..base.openapi import openapi
from ..base.routes import Route

_TIME = {"type": "string", "description": "ISO 8601 date and time (UTC without a zone)"}
NEW_EVENT = {
    "type": "object",
    "required": ["title", "start", "end", "seats"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "start": _TIME,
        "end": _TIME,
        "seats": {"type": "integer", "minimum": 1},
        "cpu": {"type": "number", "description": "CPUs per attendee's server (default 1)"},
        "memory": {"type": "string", "description": "memory per server, e.g. 2G (default 1G)"},
        "materials": {
            "type": "string",
            "description": "a folder relative to the trainer's home, or an https git URL",
        },
        "keep_work": {"type": "boolean", "description": "attendees keep their work after the end"},
    },
}
EVENT = {
    "type": "object",
    "required": ["id", "title", "trainer", "start", "end", "seats", "taken", "code", "state"],
    "properties": {
        **NEW_EVENT["properties"],
        "id": {"type": "string"},
        "trainer": {"type": "string"},
        "taken": {"type": "integer", "description": "seats taken"},
        "code": {"type": "string", "description": "the code attendees type"},
        "join_url": {"type": "string", "description": "the event's one join link"},
        "group": {"type": "string", "description": "the hub group of its attendees"},
        "state": {"type": "string", "enum": ["upcoming", "open", "ended", "revoked"]},
        "attendees": {"type": "array", "items": {"type": "object"}},
        "archives": {"type": "array", "items": {"type": "object"}},
        "archived": {"type": ["string", "null"], "description": "servers stopped, homes archived"},
        "removed": {"type": ["string", "null"], "description": "the end done: accounts removed"},
    },
}
SCHEMAS: dict[str, dict] = {
    "NewEvent": NEW_EVENT,
    "Event": EVENT,
    "Events": {"type": "object", "properties": {"events": {"type": "array", "items": EVENT}}},
    "OpenAPI": {"type": "object"},
    "Materials": {
        "type": "object",
        "required": ["event", "version", "kind", "source"],
        "properties": {
            "event": {"type": "string"},
            "title": {"type": "string"},
            "version": {"type": "integer", "description": "bumped at each push"},
            "kind": {"type": "string", "enum": ["folder", "git"]},
            "source": {"type": "string", "description": "the folder's name, or the git URL"},
        },
    },
    "Credentials": {
        "type": "object",
        "properties": {
            "event": {"type": "string"},
            "people": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        k: {"type": "string"}
                        for k in ("name", "email", "username", "password", "login_url")
                    },
                },
            },
        },
    },
    "Zip": {"type": "string", "format": "binary"},
    "MaterialsFiles": {
        "type": "object",
        "properties": {
            "version": {"type": "integer"},
            "files": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
}
ERRORS = {
    "400": "invalid JSON, event or CSV; the reply names the field (and a CSV's line)",
    "403": "not authenticated, or not a trainer",
    "404": "no such event among yours",
}


def document(routes: list[Route], base_url: str) -> dict[str, Any]:
    return openapi(
        routes,
        base_url,
        title="ECHOES workshops",
        description="Events a trainer runs; attendees join at the hub's /hub/join/<id>.",
        schemas=SCHEMAS,
        errors=ERRORS,
        media_types={"Zip": "application/zip"},
        alternatives={"Credentials": ("text/html", "text/csv")},
    )
