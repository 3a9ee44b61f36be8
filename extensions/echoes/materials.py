"""A workshop's materials merged into the attendee's home, by their own server.

When an attendee's server starts, and again whenever the trainer pushes a new version,
the server (echoes.server) asks the workshops service for the materials of the event its
owner attends and merges them into ``~/<folder>/``, as the attendee's own user, by the
rules of nbgitpuller ("never lose what the student changed"):

- a file that is new upstream is added;
- a file the attendee has not touched since it was delivered is updated;
- a file the attendee changed is kept as they left it (nbgitpuller merges with the
  attendee's side winning; we keep their file whole);
- a file the attendee deleted is restored;
- a file the attendee made under a name the materials then use is kept, never replaced.

What was delivered (each file's digest) is recorded in ``~/.echoes/materials/<event>.json``,
which is how a change is told from an update. Materials from a git repository are cloned
into ``~/<repository name>/`` and updated by nbgitpuller itself (`pull_git`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import httpx

from .hub import Hub, ServiceUnavailable, message_of, send_async


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def merge(home: Path, event: str, folder: str, files: dict[str, bytes]) -> list[str]:
    """Merge `files` (relative path -> content) into ``home/folder`` by the rules above;
    the paths written."""
    target = home / folder
    record_path = home / ".echoes" / "materials" / f"{event}.json"
    try:
        delivered: dict[str, str] = json.loads(record_path.read_text())
    except (OSError, ValueError):
        delivered = {}
    written = []
    for relative, content in sorted(files.items()):
        parts = PurePosixPath(relative).parts
        if not parts or ".." in parts or PurePosixPath(relative).is_absolute():
            continue  # never outside the folder
        path = target.joinpath(*parts)
        if path.is_symlink():
            continue
        if path.exists():
            current = digest(path.read_bytes())
            if current != delivered.get(relative) or current == digest(content):
                # Changed by the attendee, made by them, or already up to date.
                continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        delivered[relative] = digest(content)
        written.append(relative)
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(delivered, indent=1))
    return written


def repository_folder(url: str) -> str:
    """The folder a git URL is cloned into: its last path segment without ``.git``."""
    name = PurePosixPath(urlsplit(url).path).name
    return name.removesuffix(".git") or "materials"


def pull_git(url: str, target: Path) -> None:
    """Clone `url` into `target`, or update it by nbgitpuller's merge rules. A full clone
    (depth 0): nbgitpuller's default, one commit, cannot be fetched from a plain
    (dumb HTTP) git server."""
    from nbgitpuller.pull import GitPuller

    for _line in GitPuller(url, str(target), depth=0).pull():
        pass


class MaterialsPuller:
    """Asks the workshops service for this server's owner's side of their event
    (``api/attendee``: materials, the trainer's messages, their raised hand, who opened
    their server to help); pulls each new version of the materials (`check`, called at
    start and then periodically by echoes.server). `status` is the last answer, which
    JupyterLab reads from echoes.server (`workshop`): one channel to the service."""

    def __init__(self, hub: Hub, http: httpx.AsyncClient, home: Path, log) -> None:
        self.hub, self.http, self.home, self.log = hub, http, home, log
        self.version = 0
        #: The service's last answer about this attendee; None when not an attendee.
        self.status: dict | None = None

    async def check(self) -> None:
        try:
            url = self.hub.service_url("workshops")
            reply = await send_async(self.http, "GET", url + "api/attendee")
            if reply.status_code == 404:
                self.status = None
                return  # not an attendee
            if reply.is_error:
                self.log.warning("workshop: %s", message_of(reply))
                return
            self.status = reply.json()
            about = self.status.get("materials")
            if about is None or about["version"] == self.version:
                return
            await self.pull(url + "api/materials", about)
        except ServiceUnavailable:
            return  # no workshops service here (a server not started by our hub)

    async def pull(self, url: str, about: dict) -> None:
        if about["kind"] == "git":
            folder = repository_folder(about["source"])
            try:
                await asyncio.to_thread(pull_git, about["source"], self.home / folder)
            except (subprocess.CalledProcessError, OSError, ValueError) as error:
                self.log.warning("workshop materials from %s: %s", about["source"], error)
                return  # tried again at the next check
            self.version = about["version"]
            self.log.info("workshop materials v%d pulled into ~/%s", self.version, folder)
            return
        reply = await send_async(self.http, "GET", url + "/files")
        if reply.is_error:
            self.log.warning("workshop materials: %s", message_of(reply))
            return
        files = {p: base64.b64decode(c) for p, c in reply.json()["files"].items()}
        written = merge(self.home, about["event"], about["source"], files)
        self.version = about["version"]
        self.log.info(
            "workshop materials v%d merged into ~/%s (%d files written)",
            self.version,
            about["source"],
            len(written),
        )
