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
# The trainer's live page and the attendee's side of it (handlers.py, live.py).
HAND = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "account": {"type": "string"},
        "raised": _TIME,
        "handled": {**_TIME, "nullable": True},
        "handled_by": {"type": "string", "nullable": True},
    },
}
MESSAGE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "sender": {"type": "string"},
        "text": {"type": "string"},
        "sent": _TIME,
    },
}
HELPER = {"type": "object", "properties": {"trainer": {"type": "string"}, "opened": _TIME}}
SCHEMAS.update(
    {
        "Hand": HAND,
        "Message": MESSAGE,
        "NewMessage": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 2000}},
        },
        "Help": {**HELPER, "properties": {**HELPER["properties"], "url": {"type": "string"}}},
        "Collect": {
            "type": "object",
            "required": ["path"],
            "properties": {"path": {"type": "string", "description": "relative to each home"}},
        },
        "Collected": {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "attendees": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Live": {
            "type": "object",
            "properties": {
                "event": EVENT,
                "attendees": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "account": {"type": "string"},
                            "display_name": {"type": "string"},
                            "server": {
                                "type": "object",
                                "properties": {
                                    "state": {
                                        "type": "string",
                                        "enum": ["ready", "pending", "stopped", "unknown"],
                                    },
                                    "last_activity": {"type": "string", "nullable": True},
                                    "memory": {
                                        "type": "integer",
                                        "nullable": True,
                                        "description": "bytes resident, the server's processes",
                                    },
                                    "notebooks": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                            "hand": {**HAND, "nullable": True},
                            "helpers": {"type": "array", "items": HELPER},
                        },
                    },
                },
                "hands": {"type": "array", "items": HAND},
                "messages": {"type": "array", "items": MESSAGE},
            },
        },
        "Attendee": {
            "type": "object",
            "properties": {
                "event": {"type": "string"},
                "title": {"type": "string"},
                "display_name": {"type": "string"},
                "materials": {"nullable": True, **SCHEMAS["Materials"]},
                "messages": {"type": "array", "items": MESSAGE},
                "hand": {**HAND, "nullable": True},
                "helpers": {"type": "array", "items": HELPER},
            },
        },
    }
)
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
