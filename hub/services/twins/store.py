"""The twins' store: the data build's N-Quads and the public interpretations, in pyoxigraph.

The data build (catalogs/twins.py) writes under ``<data>/twins/`` each collection's records
(``<collection>.json``, Linked Art as built), their N-Quads (``<collection>.nq``: the
named graph ``urn:echoes:graph:<collection>`` and ``urn:echoes:graph:provenance``) and
``index.json``. A load puts every N-Quads file, named graphs as they are, into a fresh
store folder under the hub's state folder (`TwinsApp.store_dir`), in a process of its own
that exits when done, and reads the records. The service then opens that store for
writing (the only process that does) and adds the interpretations it holds (`commons`),
as it adds each new one the annotation service's feed brings (`take`).

Queries never read the store being written: they run in worker processes on a
**snapshot**, a checkpoint of the store (`Store.backup`: hard links to its immutable
files, so it costs milliseconds, not a copy), made after each batch of changes, at most
every `TwinsService.publish_interval` seconds. A query runs wholly on one snapshot. The
build's fingerprint (``BUILD.json``) says when to load again; it is read before and after
a load, and a load that a rebuild overtook is dropped and done again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph

from ..tether import die_with_parent
from .commons import Commons
from .errors import Loading, NotFound
from .interpretations import ObjectIndex, Quad
from .query import Reply, Request
from .workers import SPAWN, Pool

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
    """One data build as loaded: its fingerprint, the records and where annotations find
    its objects."""

    fingerprint: str | None
    index: dict[str, Any] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: ObjectIndex = field(default_factory=ObjectIndex)


def as_quad(quad: Quad) -> pyoxigraph.Quad:
    return pyoxigraph.Quad(*(term(t) for t in quad))


def term(value: tuple) -> pyoxigraph.NamedNode | pyoxigraph.Literal:
    if value[0] == "iri":
        return pyoxigraph.NamedNode(value[1])
    if len(value) == 3:
        return pyoxigraph.Literal(value[1], datatype=pyoxigraph.NamedNode(value[2]))
    return pyoxigraph.Literal(value[1])


class Twins:
    """The data folder's twins and the public interpretations: the store written here,
    its newest snapshot, and the queries on it."""

    def __init__(
        self,
        data_dir: Path,
        store_dir: Path,
        *,
        workers: int,
        timeout: float,
        publish_interval: float = 1.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.store_dir = Path(store_dir)
        self.publish_interval = publish_interval
        self._writing = asyncio.Lock()
        self.store_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Stores of an earlier run: nobody reads them any more (only ours: the folder may
        # be set to one that holds other things). The interpretations come again from
        # the annotation service's feed.
        for old in [*self.store_dir.glob("store-*"), *self.store_dir.glob("snapshot-*")]:
            shutil.rmtree(old, ignore_errors=True)
        #: Why the last load failed (None: it did not).
        self.failure: str | None = None
        self.current = Snapshot(None)
        self.commons = Commons(self.current.objects)
        self.pool = Pool(None, workers, timeout)
        #: The store written (by one thread, `writer`), and its folder.
        self.store: pyoxigraph.Store | None = None
        self.store_path: Path | None = None
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="twins-writer")
        self._snapshots = 0
        self._unpublished = asyncio.Event()
        self._publisher: asyncio.Task | None = None

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
        return await self.pool.ask(request)

    def record(self, collection: str, local_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The object's record as built, and its collection's index entry (or NotFound)."""
        self.check_loaded()
        snapshot = self.current
        record = snapshot.records.get(collection, {}).get(local_id)
        if record is None:
            raise NotFound(f"no object {OBJECT}{collection}/{local_id}", "id")
        return record, snapshot.index[collection]

    def interpretations(self, collection: str, local_id: str) -> list[dict[str, Any]]:
        """The public interpretations of the object (NotFound for no such object)."""
        record, _ = self.record(collection, local_id)
        return self.commons.interpretations(record["id"])

    async def object_rdf(self, collection: str, local_id: str, accept: str | None) -> Reply:
        """The object's triples (its concise bounded description and its source
        record's, in its collection's graph) in the syntax ``accept`` asks for."""
        record, entry = self.record(collection, local_id)
        described = " ".join(f"<{iri}>" for iri in [record["id"], *source_records(record)])
        query = f"DESCRIBE {described} FROM <{entry['graph']}>"
        return await self.query(Request(query, accept))

    def sources_graphs(self) -> tuple[str, ...]:
        """The collections' graphs: what their institutions' records say."""
        return tuple(entry["graph"] for entry in self.current.index.values())

    # --- writing -----------------------------------------------------------------------

    async def in_writer(self, operation: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.writer, operation, *args)

    def write(self, removed: list[Quad], added: list[Quad]) -> None:
        if self.store is None:
            return
        for quad in removed:
            self.store.remove(as_quad(quad))
        self.store.extend(as_quad(q) for q in added)

    async def take(self, changes: list[dict[str, Any]]) -> None:
        """Take entries of the annotation service's change feed into the graph."""
        async with self._writing:
            removed: list[Quad] = []
            added: list[Quad] = []
            for entry in changes:
                gone, new = self.commons.apply(entry)
                removed += gone
                added += new
            if removed or added:
                await self.in_writer(self.write, removed, added)
                self._unpublished.set()

    def checkpoint(self) -> Path | None:
        """A new snapshot of the store (in the writer thread)."""
        if self.store is None:
            return None
        self._snapshots += 1
        path = self.store_dir / f"snapshot-{self._snapshots}"
        self.store.flush()
        self.store.backup(str(path))
        return path

    async def publish(self) -> None:
        """Let queries see what was written: a snapshot, then the workers move to it."""
        path = await self.in_writer(self.checkpoint)
        if path is not None:
            self.pool.switch(path)

    async def publishing(self) -> None:
        """Publish what was written, at most every `publish_interval` seconds."""
        while True:
            await self._unpublished.wait()
            self._unpublished.clear()
            async with self._writing:
                await self.publish()
            await asyncio.sleep(self.publish_interval)

    def start(self) -> None:
        if self._publisher is None:
            self._publisher = asyncio.get_running_loop().create_task(self.publishing())

    # --- loading -----------------------------------------------------------------------

    def open_loaded(self, path: Path, quads: list[Quad]) -> pyoxigraph.Store:
        """Open the freshly loaded store at ``path`` for writing, with ``quads`` added."""
        store = pyoxigraph.Store(str(path))
        store.extend(as_quad(q) for q in quads)
        return store

    async def refresh(self) -> bool:
        """Load the data build if it changed since the last load; True when it did."""
        if self._writing.locked():
            return False
        fingerprint = build_fingerprint(self.data_dir)
        if fingerprint == self.current.fingerprint:
            return False
        async with self._writing:
            loop = asyncio.get_running_loop()
            if fingerprint is None:  # the build went away: an empty store
                self.current = Snapshot(None)
                self.commons.rebuilt(self.current.objects)
                await self.in_writer(self.close_store)
                self.pool.switch(None)
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
            snapshot = Snapshot(fingerprint, index, records, ObjectIndex.of(index, records))
            quads = self.commons.rebuilt(snapshot.objects)
            store = await self.in_writer(self.open_loaded, path, quads)
            await self.in_writer(self.close_store)
            self.store, self.store_path = store, path
            published = await self.in_writer(self.checkpoint)
            # The records and the snapshot queries read change in one step.
            self.failure = None
            self.current = snapshot
            self.pool.switch(published)
            objects = sum(len(r) for r in records.values())
            log.info("twins of build %s loaded: %d objects", fingerprint[:12], objects)
            return True

    def close_store(self) -> None:
        """Close the store written (in the writer thread) and remove it."""
        if self.store is not None:
            self.store.flush()
            self.store = None  # closed when dropped
        if self.store_path is not None:
            shutil.rmtree(self.store_path, ignore_errors=True)
            self.store_path = None

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.cancel()
        self.writer.submit(self.close_store).result()
        self.writer.shutdown()
        self.pool.close()


def source_records(record: dict[str, Any]) -> list[str]:
    """The IRIs of the source records an object's twin was made from."""
    return [s["id"] for s in record.get("subject_of", []) if "id" in s]
