"""Published apps on disk: one snapshot folder per version, metadata in SQLite.

Layout under the store's root (the hub state folder's `apps/`):
    apps.sqlite                          metadata (private to the hub's account)
    snapshots/<author>/<name>/v<N>/      app.ipynb and the files it names, read-only
As root, everything under snapshots/<author>/ belongs to root and to the group of that
author's apps account (folders 0750, files 0640): the author's apps read it, nobody else
(no other user's server, no other author's apps) can even list it.
A version's folder is written completely, synced, and renamed into place before its
row is committed, so an acknowledged publication survives a crash whole.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .model import NOTEBOOK_FILE, NotFound, Publication, Share, check_name

SCHEMA = """
CREATE TABLE IF NOT EXISTS apps (
    author TEXT NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    share TEXT NOT NULL,
    version INTEGER NOT NULL,
    published_at REAL NOT NULL,
    ok INTEGER NOT NULL DEFAULT 1,
    error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (author, name)
);
CREATE TABLE IF NOT EXISTS versions (
    author TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    published_at REAL NOT NULL,
    PRIMARY KEY (author, name, version)
);
"""


@dataclass
class App:
    author: str
    name: str
    title: str
    description: str
    share: str
    version: int
    published_at: float
    ok: bool
    error: str

    def to_dict(self) -> dict:
        return asdict(self)


def _share(path: Path, gid: int | None) -> None:
    """Read-only for the group `gid` (an author's apps account), closed to everyone else;
    without a group (not root), readable by all."""
    if gid is not None:
        os.chown(path, 0, gid, follow_symlinks=False)
    if path.is_symlink():
        return
    if path.is_dir():
        path.chmod(0o750 if gid is not None else 0o755)
    else:
        path.chmod(0o640 if gid is not None else 0o644)


def _write_synced(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


class AppStore:
    """`group_of(author)`: the group of the author's apps account (as root). The author's
    snapshots are then readable by that group only; without it (not root) they are
    0644/0755 under folders that others can traverse but not list."""

    def __init__(self, root: Path, group_of: Callable[[str], int | None] | None = None) -> None:
        self.root = Path(root)
        self.group_of = group_of
        self.snapshots = self.root / "snapshots"
        self.snapshots.mkdir(parents=True, exist_ok=True)
        # The apps' accounts must reach the snapshots, never the database.
        for folder in (self.root, self.snapshots):
            folder.chmod(0o711)
        self.db = sqlite3.connect(self.root / "apps.sqlite", isolation_level=None)
        (self.root / "apps.sqlite").chmod(0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def folder(self, author: str, name: str, version: int) -> Path:
        return self.snapshots / author / name / f"v{version}"

    def notebook(self, app: App) -> Path:
        return self.folder(app.author, app.name, app.version) / NOTEBOOK_FILE

    def get(self, author: str, name: str) -> App:
        row = self.db.execute(
            "SELECT * FROM apps WHERE author = ? AND name = ?", (author, name)
        ).fetchone()
        if row is None:
            raise NotFound(f"no app {author}/{name}")
        return App(*row[:7], bool(row[7]), row[8])

    def list(self) -> list[App]:
        rows = self.db.execute("SELECT * FROM apps ORDER BY published_at DESC").fetchall()
        return [App(*row[:7], bool(row[7]), row[8]) for row in rows]

    def versions(self, author: str, name: str) -> list[dict]:
        rows = self.db.execute(
            "SELECT version, published_at FROM versions WHERE author = ? AND name = ? "
            "ORDER BY version",
            (author, name),
        ).fetchall()
        return [{"version": v, "published_at": t} for v, t in rows]

    def publish(self, author: str, name: str, publication: Publication) -> App:
        """Store a new version (1 for a new app) and make it the current one."""
        check_name(name)
        row = self.db.execute(
            "SELECT MAX(version) FROM versions WHERE author = ? AND name = ?", (author, name)
        ).fetchone()
        version = (row[0] or 0) + 1
        final = self.folder(author, name, version)
        staging = final.with_name(f".staging-v{version}-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        gid = self._gid(author)
        # The app's folders are closed before anything is written into them.
        for folder in (final.parent.parent, final.parent):
            folder.mkdir(mode=0o700, exist_ok=True)
            _share(folder, gid)
        _write_synced(staging / NOTEBOOK_FILE, publication.notebook)
        for path, content in publication.files.items():
            _write_synced(staging / path, content)
        for path in [staging, *staging.rglob("*")]:
            _share(path, gid)
        staging.rename(final)
        now = time.time()
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT INTO versions VALUES (?, ?, ?, ?)", (author, name, version, now)
            )
            self.db.execute(
                "INSERT OR REPLACE INTO apps VALUES (?, ?, ?, ?, ?, ?, ?, 1, '')",
                (
                    author,
                    name,
                    publication.title or name,
                    publication.description,
                    str(publication.share),
                    version,
                    now,
                ),
            )
        return self.get(author, name)

    def _gid(self, author: str) -> int | None:
        return self.group_of(author) if self.group_of else None

    def authors(self) -> set[str]:
        return {author for (author,) in self.db.execute("SELECT DISTINCT author FROM apps")}

    def close(self, author: str, gid: int | None) -> None:
        """Give all of `author`'s snapshots to the group `gid` (see `_share`): snapshots
        written by an older version were world-readable."""
        folder = self.snapshots / author
        if folder.exists():
            for path in [folder, *folder.rglob("*")]:
                _share(path, gid)

    def set_check(self, author: str, name: str, version: int, ok: bool, error: str) -> None:
        """Record the result of the trial run of `version` (ignored if superseded)."""
        self.db.execute(
            "UPDATE apps SET ok = ?, error = ? WHERE author = ? AND name = ? AND version = ?",
            (int(ok), error, author, name, version),
        )

    def set_share(self, author: str, name: str, share: Share) -> App:
        self.get(author, name)
        self.db.execute(
            "UPDATE apps SET share = ? WHERE author = ? AND name = ?", (str(share), author, name)
        )
        return self.get(author, name)

    def unpublish(self, author: str, name: str) -> None:
        """Remove the app, all its versions and their snapshots."""
        self.get(author, name)
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM apps WHERE author = ? AND name = ?", (author, name))
            self.db.execute("DELETE FROM versions WHERE author = ? AND name = ?", (author, name))
        shutil.rmtree(self.snapshots / author / name, ignore_errors=True)
