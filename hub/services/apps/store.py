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
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)

from ..base.database import database_engine
from .errors import NotFound
from .model import NOTEBOOK_FILE, Publication, check_name

# The tables as the store wrote them with raw sqlite3 before SQLAlchemy: existing
# apps.sqlite files open as they are (create_all skips tables that exist).
metadata = MetaData()
apps = Table(
    "apps",
    metadata,
    Column("author", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("share", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("published_at", Float, nullable=False),
    Column("ok", Boolean, nullable=False, default=True),
    Column("error", Text, nullable=False, default=""),
    Column("source", Text, nullable=False, default=""),
    PrimaryKeyConstraint("author", "name"),
)
versions = Table(
    "versions",
    metadata,
    Column("author", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("published_at", Float, nullable=False),
    PrimaryKeyConstraint("author", "name", "version"),
)


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
    #: The notebook's path in the author's server ("" if not known).
    source: str = ""

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


def _app_is(author: str, name: str) -> tuple:
    return apps.c.author == author, apps.c.name == name


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
        database = self.root / "apps.sqlite"
        self.engine = database_engine(f"sqlite:///{database}")
        metadata.create_all(self.engine)
        self._add_source_column()
        database.chmod(0o600)

    def _add_source_column(self) -> None:
        """Databases written before apps knew their notebook's path get the column."""
        if "source" not in {c["name"] for c in inspect(self.engine).get_columns("apps")}:
            with self.engine.begin() as conn:
                conn.execute(text("ALTER TABLE apps ADD COLUMN source TEXT NOT NULL DEFAULT ''"))

    def folder(self, author: str, name: str, version: int) -> Path:
        return self.snapshots / author / name / f"v{version}"

    def notebook(self, app: App) -> Path:
        return self.folder(app.author, app.name, app.version) / NOTEBOOK_FILE

    def get(self, author: str, name: str) -> App:
        with self.engine.connect() as conn:
            row = conn.execute(select(apps).where(*_app_is(author, name))).mappings().first()
        if row is None:
            raise NotFound(f"no app {author}/{name}")
        return App(**row)

    def list(self) -> list[App]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(apps).order_by(apps.c.published_at.desc())).mappings()
            return [App(**row) for row in rows]

    def versions(self, author: str, name: str) -> list[dict]:
        query = (
            select(versions.c.version, versions.c.published_at)
            .where(versions.c.author == author, versions.c.name == name)
            .order_by(versions.c.version)
        )
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def publish(self, author: str, name: str, publication: Publication) -> App:
        """Store a new version (1 for a new app) and make it the current one, with the
        previous version's title, description and share where the publication has none."""
        check_name(name)
        try:
            previous: App | None = self.get(author, name)
        except NotFound:
            previous = None
        latest = select(func.max(versions.c.version)).where(
            versions.c.author == author, versions.c.name == name
        )
        with self.engine.connect() as conn:
            version = (conn.scalar(latest) or 0) + 1
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
        description = publication.description
        if description is None:
            description = previous.description if previous else ""
        row = {
            "title": publication.title
            or (previous.title if previous else publication.notebook_title[:200] or name),
            "description": description,
            "share": str(publication.share or (previous.share if previous else "hub")),
            "version": version,
            "published_at": now,
            "ok": True,
            "error": "",
            "source": publication.source
            if publication.source is not None
            else (previous.source if previous else ""),
        }
        with self.engine.begin() as conn:
            conn.execute(
                insert(versions).values(author=author, name=name, version=version, published_at=now)
            )
            conn.execute(delete(apps).where(*_app_is(author, name)))
            conn.execute(insert(apps).values(author=author, name=name, **row))
        return self.get(author, name)

    def _gid(self, author: str) -> int | None:
        return self.group_of(author) if self.group_of else None

    def authors(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(apps.c.author).distinct()))

    def close(self, author: str, gid: int | None) -> None:
        """Give all of `author`'s snapshots to the group `gid` (see `_share`): snapshots
        written by an older version were world-readable."""
        folder = self.snapshots / author
        if folder.exists():
            for path in [folder, *folder.rglob("*")]:
                _share(path, gid)

    def set_check(self, author: str, name: str, version: int, ok: bool, error: str) -> None:
        """Record the result of the trial run of `version` (ignored if superseded)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(apps)
                .where(*_app_is(author, name), apps.c.version == version)
                .values(ok=ok, error=error)
            )

    def change(self, author: str, name: str, change: dict[str, str]) -> App:
        """Set the title, description or share (model.parse_change) of the current version."""
        self.get(author, name)
        with self.engine.begin() as conn:
            conn.execute(update(apps).where(*_app_is(author, name)).values(**change))
        return self.get(author, name)

    def unpublish(self, author: str, name: str) -> None:
        """Remove the app, all its versions and their snapshots."""
        self.get(author, name)
        with self.engine.begin() as conn:
            conn.execute(delete(apps).where(*_app_is(author, name)))
            conn.execute(
                delete(versions).where(versions.c.author == author, versions.c.name == name)
            )
        shutil.rmtree(self.snapshots / author / name, ignore_errors=True)
