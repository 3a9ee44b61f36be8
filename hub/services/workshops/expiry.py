"""The end of an event: what the service does once an event's end has passed.

Every `WorkshopsService.expiry_interval` seconds the service looks for ended events it
has not finished with, and for each attendee (a seat) it
1. stops their server (the hub's API);
2. when attendees keep their work: takes them out of the event's group, and is done;
   otherwise archives their home as one zip (written beside, fsync'ed, then renamed, so
   a zip that exists is whole) and only then removes the home;
3. once the download time (`download_seconds`) has passed, removes their hub account
   (and a home a server made again since).
Each step is idempotent and the store records when an event's steps 1-2 and 3 were
done, so a service killed half-way finishes the job at its next start, never archives
a home twice (an existing zip is kept) and never removes one before its zip is written.

A home is a folder of the homes folder or, with containers, a Docker volume (homes.py):
removing it removes the volume, which its stopped server no longer uses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import time
import zipfile
from pathlib import Path

from .homes import Homes
from .hubapi import HubAPI
from .store import Event, Store

log = logging.getLogger("echoes.workshops")


def archive_path(archives: Path, event_id: str, account: str) -> Path:
    """Where the archive of `account`'s home, in `event_id`, is kept."""
    return archives / event_id / f"{account}.zip"


def archive_home(home: Path | None, target: Path) -> bool:
    """Zip the regular files and folders under `home` into `target`, unless `target`
    exists (an archive is never made twice). False when there is no home."""
    if target.exists():
        return True
    if home is None or not home.is_dir():
        return False
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder, folders, files in os.walk(home, followlinks=False):
            here = Path(folder)
            for name in sorted(folders):
                if not (here / name).is_symlink():
                    archive.write(here / name, (here / name).relative_to(home))
            for name in sorted(files):
                path = here / name
                if stat.S_ISREG(path.lstat().st_mode):  # no links out of the home
                    archive.write(path, path.relative_to(home))
    with part.open("rb") as written:
        os.fsync(written.fileno())
    part.rename(target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)
    return True


class Expiry:
    """Ends the events whose end has passed (see the module's docstring)."""

    def __init__(
        self, store: Store, hub: HubAPI, homes: Homes, archives: Path, download_seconds: float
    ) -> None:
        self.store = store
        self.hub = hub
        self.homes = homes
        self.archives = archives
        self.download_seconds = download_seconds

    async def run(self, interval: float) -> None:
        """Every `interval` seconds, until cancelled; a failure is logged and tried again."""
        while True:
            try:
                await self.end_events(time.time())
            except Exception:
                log.exception("ending events failed; trying again in %s s", interval)
            await asyncio.sleep(interval)

    async def end_events(self, now: float) -> None:
        for event in self.store.due_endings(now):
            await self.end_event(event, now)

    async def end_event(self, event: Event, now: float) -> None:
        ending = self.store.ending(event.id)
        seats = self.store.seats_of(event.id)
        if ending.archived is None:
            for seat in seats:
                await self.hub.stop_servers(seat.account)
                if event.keep_work:
                    await self.hub.leave_group(seat.account, event.group)
                    continue
                home = await asyncio.to_thread(self.homes.folder, seat.account)
                target = archive_path(self.archives, event.id, seat.account)
                if await asyncio.to_thread(archive_home, home, target):
                    # Only once its zip is whole.
                    await asyncio.to_thread(self.homes.remove, seat.account)
            ending = self.store.mark_ending(event.id, "archived", now)
            log.info("event %s ended: %d attendees' servers stopped", event.id, len(seats))
        if event.keep_work:
            self.store.mark_ending(event.id, "removed", now)
            return
        if now < ending.archived + self.download_seconds:
            return
        for seat in seats:
            await self.hub.stop_servers(seat.account)  # one started in the download time
            if archive_path(self.archives, event.id, seat.account).exists():
                # And one a server made again since.
                await asyncio.to_thread(self.homes.remove, seat.account)
            # Homes first: the hub removes the account's system user only without one.
            await self.hub.delete_user(seat.account)
        self.store.mark_ending(event.id, "removed", now)
        log.info("event %s: %d attendees' accounts removed", event.id, len(seats))
