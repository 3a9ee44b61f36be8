"""An event's materials as the service keeps them: a snapshot of a folder in the trainer's
home, taken when the event is created and each time the trainer pushes an update.

The service runs as the hub's account and reads the trainer's home (homes.py: a folder
of the homes folder, or the trainer's home volume with containers); attendees' servers
fetch the snapshot over HTTP (`api/materials`) and merge it into their homes themselves,
as their own user, by nbgitpuller's rules (echoes/materials.py). Only regular files are
copied: a symbolic link in the trainer's folder is skipped, so it cannot point the
service at another's files.
"""

from __future__ import annotations

import base64
import os
import shutil
import stat
from pathlib import Path

from .errors import InvalidEvent
from .homes import Homes

#: The most a snapshot holds: materials are notebooks and small data, not data sets
#: (those belong in the shared heritage data).
MAX_BYTES = 50 * 1024 * 1024
MAX_FILES = 2000


def source_folder(homes: Homes, trainer: str, folder: str) -> Path:
    """The trainer's folder, refused (400, field materials) when it is not there. A
    symbolic link on the way must stay in the home: in a volume, a link the container
    reads as /home/... would point elsewhere on the host."""
    home = homes.folder(trainer)
    path = home / folder if home else None
    if path is None or path.is_symlink() or not path.is_dir():
        raise InvalidEvent(f"no folder {folder!r} in {trainer}'s home", "materials")
    if not path.resolve().is_relative_to(home.resolve()):
        raise InvalidEvent(f"{folder!r} leads out of {trainer}'s home", "materials")
    return path


def take_snapshot(source: Path, target: Path) -> int:
    """Copy the regular files under `source` to `target` (replaced whole); the count."""
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    total = count = 0
    for folder, folders, files in os.walk(source, followlinks=False):
        folders[:] = [f for f in folders if not f.startswith(".")]  # .git, checkpoints
        for name in files:
            path = Path(folder) / name
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or name.startswith("."):
                continue
            total, count = total + info.st_size, count + 1
            if total > MAX_BYTES or count > MAX_FILES:
                shutil.rmtree(staging, ignore_errors=True)
                raise InvalidEvent(
                    f"the materials hold more than {MAX_FILES} files or {MAX_BYTES // 2**20} MB",
                    "materials",
                )
            copy = staging / path.relative_to(source)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy, follow_symlinks=False)
    staging.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return count


def snapshot_files(target: Path) -> dict[str, str]:
    """The snapshot's files, path -> base64 content."""
    return {
        str(path.relative_to(target)): base64.b64encode(path.read_bytes()).decode()
        for path in sorted(target.rglob("*"))
        if path.is_file()
    }
