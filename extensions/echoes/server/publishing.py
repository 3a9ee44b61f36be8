"""The "Publish as app" command of JupyterLab: the body `echoes publish` sends to the apps
service, made from a notebook in the server's folder. No web framework here."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from echoes.publish import PublishError, named_files, read_notebook


class PublishRequestError(Exception):
    """The browser's request is wrong; the handler answers 400 with this message."""


def check(request: Any) -> dict[str, str]:
    """The fields of a publish request: path and name, and those of title, description
    and share it has (left out, the apps service keeps the previous version's)."""
    if not isinstance(request, dict):
        raise PublishRequestError("send a JSON object {path, name, share}")
    names = ("path", "name", "share", "title", "description")
    fields = {k: request[k] for k in names if request.get(k) is not None}
    if not all(isinstance(v, str) for v in fields.values()):
        raise PublishRequestError("path, name, share, title and description are strings")
    if not fields.get("path", "").endswith(".ipynb"):
        raise PublishRequestError(
            f"{fields.get('path') or 'path'}: only notebooks (.ipynb) publish"
        )
    if not fields.get("name") or "/" in fields["name"]:
        raise PublishRequestError("give the app a name (it becomes part of its address)")
    # An empty title or share is no choice; an empty description clears it.
    # The apps service checks the name and the share and answers 400 naming the problem.
    return {k: v for k, v in fields.items() if v or k == "description"}


def notebook_file(root: str, relative: str) -> Path:
    """The notebook's file under the server's root folder; never a path outside it."""
    base = Path(root).resolve()
    path = (base / relative.lstrip("/")).resolve()
    if base not in path.parents:
        raise PublishRequestError(f"{relative}: not inside your server's folder")
    if not path.is_file():
        raise PublishRequestError(f"{relative}: no such notebook (save it first)")
    return path


def publication(root: str, fields: dict[str, str]) -> dict[str, Any]:
    """The notebook and the files its code names, as `echoes publish` sends them."""
    path = notebook_file(root, fields["path"])
    try:
        notebook = read_notebook(path)
    except PublishError as error:
        raise PublishRequestError(str(error).replace(str(path), fields["path"])) from None
    folder = path.parent
    files = {
        name: base64.b64encode((folder / name).read_bytes()).decode()
        for name in named_files(notebook, folder)
    }
    given = {k: fields[k] for k in ("title", "description", "share") if k in fields}
    # Where it lies in this server, for the app page's "Open in JupyterLab".
    source = str(path.relative_to(Path(root).resolve()))
    return {"notebook": notebook, "files": files, "source": source, **given}
