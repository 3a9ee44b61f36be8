"""A queue for server starts: at most `StartQueue.concurrent_starts` servers start at once,
the others wait their turn, shown on JupyterHub's spawn-pending page.

Starting a JupyterLab costs a few CPU seconds (docs/workshops.md). When 50 attendees join
at once on 2 cores, starting all together shares the CPU among all of them, each takes
the whole burst's time, and some pass the hub's timeouts; JupyterHub's own
`concurrent_spawn_limit` refuses the surplus with a 429 instead. Here they queue: a start
holds its place from the spawner's `start` until its server answers HTTP (the costly part
is the server's own start, after the process or container is launched), and `progress`
tells the person waiting how many are before them. The wait counts in the hub's
`Spawner.start_timeout`, which `configure_servers` sets to cover a long queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from jupyterhub.utils import exponential_backoff, url_path_join
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from traitlets import Integer
from traitlets.config import LoggingConfigurable


class StartQueue(LoggingConfigurable):
    """Mixed into our spawners, before the JupyterHub spawner class they extend (not a
    Spawner itself: JupyterHub wants each of those to define start, stop and poll).
    `c.StartQueue.concurrent_starts`, or `c.Spawner.concurrent_starts`."""

    # What the spawner it is mixed into has.
    server: Any
    http_timeout: int
    poll: Any

    concurrent_starts = Integer(
        4,
        min=1,
        config=True,
        help="""Most user servers starting at once, in the hub: further starts wait their
        turn (the spawn-pending page shows their place) instead of slowing every start
        down or being refused. One to two per core is where a machine starts servers
        fastest.""",
    )

    #: The hub's starts, shared by every spawner of the process: who holds a slot, who waits.
    _waiting: ClassVar[list[StartQueue]] = []
    _running: ClassVar[set[StartQueue]] = set()
    _turn: ClassVar[asyncio.Condition | None] = None

    @classmethod
    def _condition(cls) -> asyncio.Condition:
        if StartQueue._turn is None:
            StartQueue._turn = asyncio.Condition()
        return StartQueue._turn

    def place(self) -> int:
        """How many starts wait before this one (0: next), or -1 when it is not waiting."""
        return StartQueue._waiting.index(self) if self in StartQueue._waiting else -1

    async def start(self) -> Any:
        turn = self._condition()
        async with turn:
            StartQueue._waiting.append(self)
            if len(StartQueue._running) >= self.concurrent_starts or self.place() > 0:
                self.log.info(
                    "%s waits for a start slot: %d starting, %d before it",
                    self._log_name,
                    len(StartQueue._running),
                    self.place(),
                )
            try:
                await turn.wait_for(
                    lambda: len(StartQueue._running) < self.concurrent_starts and self.place() == 0
                )
            finally:
                StartQueue._waiting.remove(self)
            StartQueue._running.add(self)
            turn.notify_all()  # the next in line may have a free slot too
        try:
            url = await super().start()
            await self._answering(url)
            return url
        finally:
            async with turn:
                StartQueue._running.discard(self)
                turn.notify_all()

    async def _answering(self, url: Any) -> None:
        """Wait until the server answers HTTP (any status below 500), or fail as soon as
        it has exited, within the hub's `http_timeout`."""
        if not isinstance(url, str):
            ip, port = url
            url = f"http://{ip}:{port}"
        if not url.rstrip("/").endswith(self.server.base_url.rstrip("/")):
            url = url_path_join(url, self.server.base_url)
        client = AsyncHTTPClient()

        async def answers() -> bool:
            status = await self.poll()
            if status is not None:
                raise RuntimeError(f"the server exited with status {status} while starting")
            try:
                await client.fetch(url, follow_redirects=False, request_timeout=10)
            except HTTPClientError as error:
                return error.code < 500
            except OSError:
                return False
            return True

        await exponential_backoff(
            answers, f"the server at {url} did not answer", timeout=self.http_timeout
        )

    async def progress(self) -> AsyncIterator[dict]:
        shown = None
        while (place := self.place()) >= 0:
            if place != shown:
                ahead = "you are next" if place == 0 else f"{place} before you"
                yield {"progress": 5, "message": f"Waiting for a free start slot: {ahead}"}
                shown = place
            await asyncio.sleep(0.5)
        yield {"progress": 20, "message": "Starting your server"}
        async for event in super().progress():
            yield event
