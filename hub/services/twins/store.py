"""The twins' store: the data build's N-Quads in pyoxigraph, reloaded when the build changes.

The data build (catalogs/twins.py) writes under ``<data>/twins/`` each collection's records
(``<collection>.json``, Linked Art as built), their N-Quads (``<collection>.nq``: the
named graph ``urn:echoes:graph:<collection>`` and ``urn:echoes:graph:provenance``) and
``index.json``. A load puts every N-Quads file, named graphs as they are, into a fresh
store folder under the hub's state folder (`TwinsApp.store_dir`), in a process of its own
that exits when done (so the store is closed, whole, before any reader opens it), and
reads the records. Then a new worker pool on that store replaces the old one in one
assignment: a query runs wholly on the old store or wholly on the new, never on half a
load. The build's fingerprint (``BUILD.json``) says when to load again; it is read before
and after a load, and a load that a rebuild overtook is dropped and done again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..tether import die_with_parent
from .errors import Loading, NotFound
from .query import Reply, Request
from .workers import SPAWN, Pool, Retired

log = logging.getLogger(__name__)

BUILD_STAMP = "BUILD.json"
FOLDER = "twins"
INDEX = "index.json"
OBJECT = "urn:echoes:object:"


def build_fingerprint(data_dir: Path) -> str | None:
    """The fingerprint of the data build in ``data_dir`` (None: no build, or no twins)."""
    try:
        stamp = json.loads((data_dir / BUILD_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp.get("fingerprint") if (data_dir / FOLDER / INDEX).is_file() else None


def load_nquads(files: list[str], path: str) -> None:
    """Make the store at ``path`` from the N-Quads ``files`` (run in a process of its own)."""
    import pyoxigraph

    die_with_parent()
    store = pyoxigraph.Store(path)
    for file in files:
        store.bulk_load(path=file, format=pyoxigraph.RdfFormat.N_QUADS)
    store.flush()


def load_store(data_dir: Path, path: Path) -> None:
    """Load the twins of ``data_dir`` into a new store at ``path``, in a child process."""
    files = sorted(str(f) for f in (data_dir / FOLDER).glob("*.nq"))
    process = SPAWN.Process(target=load_nquads, args=(files, str(path)), name="echoes-twins-load")
    process.start()
    process.join()
    if process.exitcode != 0:
        shutil.rmtree(path, ignore_errors=True)
        raise RuntimeError(f"loading the twins of {data_dir} failed (exit {process.exitcode})")


def read_records(data_dir: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The index of collections and, per collection, its records by local id."""
    folder = data_dir / FOLDER
    index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    records = {
        name: json.loads((folder / f"{name}.json").read_text(encoding="utf-8")) for name in index
    }
    return index, records


@dataclass
class Snapshot:
    """One load: its build's fingerprint, the records and the pool on its store."""

    fingerprint: str | None
    pool: Pool
    index: dict[str, Any] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)


class Twins:
    """The current snapshot of the data folder's twins, and the queries on it."""

    def __init__(self, data_dir: Path, store_dir: Path, *, workers: int, timeout: float) -> None:
        self.data_dir = Path(data_dir)
        self.store_dir = Path(store_dir)
        self.workers = workers
        self.timeout = timeout
        self._refreshing = asyncio.Lock()
        self.store_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Stores of an earlier run: nobody reads them any more (only ours: the folder may
        # be set to one that holds other things).
        for old in self.store_dir.glob("store-*"):
            shutil.rmtree(old, ignore_errors=True)
        #: Why the last load failed (None: it did not).
        self.failure: str | None = None
        self.current = Snapshot(None, Pool(None, workers, timeout))

    def check_loaded(self) -> None:
        """`Loading` while the first load of a build that exists is under way."""
        if self.current.fingerprint is None and build_fingerprint(self.data_dir) is not None:
            if self.failure:
                raise Loading(
                    f"the twins could not be loaded ({self.failure}); the hub's log says more"
                )
            raise Loading("the twins of the data build are being loaded; try again shortly")

    async def query(self, request: Request) -> Reply:
        self.check_loaded()
        while True:
            try:
                return await self.current.pool.ask(request)
            except Retired:  # a reload replaced the pool while this waited
                continue

    def record(self, collection: str, local_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The object's record as built, and its collection's index entry (or NotFound)."""
        self.check_loaded()
        snapshot = self.current
        record = snapshot.records.get(collection, {}).get(local_id)
        if record is None:
            raise NotFound(f"no object {OBJECT}{collection}/{local_id}", "id")
        return record, snapshot.index[collection]

    async def object_rdf(self, collection: str, local_id: str, accept: str | None) -> Reply:
        """The object's triples (its concise bounded description and its source
        record's, in its collection's graph) in the syntax ``accept`` asks for."""
        record, entry = self.record(collection, local_id)
        described = " ".join(f"<{iri}>" for iri in [record["id"], *source_records(record)])
        query = f"DESCRIBE {described} FROM <{entry['graph']}>"
        return await self.query(Request(query, accept))

    async def refresh(self) -> bool:
        """Load the data build if it changed since the last load; True when it did."""
        if self._refreshing.locked():
            return False
        async with self._refreshing:
            fingerprint = build_fingerprint(self.data_dir)
            if fingerprint == self.current.fingerprint:
                return False
            loop = asyncio.get_running_loop()
            old = self.current
            if fingerprint is None:  # the build went away: an empty store
                self.current = Snapshot(None, Pool(None, self.workers, self.timeout))
                old.pool.retire()
                return True
            path = self.store_dir / f"store-{fingerprint[:12]}-{uuid.uuid4().hex[:6]}"
            try:
                await loop.run_in_executor(None, load_store, self.data_dir, path)
                index, records = await loop.run_in_executor(None, read_records, self.data_dir)
            except (OSError, ValueError, KeyError, RuntimeError) as error:
                log.error("could not load the twins of %s: %s", self.data_dir, error)
                self.failure = str(error)
                shutil.rmtree(path, ignore_errors=True)
                return False
            if build_fingerprint(self.data_dir) != fingerprint:  # rebuilt meanwhile
                shutil.rmtree(path, ignore_errors=True)
                return False
            self.failure = None
            self.current = Snapshot(
                fingerprint, Pool(path, self.workers, self.timeout), index, records
            )
            old.pool.retire()
            objects = sum(len(r) for r in records.values())
            log.info("twins of build %s loaded: %d objects", fingerprint[:12], objects)
            return True

    def close(self) -> None:
        self.current.pool.close()


def source_records(record: dict[str, Any]) -> list[str]:
    """The IRIs of the source records an object's twin was made from."""
    return [s["id"] for s in record.get("subject_of", []) if "id" in s]
