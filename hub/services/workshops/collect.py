"""Collecting a notebook from every attendee into the trainer's home, as
``~/collected/<event>/<display name or account>/<path>`` (the home's folder or volume:
homes.py). The file comes from each attendee's server's contents API (live.py), never
from their home on disk; it is written as the trainer's own file (owned as the home is:
the trainer's system user locally, the image's user in a volume)."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import InvalidRequest

MAX_PATH = 500
UNSAFE = re.compile(r"[^\w .,()+-]")


def checked_path(value: Any) -> str:
    """A path relative to an attendee's home, or `InvalidRequest` naming ``path``."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_PATH:
        raise InvalidRequest(f"path must be a file path of 1 to {MAX_PATH} characters", "path")
    path = PurePosixPath(value.strip())
    if path.is_absolute() or any(part.startswith(".") for part in path.parts):
        raise InvalidRequest("path: a file relative to the home, no '..', nothing hidden", "path")
    return str(path)


def folder_names(attendees: list[tuple[str, str]]) -> dict[str, str]:
    """account -> the folder of their copy: their display name made safe for a file
    name, or their account when that is empty or another attendee's too."""
    safe = {account: UNSAFE.sub("_", name).strip(" .") for account, name in attendees}
    counts: dict[str, int] = {}
    for name in safe.values():
        counts[name] = counts.get(name, 0) + 1
    return {
        account: name if name and counts[name] == 1 else account for account, name in safe.items()
    }


def content_bytes(model: dict[str, Any]) -> bytes:
    """A contents API model's content as the bytes of the file."""
    if model.get("type") == "notebook":
        return (json.dumps(model["content"], indent=1) + "\n").encode()
    if model.get("type") != "file":
        raise InvalidRequest(f"{model.get('path')!r} is a {model.get('type')}, not a file", "path")
    if model.get("format") == "base64":
        return base64.b64decode(model["content"])
    return str(model["content"]).encode()


def write_as_owner(home: Path, relative: PurePosixPath, data: bytes) -> Path:
    """Write ``home/relative``, folders included, owned as ``home`` is (the service runs
    as the hub's account, root when servers run as their users or in containers)."""
    owner = home.stat()
    target = home.joinpath(*relative.parts)
    folder = home
    for part in relative.parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            raise InvalidRequest(f"{folder} is a symbolic link", "path")
        if not folder.exists():
            folder.mkdir()
            if os.geteuid() == 0:
                os.chown(folder, owner.st_uid, owner.st_gid)
    if target.is_symlink():
        target.unlink()
    target.write_bytes(data)
    if os.geteuid() == 0:
        os.chown(target, owner.st_uid, owner.st_gid)
    return target
