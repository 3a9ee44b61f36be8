"""The apps service's OpenAPI document, generated from its route table (handlers.py) by
the service base, so that no path or method can drift from what is served.

What the route table cannot say is added here, keyed by (path, method), and a unit test
checks every key is an operation of the table: schemas and media types of the replies,
the answers other than the base's one success (redirects to and from hub OAuth,
websocket upgrades), the bodies other than the API's JSON, and the names the hub and the
service accept in paths.
"""

from __future__ import annotations

from typing import Any

from ...auth import USERNAME_PATTERN
from ..base.openapi import openapi
from ..base.routes import Route
from .model import NAME_PATTERN

APP = "{author}/{name}"
SHARE = {"type": "string", "description": "public | hub | group:G | user:U"}
SCHEMAS: dict[str, dict] = {
    "App": {
        "type": "object",
        "required": [
            *("author", "name", "title", "description", "share", "version"),
            *("published_at", "ok", "url", "thumbnail"),
        ],
        "properties": {
            "author": {"type": "string"},
            "name": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "share": SHARE,
            "version": {"type": "integer", "minimum": 1},
            "published_at": {"type": "number", "description": "seconds since the epoch"},
            "ok": {"type": "boolean", "description": "the trial run at publishing succeeded"},
            "error": {"type": "string", "description": "what failed (author and admins only)"},
            "source": {
                "type": "string",
                "description": "the notebook's path in the author's server (author and admins)",
            },
            "url": {"type": "string", "description": "the app's address"},
            "thumbnail": {"type": "string", "description": "the thumbnail's address, or empty"},
            "versions": {
                "type": "array",
                "description": "every version (the author and admins only)",
                "items": {
                    "type": "object",
                    "required": ["version", "published_at"],
                    "properties": {
                        "version": {"type": "integer"},
                        "published_at": {"type": "number"},
                    },
                },
            },
        },
    },
    "Apps": {
        "type": "object",
        "required": ["apps"],
        "properties": {"apps": {"type": "array", "items": {"$ref": "#/components/schemas/App"}}},
    },
    "Publication": {
        "type": "object",
        "required": ["notebook"],
        "properties": {
            "notebook": {"type": "object", "description": "the notebook's JSON"},
            "files": {
                "type": "object",
                "description": "relative path -> base64 content",
                "additionalProperties": {"type": "string"},
            },
            "title": {"type": "string", "description": "left out: the previous version's"},
            "source": {
                "type": "string",
                "description": "the notebook's path in the author's server; left out: the "
                "previous version's",
            },
            "description": {"type": "string", "description": "left out: the previous version's"},
            "share": {
                **SHARE,
                "description": f"{SHARE['description']}; left out: the "
                "previous version's, for a new app hub",
            },
        },
    },
    "AppChange": {
        "type": "object",
        "minProperties": 1,
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": {"type": "string"},
            "share": SHARE,
        },
    },
    "PublishForm": {
        "type": "object",
        "properties": {
            "notebook": {"type": "string", "format": "binary"},
            **{field: {"type": "string"} for field in ("name", "title", "description")},
            "share": SHARE,
            "_xsrf": {"type": "string"},
        },
    },
    "OpenAPI": {"type": "object"},
    "Page": {"type": "string"},
    "PNG": {"type": "string", "format": "binary"},
}
MEDIA_TYPES = {"Page": "text/html", "PNG": "image/png"}
#: Every refusal, as the base's Error JSON (an HTML page for a browser on a page route).
ERRORS = {
    "400": "Bad input; the message names the problem",
    "401": "A change needs a hub token, or the service's cookie with its XSRF token",
    "403": "Not the caller's to do",
    "404": "No such app, or not one the caller may open (the same answer either way)",
    "409": "The author's apps account cannot be made (its name belongs to someone else)",
    "413": "The request body is larger than EchoesApps.max_body_size",
    "503": "The app failed its trial run, did not start, or did not answer (after a retry)",
}
#: Operations whose success is not the base's (200; 201 for POST): its code and meaning.
SUCCESS = {
    ("login", "get"): ("302", "To the hub's OAuth authorization, or back to the gallery"),
    ("oauth_callback", "get"): ("302", "Logged in: to the page the login started from"),
    ("publish", "post"): ("302", "Published: to the gallery"),
    (f"enter/{APP}", "get"): ("302", "To the app's address with its ticket, or to hub OAuth"),
    (f"api/apps/{APP}", "put"): ("201", "Published (ok false and error set if its run failed)"),
    (f"{APP}/voila/api/shutdown/{{kernel}}", "post"): ("204", "The kernel was shut down"),
    (f"{APP}/api/kernels/{{kernel}}/channels", "get"): ("101", "Switching protocols"),
    (f"{APP}/voila/query/{{kernel}}", "get"): ("101", "Switching protocols"),
}
#: More answers of an operation than its success and the refusals.
REDIRECT = {
    "302": {
        "description": "A browser without the host's viewer cookie goes to enter/{author}/{name}"
    }
}
ANSWERS = {(f"{APP}/", "get"): REDIRECT, (f"{APP}/", "head"): REDIRECT}
#: Request bodies other than the route's JSON `body`.
BODIES = {
    (f"api/apps/{APP}", "patch"): {"application/json": "AppChange"},
    ("publish", "post"): {"multipart/form-data": "PublishForm"},
}
#: What a path parameter may be: the hub's user names, the service's app names.
PATTERNS = {"author": USERNAME_PATTERN, "name": NAME_PATTERN.pattern}


def document(routes: list[Route], base_url: str, max_body_size: int) -> dict[str, Any]:
    """The OpenAPI 3 document of `routes` served at `base_url`."""
    doc = openapi(
        routes,
        base_url,
        title="ECHOES apps service",
        description=(
            "Publish notebooks as Voila apps, open them on their author's own host. A change "
            "(POST, PUT, PATCH, DELETE) by the service's cookie needs JupyterHub's XSRF token "
            "(`_xsrf` form field or X-XSRFToken header). Page routes answer a browser that "
            f"asks for text/html with an HTML page. Bodies up to {max_body_size} bytes."
        ),
        schemas=SCHEMAS,
        errors=ERRORS,
        media_types=MEDIA_TYPES,
    )
    paths = doc["paths"]
    for (path, method), (code, what) in SUCCESS.items():
        responses = paths["/" + path][method]["responses"]
        success = next(c for c in responses if c.startswith("2"))
        responses[code] = {**responses.pop(success), "description": what}
    for (path, method), answers in ANSWERS.items():
        paths["/" + path][method]["responses"].update(answers)
    for (path, method), bodies in BODIES.items():
        paths["/" + path][method]["requestBody"] = {
            "required": True,
            "content": {
                media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                for media, schema in bodies.items()
            },
        }
    for operations in paths.values():
        for operation in operations.values():
            for parameter in operation["parameters"]:
                if parameter["name"] in PATTERNS:
                    parameter["schema"]["pattern"] = PATTERNS[parameter["name"]]
    return doc
