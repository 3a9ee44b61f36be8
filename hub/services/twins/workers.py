"""The processes that run queries, and the timeout pyoxigraph does not have.

A query cannot be interrupted inside pyoxigraph (it holds the thread until it is done), so
each runs in a worker process with the store open read-only (`Store.read_only`: nothing a
query does can write, and a read-only open takes no lock, so several workers share one
store). The service waits for the answer at most the timeout; past it the worker is
killed (SIGKILL, by its own PID) and a new one started in its place, and the request gets
`QueryTimeout`. Workers are started with multiprocessing's ``spawn``: a fresh interpreter,
never a fork of the service's event loop and threads.

`Pool` is a fixed set of workers. Each query runs on the pool's newest snapshot of the
graph (`Pool.switch`, a checkpoint of the service's store, store.Twins): a worker on an
older one opens the newest first, between two queries, so a query runs wholly on one
snapshot. A snapshot no worker has open any more is removed.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ..base.errors import ServiceError
from ..tether import die_with_parent
from .errors import ERRORS, QueryFailed, QueryTimeout
from .query import Reply, Request, answer

log = logging.getLogger(__name__)
SPAWN = multiprocessing.get_context("spawn")
#: What a worker says once its store is open; the timeout of its queries starts after it.
READY = "ready"
#: Seconds a new worker may take to start (a fresh interpreter, on a busy machine).
START_TIMEOUT = 60


@dataclass(frozen=True)
class Open:
    """What a worker is told to do between two queries: open the snapshot at ``path``."""

    path: str


def serve(path: str | None, conn: Connection) -> None:
    """A worker's life: open the store read-only (none: an empty one in memory, before
    the first data build), then answer requests until the service closes the pipe."""
    import pyoxigraph

    # A query runs on even if the service is killed: it must not outlive the service.
    die_with_parent()
    try:
        store = pyoxigraph.Store.read_only(path) if path else pyoxigraph.Store()
    except OSError as error:
        conn.send(("QueryFailed", f"the store could not be opened: {error}", None))
        return
    conn.send(READY)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return  # the service is gone or stopping
        if isinstance(request, Open):
            del store  # closed before the next one opens
            try:
                store = pyoxigraph.Store.read_only(request.path)
            except OSError as error:
                conn.send(("QueryFailed", f"the store could not be opened: {error}", None))
                return
            conn.send(READY)
            continue
        try:
            reply: object = answer(store, request)
        except ServiceError as error:
            reply = (type(error).__name__, error.message, error.field)
        except Exception as error:  # a fault of the store: told, and the worker lives on
            reply = ("QueryFailed", f"the store could not answer: {error}", None)
        conn.send(reply)


class Worker:
    """One worker process on the store at ``path``, and its pipe."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.closed = False
        self.start()

    def start(self) -> None:
        self.ready = False
        self.conn, theirs = SPAWN.Pipe()
        self.process = SPAWN.Process(
            target=serve, args=(self.path, theirs), daemon=True, name="echoes-twins-worker"
        )
        self.process.start()
        theirs.close()

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()

    def close(self) -> None:
        """Stop for good: a query still running is not given a new worker."""
        self.closed = True
        self.stop()

    def replace(self) -> None:
        self.stop()
        if not self.closed:
            self.start()

    def wait_until_ready(self) -> None:
        """A new worker's start is not counted in its first query's time."""
        if self.ready:
            return
        said = self.conn.recv() if self.conn.poll(START_TIMEOUT) else None
        if said != READY:
            self.replace()
            message = said[1] if isinstance(said, tuple) else "a query worker did not start"
            raise QueryFailed(message)
        self.ready = True

    def move_to(self, path: str | None) -> None:
        """Open the snapshot at ``path`` instead of the one open now (blocking)."""
        if path == self.path:
            return
        self.path = path
        if path is None:  # an empty store in memory: a new process
            self.replace()
            return
        self.wait_until_ready()  # (one that failed to start is replaced on the new path)
        if self.ready:
            self.ready = False
            self.conn.send(Open(path))

    def ask(self, request: Request, timeout: float, path: str | None) -> Reply:
        """The reply to ``request`` on the snapshot at ``path`` (blocking: called in a
        thread), or the error the worker reported raised here. Past ``timeout`` seconds
        the worker is replaced."""
        try:
            self.move_to(path)
            self.wait_until_ready()
            self.conn.send(request)
            done = self.conn.poll(timeout)
            reply = self.conn.recv() if done else None
        except (EOFError, OSError):
            self.replace()
            raise QueryFailed("the query's worker process died; it was replaced") from None
        if reply is None:
            log.warning("query past %s s: worker %s killed", timeout, self.process.pid)
            self.replace()
            raise QueryTimeout(
                f"the query ran longer than {timeout:g} s (TwinsService.query_timeout) "
                "and was stopped",
                "query",
            )
        if isinstance(reply, tuple):
            name, message, where = reply
            raise ERRORS[name](message, where)
        return reply


class Pool:
    """``size`` workers on the newest snapshot (``path``; None: an empty store in memory);
    a request waits for a free worker."""

    def __init__(self, path: Path | None, size: int, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.workers = [Worker(str(path) if path else None) for _ in range(size)]
        self.idle: asyncio.Queue[Worker] = asyncio.Queue()
        for worker in self.workers:
            self.idle.put_nowait(worker)
        # One thread a worker waits for its answer, beside the event loop.
        self.threads = ThreadPoolExecutor(size, thread_name_prefix="twins-query")
        #: Older snapshots, removed once no worker has them open.
        self.older: set[Path] = set()
        self.closed = False

    async def ask(self, request: Request) -> Reply:
        worker = await self.idle.get()
        try:
            path = str(self.path) if self.path else None
            return await asyncio.get_running_loop().run_in_executor(
                self.threads, worker.ask, request, self.timeout, path
            )
        finally:
            self.idle.put_nowait(worker)
            self.remove_unused()

    def switch(self, path: Path | None) -> None:
        """Queries from now on run on the snapshot at ``path``."""
        if self.path is not None and self.path != path:
            self.older.add(self.path)
        self.path = path
        self.remove_unused()

    def remove_unused(self) -> None:
        in_use = {w.path for w in self.workers}
        for old in list(self.older):
            if str(old) not in in_use:
                shutil.rmtree(old, ignore_errors=True)
                self.older.discard(old)

    def close(self) -> None:
        self.closed = True
        for worker in self.workers:
            worker.close()
        self.threads.shutdown(wait=False)
        for old in [*self.older, self.path]:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
