"""Harvests the twins service runs itself: a source's schedule (hourly, daily, weekly)
and an administrator's "Harvest now" (the sources page). One harvest at a time, in a
thread of its own, so that the service answers meanwhile; the twins service loads what it
wrote as it loads any harvest (its build stamp), and writes the users' catalog of it
(catalog.py)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

from .catalog import HarvestedCatalog
from .fetch import Limits
from .folder import HarvestFolder
from .run import Report, harvest
from .sources import SCHEDULES, Source, read_sources

log = logging.getLogger("echoes.twins.harvest")


class Stopped(Exception):
    """The service is stopping: the harvest ends, writing nothing (the next one starts
    again where the last complete one ended)."""


def due(sources: dict[str, Source], folder: HarvestFolder, now: datetime) -> list[str]:
    """The sources whose schedule says they are to be harvested at ``now``: never
    harvested yet, or their last harvest started a period ago or more."""
    found = []
    for name, source in sources.items():
        period = SCHEDULES[source.schedule]
        if not period:
            continue
        harvests = folder.state(name).get("harvests") or []
        last = datetime.fromisoformat(harvests[-1]["started"]) if harvests else None
        if last is None or (now - last).total_seconds() >= period:
            found.append(name)
    return found


class Harvester:
    """The twins service's harvests of the folder, one at a time."""

    def __init__(
        self, folder: HarvestFolder, limits: Limits, catalog: HarvestedCatalog | None = None
    ) -> None:
        self.folder = folder
        self.limits = limits
        self.catalog = catalog
        self.lock = threading.Lock()
        self.waiting: list[str] = []
        #: The harvest going on, as far as it went (None: none).
        self.running: Report | None = None
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="harvest")
        self.stopping = threading.Event()

    def ask(self, name: str) -> bool:
        """Harvest the source ``name`` after those already waiting; False when it is
        waiting or being harvested already."""
        with self.lock:
            if name in self.waiting or (self.running and self.running.source == name):
                return False
            self.waiting.append(name)
        self.pool.submit(self.harvest, name)
        return True

    def catch_up(self) -> None:
        """Write, in the harvest thread, the catalog entries that harvested sources lack
        (those harvested before there was a catalog, or while it could not be written)."""
        if self.catalog is not None:
            self.pool.submit(self._catch_up)

    def _catch_up(self) -> None:
        try:
            written = self.catalog.write(self.folder)
        except Exception:  # said; the next harvest writes it again
            log.exception("could not write the harvested collections' catalog")
            return
        if written:
            log.info("wrote the catalog entries of %s", ", ".join(written))

    def check_schedule(self, now: datetime) -> None:
        """Ask for every source whose schedule says it is due."""
        for name in due(read_sources(self.folder.root), self.folder, now):
            if self.ask(name):
                log.info("harvesting %s: its schedule says so", name)

    def harvest(self, name: str) -> None:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        with self.lock:
            self.waiting.remove(name)
            self.running = Report(name, started)
        try:
            source = read_sources(self.folder.root).get(name)
            if source is None:  # no longer declared
                return
            report = harvest(
                source,
                self.folder,
                limits=self.limits,
                progress=self.progressed,
                catalog=self.catalog,
            )
        except Stopped:
            return
        except Exception:  # a bug (or a broken sources.json) must not end later harvests
            log.exception("the harvest of %s failed", name)
            return
        finally:
            with self.lock:
                self.running = None
        if report.error:
            log.warning("the harvest of %s failed: %s", name, report.error)
        else:
            log.info(
                "harvested %s: %d records, %d new, %d changed, %d withdrawn",
                *(name, report.seen, report.added, report.changed, report.withdrawn),
            )

    def progressed(self, report: Report) -> None:
        if self.stopping.is_set():
            raise Stopped
        with self.lock:
            self.running = replace(report, failed=list(report.failed))

    def close(self) -> None:
        """Stop: the harvest going on ends at its next hundred records, without writing;
        what waits is dropped."""
        self.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
