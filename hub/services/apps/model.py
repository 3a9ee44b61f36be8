"""What an app is, who may open or manage it, and what a valid publication looks like.

No web framework here: the handlers map errors.py's `AppError` to HTTP statuses and JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..viewer import Viewer
from .errors import InvalidRequest

#: App names as they appear in addresses: /services/apps/<author>/<name>/
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
#: Hub user and group names (the hub's own username pattern is stricter).
PRINCIPAL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
#: Limits that keep one publication from filling the hub's disk.
MAX_FILES = 50
MAX_TOTAL_BYTES = 50 * 1024 * 1024
NOTEBOOK_FILE = "app.ipynb"


@dataclass(frozen=True)
class Share:
    """Who may open an app: `public` (anyone, no login), `hub` (any hub user),
    `group:G` (members of hub group G) or `user:U` (hub user U)."""

    kind: str
    principal: str = ""

    @classmethod
    def parse(cls, text: str) -> Share:
        kind, _, principal = str(text).partition(":")
        if kind in ("public", "hub") and not principal:
            return cls(kind)
        if kind in ("group", "user") and PRINCIPAL_PATTERN.match(principal):
            return cls(kind, principal)
        raise InvalidRequest(f"share {text!r} is not one of public, hub, group:NAME, user:NAME")

    def __str__(self) -> str:
        return f"{self.kind}:{self.principal}" if self.principal else self.kind


ANONYMOUS = Viewer()


def can_manage(author: str, viewer: Viewer) -> bool:
    """Only the author and hub administrators publish over, unpublish or read errors."""
    return not viewer.anonymous and (viewer.name == author or viewer.admin)


def can_view(author: str, share: Share, viewer: Viewer) -> bool:
    if share.kind == "public" or can_manage(author, viewer):
        return True
    if viewer.anonymous:
        return False
    if share.kind == "hub":
        return True
    if share.kind == "user":
        return viewer.name == share.principal
    return share.kind == "group" and share.principal in viewer.groups


def check_name(name: str, what: str = "app name") -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidRequest(
            f"{what} {name!r} must be 1-63 lowercase letters, digits or dashes, "
            "starting with a letter or digit"
        )
    return name


@dataclass
class Publication:
    """A validated publish request: the notebook and the files it names, in memory.
    None for the title, the description or the share: not sent, so a new version keeps
    the previous one's (a new app: `notebook_title` or its name, no description, `hub`)."""

    title: str | None
    description: str | None
    share: Share | None
    notebook: bytes
    files: dict[str, bytes]
    #: The notebook's own title (its metadata), if it has one.
    notebook_title: str = ""
    #: Where the notebook is in the author's server (relative to its root), for "Open in
    #: JupyterLab"; None: not sent (the previous version's is kept).
    source: str | None = None


def _check_relative_path(path: str) -> str:
    pure = PurePosixPath(path)
    if (
        not path
        or pure.is_absolute()
        or ".." in pure.parts
        or str(pure) in (".", NOTEBOOK_FILE)
        or "\\" in path
    ):
        raise InvalidRequest(
            f"file path {path!r} must be relative, inside the app, not {NOTEBOOK_FILE}"
        )
    return str(pure)


def parse_publication(body: object) -> Publication:
    """Validate a publish request body (JSON already decoded); raise InvalidRequest naming
    the problem."""
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    notebook = body.get("notebook")
    if not isinstance(notebook, dict):
        raise InvalidRequest("'notebook' must be the notebook's JSON (an object)")
    import nbformat  # slow to import (JSON schemas): only when a notebook arrives

    try:
        node = nbformat.from_dict(notebook)
        nbformat.validate(node)
    except (nbformat.ValidationError, KeyError, TypeError) as e:
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InvalidRequest(f"'notebook' is not a valid Jupyter notebook: {first_line}") from e
    files_in = body.get("files") or {}
    if not isinstance(files_in, dict) or len(files_in) > MAX_FILES:
        raise InvalidRequest(f"'files' must map at most {MAX_FILES} paths to base64 contents")
    files: dict[str, bytes] = {}
    for path, content in files_in.items():
        relative = _check_relative_path(path)
        try:
            files[relative] = base64.b64decode(content, validate=True)
        except (binascii.Error, TypeError, ValueError) as e:
            raise InvalidRequest(f"file {path!r}: content is not valid base64") from e
    raw = json.dumps(notebook).encode()
    if len(raw) + sum(len(b) for b in files.values()) > MAX_TOTAL_BYTES:
        raise InvalidRequest(f"the publication is larger than {MAX_TOTAL_BYTES} bytes")
    # Re-publishing must not reset what the author chose before: absent (or null) keeps it.
    given = parse_change({k: v for k, v in body.items() if k in CHANGES and v not in (None, "")})
    if body.get("description") == "":
        given["description"] = ""
    notebook_title = (notebook.get("metadata") or {}).get("title")
    source = body.get("source") or None
    if source is not None:
        pure = PurePosixPath(source) if isinstance(source, str) else None
        if not pure or pure.is_absolute() or ".." in pure.parts or len(source) > 1000:
            raise InvalidRequest("'source' must be the notebook's relative path in your server")
        source = str(pure)
    return Publication(
        title=given.get("title"),
        description=given.get("description"),
        share=Share.parse(given["share"]) if "share" in given else None,
        notebook=raw,
        files=files,
        notebook_title=notebook_title if isinstance(notebook_title, str) else "",
        source=source,
    )


#: What changes without a new version (and what a publication may leave out).
CHANGES = ("title", "description", "share")


def parse_change(body: object) -> dict[str, str]:
    """Validate a change of an app's title (1-200 characters), description (text, kept to
    2000 characters) or share; raise InvalidRequest naming the problem."""
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    change: dict[str, str] = {}
    if "title" in body:
        title = body["title"]
        if not isinstance(title, str) or not 0 < len(title) <= 200:
            raise InvalidRequest("'title' must be text of 1 to 200 characters")
        change["title"] = title
    if "description" in body:
        if not isinstance(body["description"], str):
            raise InvalidRequest("'description' must be text")
        change["description"] = body["description"][:2000]
    if "share" in body:
        change["share"] = str(Share.parse(body["share"]))
    return change
