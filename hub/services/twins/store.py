"""The twins: the data build's records and graph, and the public interpretations.

The data build (catalogs/twins.py) writes under ``<data>/twins/`` each collection's records
(``<collection>.json``, Linked Art as built), their N-Quads (``<collection>.nq``: the
named graph ``urn:echoes:graph:<collection>`` and ``urn:echoes:graph:provenance``) and
``index.json``. `Twins` reads the records and has the graph (`backends`: the embedded
pyoxigraph store, or an Oxigraph server) load the N-Quads with the interpretations it
holds (`commons`), then shows both in one step; it adds each change the annotation
service's feed brings (`take`), and lets queries see them at most every
`TwinsService.publish_interval` seconds (`publish`). The build's fingerprint
(``BUILD.json``) says when to load again; it is read before and after a load, and a load
that a rebuild overtook is dropped and done again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .backends import Embedded, Server
from .commons import Commons
from .errors import Loading, NotFound, QueryFailed
from .interpretations import ObjectIndex, Quad
from .query import Reply, Request

log = logging.getLogger(__name__)

BUILD_STAMP = "BUILD.json"
FOLDER = "twins"
INDEX = "index.json"
OBJECT = "urn:echoes:object:"


def build_stamp(data_dir: Path) -> dict[str, Any]:
    """The data build's stamp (``BUILD.json``: its fingerprint, when it was built); empty
    for none."""
    try:
        stamp = json.loads((data_dir / BUILD_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def build_fingerprint(data_dir: Path) -> str | None:
    """The fingerprint of the data build in ``data_dir`` (None: no build, or no twins)."""
    stamp = build_stamp(data_dir)
    return stamp.get("fingerprint") if (data_dir / FOLDER / INDEX).is_file() else None


def build_time(data_dir: Path) -> datetime:
    """When the data build in ``data_dir`` was made (its stamp's ``built``; else the
    stamp file's time): the datestamp its records are harvested with."""
    try:
        return datetime.fromisoformat(build_stamp(data_dir)["built"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        try:
            return datetime.fromtimestamp((data_dir / BUILD_STAMP).stat().st_mtime, UTC)
        except OSError:
            return datetime.now(UTC)


def read_records(roots: list[Path]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The index of collections and, per collection, its records by local id, of each
    folder of ``roots`` that has twins (the data build first, then the harvest). Each
    index entry says when its folder was built (``built``, an ISO time): its records'
    datestamp for harvesters. A collection a folder before already has is left out."""
    index: dict[str, Any] = {}
    records: dict[str, dict[str, Any]] = {}
    for root in roots:
        folder = root / FOLDER
        if not (folder / INDEX).is_file():
            continue
        built = build_time(root).isoformat()
        for name, entry in json.loads((folder / INDEX).read_text(encoding="utf-8")).items():
            if name in index:
                log.warning("collection %s of %s left out: an earlier folder has it", name, root)
                continue
            index[name] = {**entry, "built": entry.get("built", built)}
            records[name] = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return index, records


def fingerprint_of(roots: list[Path]) -> str | None:
    """The fingerprint of what ``roots`` hold: the data build's (None: no build), with the
    harvest's after it when there is one."""
    prints = [build_fingerprint(root) for root in roots]
    if not prints or prints[0] is None:
        return None
    return "+".join(p for p in prints if p)


@dataclass
class Snapshot:
    """One data build as loaded: its fingerprint, the records and where annotations find
    its objects."""

    fingerprint: str | None
    index: dict[str, Any] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: ObjectIndex = field(default_factory=ObjectIndex)
    #: When the build was made (`build_time`).
    built: datetime = field(default_factory=lambda: datetime.now(UTC))


class Twins:
    """The data folder's twins and the public interpretations: the graph (`backends`:
    embedded, or an Oxigraph server), the records, and the queries."""

    def __init__(
        self,
        data_dir: Path,
        store_dir: Path,
        *,
        workers: int,
        timeout: float,
        publish_interval: float = 1.0,
        oxigraph_url: str = "",
        harvest_dir: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        #: Where the twins come from: the data build, and what was harvested (harvest/).
        self.roots = [self.data_dir, *([Path(harvest_dir)] if harvest_dir else [])]
        self.publish_interval = publish_interval
        self._writing = asyncio.Lock()
        store_dir = Path(store_dir)
        store_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.graph: Embedded | Server = (
            Server(oxigraph_url, timeout=timeout)
            if oxigraph_url
            else Embedded(store_dir, workers=workers, timeout=timeout)
        )
        #: Why the last load failed (None: it did not).
        self.failure: str | None = None
        self.current = Snapshot(None)
        # The interpretations come again from the annotation service's feed at each start.
        self.commons = Commons(self.current.objects)
        self._unpublished = asyncio.Event()
        self._publisher: asyncio.Task | None = None

    def check_loaded(self) -> None:
        """`Loading` while the first load of a build that exists is under way."""
        if self.current.fingerprint is None and fingerprint_of(self.roots) is not None:
            if self.failure:
                raise Loading(
                    f"the twins could not be loaded ({self.failure}); the hub's log says more"
                )
            raise Loading("the twins of the data build are being loaded; try again shortly")

    async def query(self, request: Request) -> Reply:
        self.check_loaded()
        return await self.graph.query(request)

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

    def analyses(self, collection: str, local_id: str) -> list[dict[str, Any]]:
        """The runs publicly linked to the object (NotFound for no such object)."""
        record, _ = self.record(collection, local_id)
        return self.commons.analyses(record["id"])

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

    # --- the change feed ---------------------------------------------------------------

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
                await self.graph.write(removed, added)
                self._unpublished.set()

    async def publish(self) -> None:
        """Let queries see what was written."""
        await self.graph.publish()

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

    async def refresh(self) -> bool:
        """Load the data build if it changed since the last load; True when it did."""
        if self._writing.locked():
            return False
        fingerprint = fingerprint_of(self.roots)
        if fingerprint == self.current.fingerprint:
            return False
        async with self._writing:
            if fingerprint is None:  # the build went away: an empty graph
                self.current = Snapshot(None)
                self.commons.rebuilt(self.current.objects)
                self.graph.show()
                return True
            loop = asyncio.get_running_loop()
            name = f"{fingerprint[:12]}-{uuid.uuid4().hex[:6]}"
            try:
                index, records = await loop.run_in_executor(None, read_records, self.roots)
                objects = ObjectIndex.of(index, records)
                built = build_time(self.data_dir)
                snapshot = Snapshot(fingerprint, index, records, objects, built)
                # The interpretations found anew among the new build's objects.
                await self.graph.load(self.roots, name, self.commons.rebuilt(snapshot.objects))
            except (OSError, ValueError, KeyError, RuntimeError, QueryFailed) as error:
                log.error("could not load the twins of %s: %s", self.data_dir, error)
                self.failure = str(error)
                self.graph.drop_loaded()
                return False
            if fingerprint_of(self.roots) != fingerprint:  # rebuilt (or harvested) meanwhile
                self.graph.drop_loaded()
                return False
            # The records and the graph queries read change in one step.
            self.failure = None
            self.current = snapshot
            self.graph.show()
            objects = sum(len(r) for r in records.values())
            log.info("twins of build %s loaded: %d objects", fingerprint[:12], objects)
            return True

    async def caught_up(self, timeout: float = 60) -> None:
        """Return once what is on disk now is what queries read (a contribution just
        published is served when its contributor is sent to it), or after ``timeout``."""
        wanted = fingerprint_of(self.roots)
        deadline = time.monotonic() + timeout
        while self.current.fingerprint != wanted and time.monotonic() < deadline:
            if not await self.refresh():  # one under way, or it failed: look again soon
                await asyncio.sleep(0.5)

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.cancel()
        self.graph.close()


def source_records(record: dict[str, Any]) -> list[str]:
    """The IRIs of the source records an object's twin was made from."""
    return [s["id"] for s in record.get("subject_of", []) if "id" in s]
