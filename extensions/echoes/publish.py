"""`echoes publish`: publish a notebook as a Voila app through the hub's apps service.

    echoes publish NOTEBOOK --name NAME [--share public|hub|group:G|user:U]
                   [--title T] [--description D] [--file PATH ...]
    echoes publish --unpublish --name NAME

A new version keeps the previous one's title, description and share unless given.

The notebook and the files it names (string literals in its code that are files beside
it, and every --file) are sent over HTTP as a snapshot; the hub never reads the
author's folder. Authenticates with a hub token: --token, $ECHOES_TOKEN or, inside a
user server, its own (echoes.hub finds the hub and the apps service there).
"""

from __future__ import annotations

import argparse
import ast
import base64
import json
import sys
from pathlib import Path

import httpx

from .hub import (
    Hub,
    ServiceUnavailable,
    add_hub_options,
    add_service_option,
    check_hub_options,
    hub_of,
    message_of,
    send,
)


class PublishError(Exception):
    pass


def named_files(notebook: dict, folder: Path) -> list[str]:
    """Relative paths of files beside the notebook that its code names in string literals."""
    found: set[str] = set()
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", ""))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # magics and the like: the trial run at publishing time will say
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
                if 0 < len(value) < 255 and "\n" not in value and not value.startswith("/"):
                    path = (folder / value).resolve()
                    if path.is_file() and folder.resolve() in path.parents:
                        found.add(str(path.relative_to(folder.resolve())))
    return sorted(found)


def read_notebook(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PublishError(f"{path}: cannot read: {e.strerror}") from e
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as e:
        raise PublishError(
            f"{path}: line {e.lineno}: not a notebook (invalid JSON: {e.msg})"
        ) from e
    if not isinstance(notebook, dict) or "cells" not in notebook:
        raise PublishError(f"{path}: line 1: not a notebook (no 'cells')")
    return notebook


def publication(args: argparse.Namespace) -> dict:
    path = Path(args.notebook)
    notebook = read_notebook(path)
    folder = path.parent
    files = {}
    for relative in sorted({*named_files(notebook, folder), *args.file}):
        target = folder / relative
        if not target.is_file():
            raise PublishError(f"{target}: no such file (given with --file)")
        files[relative] = base64.b64encode(target.read_bytes()).decode()
    # Only what the author gave: the service keeps the previous version's title,
    # description and share (for a new app: the notebook's title or the name, hub).
    given = {k: getattr(args, k) for k in ("title", "description", "share")}
    return {
        "notebook": notebook,
        "files": files,
        **{k: v for k, v in given.items() if v is not None},
    }


def request(http: httpx.Client, method: str, url: str, body: dict | None = None) -> dict:
    try:
        reply = send(http, method, url, json=body)
    except ServiceUnavailable as e:
        raise PublishError(str(e)) from e
    if reply.is_error:
        # Every service's JSON error has a `message`.
        raise PublishError(f"{method} {url}: {reply.status_code} {message_of(reply)}")
    return reply.json() if reply.content else {}


def parse_args(argv: list[str]) -> argparse.Namespace:
    here = Hub.from_environ()  # inside a user server, what its hub told it
    parser = argparse.ArgumentParser(
        prog="echoes publish",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebook", nargs="?", help="the notebook (.ipynb) to publish")
    parser.add_argument("--name", required=True, help="the app's name in its address")
    kept = "default: the previous version's"
    parser.add_argument(
        "--share", help=f"public, hub, group:G or user:U ({kept}; for a new app, hub)"
    )
    parser.add_argument(
        "--title", help=f"{kept}; for a new app, the notebook's own title or the name"
    )
    parser.add_argument("--description", help=kept)
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        help="another file to include, relative to the notebook",
    )
    parser.add_argument("--unpublish", action="store_true", help="remove the app")
    add_hub_options(parser)
    add_service_option(parser, "apps", "the apps service")
    parser.add_argument(
        "--user",
        default=here.user,
        help="your hub user name (default: asked of the hub)",
    )
    args = parser.parse_args(argv)
    if not args.unpublish and not args.notebook:
        parser.error("give the NOTEBOOK to publish (or --unpublish)")
    check_hub_options(parser, args, args.apps)
    return args


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    hub = hub_of(args)
    # A trial run of the notebook comes before the reply.
    with hub.client(timeout=600) as http:
        try:
            apps = (args.apps or hub.service_url("apps")).rstrip("/")
            user = args.user or hub.identity(http).name
            url = f"{apps}/api/apps/{user}/{args.name}"
            if args.unpublish:
                request(http, "DELETE", url)
                print(f"unpublished {user}/{args.name}")
                return
            app = request(http, "PUT", url, publication(args))
        except (PublishError, ServiceUnavailable) as e:
            sys.exit(f"echoes publish: {e}")
    print(f"published {user}/{args.name} version {app['version']}: {app['url']}")
    if not app["ok"]:
        sys.exit(
            f"echoes publish: the notebook failed its trial run, viewers will see a "
            f"message instead of the app: {app.get('error', '')}"
        )
