"""Where the graph lives: the embedded pyoxigraph store (the default) or an Oxigraph server.

Both take the same four operations from `store.Twins`, so the service is the same code
either way: `load` a data build (with the interpretations' quads) without showing it yet,
`show` it (in one step with the records), `write` the quads the change feed removes and
adds, `publish` what was written, and `query`.

- `Embedded`: a store in the hub's state folder that only this service writes, by one
  thread; queries run in worker processes on a checkpoint of it (workers.py), each with
  the timeout pyoxigraph lacks. A build is loaded into a fresh store by a process of its
  own; `show` moves the workers to it at once.
- `Server`: an Oxigraph server (``oxigraph serve``, the same engine as a server of its
  own, for a graph larger than one machine's service should hold), over its SPARQL 1.1
  Protocol and Graph Store Protocol. A build replaces each collection's graph in turn (one
  atomic PUT each); interpretations are SPARQL updates; queries are forwarded with the
  protocol's dataset parameters and Accept, and answered as the server answers them, past
  `TwinsService.query_timeout` with `QueryTimeout` (start the server with
  ``--timeout-s`` as large, so that it stops the query too). Writes are seen at once.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from ..tether import die_with_parent
from .errors import BadQuery, NotAcceptable, QueryFailed, QueryTimeout
from .interpretations import Quad
from .query import Reply, Request
from .workers import SPAWN, Pool

log = logging.getLogger(__name__)
FOLDER = "twins"
#: How the Oxigraph server ends a reply whose query it stopped at its --timeout-s.
CANCELLED = b"The SPARQL operation has been cancelled"


def as_quad(quad: Quad) -> pyoxigraph.Quad:
    return pyoxigraph.Quad(*(term(t) for t in quad))


def term(value: tuple) -> pyoxigraph.NamedNode | pyoxigraph.Literal:
    if value[0] == "iri":
        return pyoxigraph.NamedNode(value[1])
    if len(value) == 3:
        return pyoxigraph.Literal(value[1], datatype=pyoxigraph.NamedNode(value[2]))
    return pyoxigraph.Literal(value[1])


def nquads_files(roots: list[Path]) -> list[str]:
    """The N-Quads of the twins of each folder of ``roots`` (the data build, the harvest)."""
    return [str(f) for root in roots for f in sorted((root / FOLDER).glob("*.nq"))]


def load_nquads(files: list[str], path: str) -> None:
    """Make the store at ``path`` from the N-Quads ``files`` (run in a process of its own)."""
    die_with_parent()
    store = pyoxigraph.Store(path)
    for file in files:
        store.bulk_load(path=file, format=pyoxigraph.RdfFormat.N_QUADS)
    store.flush()


class Embedded:
    """The pyoxigraph store in ``store_dir``, and the query workers on its snapshots."""

    def __init__(self, store_dir: Path, *, workers: int, timeout: float) -> None:
        self.store_dir = store_dir
        # Stores of an earlier run: nobody reads them any more (only ours: the folder may
        # be set to one that holds other things).
        for old in [*store_dir.glob("store-*"), *store_dir.glob("snapshot-*")]:
            shutil.rmtree(old, ignore_errors=True)
        self.pool = Pool(None, workers, timeout)
        #: The store written (by one thread, `writer`), and its folder.
        self.store: pyoxigraph.Store | None = None
        self.path: Path | None = None
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="twins-writer")
        self.snapshots = 0
        self.loaded: tuple[pyoxigraph.Store, Path, Path] | None = None

    async def in_writer(self, operation: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.writer, operation, *args)

    async def load(self, roots: list[Path], name: str, quads: list[Quad]) -> None:
        """Load the twins of ``roots`` and ``quads`` into a new store (not shown yet)."""
        path = self.store_dir / f"store-{name}"
        files = nquads_files(roots)
        process = SPAWN.Process(
            target=load_nquads, args=(files, str(path)), name="echoes-twins-load"
        )
        process.start()
        await asyncio.get_running_loop().run_in_executor(None, process.join)
        if process.exitcode != 0:
            shutil.rmtree(path, ignore_errors=True)
            raise RuntimeError(f"loading the twins of {files} failed (exit {process.exitcode})")
        store = await self.in_writer(self._open, path, quads)
        self.loaded = (store, path, await self.in_writer(self._checkpoint, store))

    def drop_loaded(self) -> None:
        if self.loaded is not None:
            shutil.rmtree(self.loaded[1], ignore_errors=True)
            shutil.rmtree(self.loaded[2], ignore_errors=True)
            self.loaded = None

    def show(self) -> None:
        """Queries from now on read the build `load` loaded (none any more: an empty
        store); the old store goes."""
        loaded, self.loaded = self.loaded, None
        self.writer.submit(self._close).result()
        snapshot = None
        if loaded is not None:
            self.store, self.path, snapshot = loaded
        self.pool.switch(snapshot)

    def _open(self, path: Path, quads: list[Quad]) -> pyoxigraph.Store:
        store = pyoxigraph.Store(str(path))
        store.extend(as_quad(q) for q in quads)
        return store

    def _checkpoint(self, store: pyoxigraph.Store) -> Path:
        self.snapshots += 1
        path = self.store_dir / f"snapshot-{self.snapshots}"
        store.flush()
        store.backup(str(path))  # hard links to its immutable files: milliseconds
        return path

    def _close(self) -> None:
        if self.store is not None:
            self.store.flush()
            self.store = None  # closed when dropped
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None

    def _write(self, removed: list[Quad], added: list[Quad]) -> None:
        if self.store is None:
            return
        for quad in removed:
            self.store.remove(as_quad(quad))
        self.store.extend(as_quad(q) for q in added)

    async def write(self, removed: list[Quad], added: list[Quad]) -> None:
        await self.in_writer(self._write, removed, added)

    async def publish(self) -> None:
        """A snapshot of what was written, which the workers move to between queries."""
        if self.store is not None:
            self.pool.switch(await self.in_writer(self._checkpoint, self.store))

    async def query(self, request: Request) -> Reply:
        return await self.pool.ask(request)

    def close(self) -> None:
        self.writer.submit(self._close).result()
        self.writer.shutdown()
        self.drop_loaded()
        self.pool.close()


def _nt(quad: Quad) -> str:
    q = as_quad(quad)
    return f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}"


def graphs_of(files: list[str]) -> dict[str, list[pyoxigraph.Triple]]:
    """The triples of each named graph of the N-Quads ``files``."""
    found: dict[str, list[pyoxigraph.Triple]] = {}
    for file in files:
        for quad in pyoxigraph.parse(path=file, format=pyoxigraph.RdfFormat.N_QUADS):
            found.setdefault(quad.graph_name.value, []).append(quad.triple)
    return found


class Server:
    """The graph in the Oxigraph server at ``url`` (its root, e.g. http://127.0.0.1:7878/)."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self.timeout = timeout
        self.client = AsyncHTTPClient()
        self.loaded = False

    async def call(self, request: HTTPRequest) -> Any:
        try:
            return await self.client.fetch(request, raise_error=False)
        except (OSError, HTTPClientError) as error:
            raise QueryFailed(f"the Oxigraph server at {self.url}: {error}") from None

    async def update(self, text: str) -> None:
        request = HTTPRequest(
            self.url + "update",
            method="POST",
            body=text.encode(),
            headers={"Content-Type": "application/sparql-update"},
            request_timeout=600,
        )
        reply = await self.call(request)
        if reply.code >= 300:
            raise QueryFailed(f"the Oxigraph server refused an update: {reply.body[:500]!r}")

    async def load(self, roots: list[Path], name: str, quads: list[Quad]) -> None:
        """Replace each graph of the build (each PUT atomic), drop the graphs no longer in
        it (the interpretations' among them, as ``quads`` holds them anew), add ``quads``."""
        loop = asyncio.get_running_loop()
        built = await loop.run_in_executor(None, graphs_of, nquads_files(roots))
        listed = await self.call(
            HTTPRequest(
                self.url + "query?" + urlencode({"query": "SELECT DISTINCT ?g { GRAPH ?g {} }"}),
                headers={"Accept": "text/tab-separated-values"},
                request_timeout=600,
            )
        )
        present = {line.strip("<>") for line in listed.body.decode().splitlines()[1:] if line}
        for graph, triples in built.items():
            body = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
            request = HTTPRequest(
                self.url + "store?" + urlencode({"graph": graph}),
                method="PUT",
                body=body,
                headers={"Content-Type": "application/n-triples"},
                request_timeout=3600,
            )
            reply = await self.call(request)
            if reply.code >= 300:
                raise RuntimeError(f"the Oxigraph server refused graph {graph}: {reply.code}")
        for graph in sorted(present - set(built)):
            await self.update(f"DROP SILENT GRAPH <{graph}>")
        await self.write([], quads)
        self.loaded = True

    def drop_loaded(self) -> None:
        """Nothing to drop: what a load wrote is in the server's graphs already."""

    def show(self) -> None:
        """Nothing to switch: the server's queries see each graph once it is replaced."""

    async def write(self, removed: list[Quad], added: list[Quad]) -> None:
        parts = []
        if removed:
            parts.append("DELETE DATA { " + " . ".join(map(_nt, removed)) + " }")
        if added:
            parts.append("INSERT DATA { " + " . ".join(map(_nt, added)) + " }")
        if parts:
            await self.update(" ;\n".join(parts))  # one request: one transaction

    async def publish(self) -> None:
        """Nothing to do: the server's queries see each update once it is done."""

    async def query(self, request: Request) -> Reply:
        fields = [("query", request.query)]
        fields += [("default-graph-uri", g) for g in request.default_graphs]
        fields += [("named-graph-uri", g) for g in request.named_graphs]
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if request.accept:
            headers["Accept"] = request.accept
        call = HTTPRequest(
            self.url + "query",
            method="POST",
            body=urlencode(fields),
            headers=headers,
            request_timeout=self.timeout,
        )
        try:
            reply = await self.client.fetch(call, raise_error=False)
        except HTTPClientError as error:
            if error.code != 599:  # 599: no answer within the timeout
                raise QueryFailed(f"the Oxigraph server at {self.url}: {error}") from None
            reply = None
        except OSError as error:
            raise QueryFailed(f"the Oxigraph server at {self.url}: {error}") from None
        # Past its own --timeout-s the server cuts the body it streams with a message.
        if reply is None or (reply.code == 200 and CANCELLED in (reply.body or b"")[-200:]):
            raise QueryTimeout(
                f"the query ran longer than {self.timeout:g} s (TwinsService.query_timeout) "
                "and was stopped",
                "query",
            )
        message = reply.body.decode("utf-8", errors="replace")[:2000]
        if reply.code == 400:
            raise BadQuery(f"the query is not SPARQL 1.1: {message}", "query")
        if reply.code == 406:
            raise NotAcceptable(message, "Accept")
        if reply.code != 200:
            raise QueryFailed(f"the Oxigraph server answered {reply.code}: {message}")
        return Reply(reply.headers.get("Content-Type", "application/octet-stream"), reply.body)

    def close(self) -> None:
        """The server is not ours to stop."""
