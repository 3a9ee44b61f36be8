"""The workshops service process: the service base's Application over the route table.

Run by the hub as a managed service (`python -m echoes_hub.services.workshops`) with its
`WorkshopsService` settings in the environment (hub/services/base/settings.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import ClassVar

from tornado import web

from ..base.app import ServiceApp
from . import WorkshopsService
from .expiry import Expiry
from .handlers import HERE, ROUTES
from .homes import Homes, homes_from_environ
from .hubapi import HubAPI
from .live import Servers
from .pool import WarmPool
from .store import Store

#: Attendees' archived homes (expiry.py), in the hub's state folder (the service's folder).
ARCHIVES = Path("workshops", "archives")


class WorkshopsApp(ServiceApp):
    """Serve the trainers' events."""

    name = "echoes-workshops"
    description = "The ECHOES workshops service, a JupyterHub managed service."
    settings_class = WorkshopsService
    classes: ClassVar[list] = [WorkshopsService]

    store: Store | None = None
    #: Where each account's home is (homes.py), as the hub described it.
    homes: Homes | None = None
    expiry: asyncio.Task | None = None
    #: The warm pool's loop (pool.py), when `pool_servers` is on.
    pool_task: asyncio.Task | None = None

    async def open(self) -> None:
        self.homes = homes_from_environ()
        self.store = Store(self.service_settings.database_url)
        self.store.create_schema()
        Path("workshops", "materials").mkdir(mode=0o700, parents=True, exist_ok=True)
        ARCHIVES.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.log.info("workshops database %s", self.store.engine.url)
        options = self.service_settings
        expiry = Expiry(
            self.store,
            HubAPI(),
            self.homes,
            ARCHIVES.resolve(),
            options.download_seconds,
        )
        self.expiry = asyncio.create_task(expiry.run(options.expiry_interval))
        if self.service_settings.pool_servers > 0:
            pool = WarmPool(self.store, self.service_settings, HubAPI(), self.homes)
            self.pool_task = asyncio.create_task(pool.run())

    async def close(self) -> None:
        for task in (self.expiry, self.pool_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.store.close()

    def make_web_app(self) -> web.Application:
        return self.web_app(
            ROUTES,
            store=self.store,
            prefix=self.prefix,
            public_url=self.public_url,
            # Join links point at the hub, where attendees are logged in.
            hub_url=os.environ.get("ECHOES_HUB_URL", ""),
            homes=self.homes,
            # The materials' snapshots, in the hub's state folder (the service's folder).
            materials=Path("workshops", "materials").resolve(),
            archives=ARCHIVES.resolve(),
            template_path=str(HERE),
            # Attendees' servers, for the trainer's live page (live.py).
            servers=Servers.from_environ(os.environ.get("ECHOES_HUB_URL", "")),
        )


def main(argv: list[str] | None = None) -> None:
    WorkshopsApp.launch_instance(argv)
