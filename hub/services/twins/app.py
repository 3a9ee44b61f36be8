"""The twins service process: the service base's Application over the route table.

Run by the hub as a managed service (`python -m echoes_hub.services.twins`) with its
`TwinsService` settings, the data folder, the store folder and the IIIF service's public
URL in the environment (hub/services/twins/__init__.py).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from tornado import web
from tornado.ioloop import PeriodicCallback
from traitlets import Unicode, default

from ..base.app import ServiceApp
from . import TwinsService
from .follow import follow
from .handlers import ROUTES, NoSuchPath, Served
from .harvest.catalog import HarvestedCatalog
from .harvest.fetch import Limits
from .harvest.folder import HarvestFolder
from .harvest.schedule import Harvester
from .store import Twins

HERE = Path(__file__).parent


class TwinsApp(ServiceApp):
    """Serve the shared data's twins: SPARQL and object pages."""

    name = "echoes-twins"
    description = "The digital twins of the shared data as a SPARQL graph and object pages."
    settings_class = TwinsService
    classes: ClassVar[list] = [TwinsService]
    aliases: ClassVar[dict] = {
        "data-dir": "TwinsApp.data_dir",
        "store-dir": "TwinsApp.store_dir",
        "public-url": "ServiceApp.public_url",
    }

    data_dir = Unicode(
        config=True,
        help="The shared data folder whose twins (twins/*.nq) are served. "
        "Default: ECHOES_DATA_DIR.",
    )

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return os.environ.get("ECHOES_DATA_DIR", "")

    store_dir = Unicode(
        config=True,
        help="""Folder of the service's stores (emptied at start; the hub's state folder:
        <state>/twins). Default: ECHOES_TWINS_STORE_DIR.""",
    )

    @default("store_dir")
    def _default_store_dir(self) -> str:
        return os.environ.get("ECHOES_TWINS_STORE_DIR", "twins-store")

    harvest_dir = Unicode(
        config=True,
        help="""Folder the harvest writes (`echoes harvest`: <state>/harvest), whose twins
        are served beside the data build's; empty: none. Default: ECHOES_TWINS_HARVEST_DIR.""",
    )

    @default("harvest_dir")
    def _default_harvest_dir(self) -> str:
        return os.environ.get("ECHOES_TWINS_HARVEST_DIR", "")

    harvested_dir = Unicode(
        config=True,
        help="""Folder of the harvested collections' catalog, which users read (set by the
        hub from EchoesHub.harvested_dir); each harvest the service runs writes it; empty:
        none. Default: ECHOES_HARVESTED_DIR.""",
    )

    @default("harvested_dir")
    def _default_harvested_dir(self) -> str:
        return os.environ.get("ECHOES_HARVESTED_DIR", "")

    annotations_url = Unicode(
        config=True,
        help="""The annotation service's URL (ending in /services/annotations/), whose change
        feed brings the public annotations about objects; empty: none are followed.
        Default: ECHOES_ANNOTATIONS_URL.""",
    )

    @default("annotations_url")
    def _default_annotations_url(self) -> str:
        return os.environ.get("ECHOES_ANNOTATIONS_URL", "")

    iiif_url = Unicode(
        config=True,
        help="Public URL of the IIIF service, for the images of objects' pages. "
        "Default: ECHOES_IIIF_PUBLIC_URL.",
    )

    @default("iiif_url")
    def _default_iiif_url(self) -> str:
        return os.environ.get("ECHOES_IIIF_PUBLIC_URL", "")

    annotations_public_url = Unicode(
        config=True,
        help="""Public URL of the annotation service, which the objects' IIIF manifests
        link to for the public annotations on their canvases. Default:
        ECHOES_ANNOTATIONS_PUBLIC_URL.""",
    )

    @default("annotations_public_url")
    def _default_annotations_public_url(self) -> str:
        return os.environ.get("ECHOES_ANNOTATIONS_PUBLIC_URL", "")

    twins: Twins | None = None
    checker: PeriodicCallback | None = None
    follower: asyncio.Task | None = None
    harvester: Harvester | None = None
    scheduler: PeriodicCallback | None = None

    async def open(self) -> None:
        options = self.service_settings
        self.twins = Twins(
            Path(self.data_dir),
            Path(self.store_dir),
            workers=options.query_workers,
            timeout=options.query_timeout,
            publish_interval=options.publish_interval,
            oxigraph_url=options.oxigraph_url,
            harvest_dir=Path(self.harvest_dir) if self.harvest_dir else None,
        )
        self.twins.start()
        # Listen at once (the first load takes seconds: meanwhile `Loading`), then look
        # for a new build every reload_check seconds.
        self.checker = PeriodicCallback(self.twins.refresh, options.reload_check * 1000)
        self.checker.start()
        self.checker.io_loop.add_callback(self.twins.refresh)
        if self.annotations_url:
            self.follower = asyncio.get_running_loop().create_task(
                follow(self.twins, self.annotations_url)
            )
        if self.harvest_dir:
            limits = Limits(options.harvest_timeout, options.harvest_max_bytes)
            catalog = (
                HarvestedCatalog(Path(self.harvested_dir), pages=self.public_url)
                if self.harvested_dir
                else None
            )
            self.harvester = Harvester(HarvestFolder(Path(self.harvest_dir)), limits, catalog)
            self.harvester.catch_up()
            self.scheduler = PeriodicCallback(self.check_schedule, options.harvest_check * 1000)
            self.scheduler.start()

    def check_schedule(self) -> None:
        try:
            self.harvester.check_schedule(datetime.now(UTC))
        except Exception:  # a broken sources.json: said, and looked at again next time
            self.log.exception("could not read the harvest's sources")

    def largest_body(self) -> int:
        options = self.service_settings
        return max(options.max_body_size, options.contribute_max_bytes)

    def make_web_app(self) -> web.Application:
        self.log.info("twins of %s, stores in %s", self.data_dir, self.store_dir)
        served = Served(
            self.twins,
            self.public_url,
            self.iiif_url,
            self.annotations_url,
            annotations_public_url=self.annotations_public_url,
            options=self.service_settings,
        )
        return self.web_app(
            ROUTES,
            twins=served,
            harvester=self.harvester,
            prefix=self.prefix,
            public_url=self.public_url,
            data_dir=self.data_dir,
            template_path=str(HERE),
            default_handler_class=NoSuchPath,
        )

    async def close(self) -> None:
        if self.checker is not None:
            self.checker.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.harvester is not None:
            await asyncio.to_thread(self.harvester.close)
        if self.follower is not None:
            self.follower.cancel()
        if self.twins is not None:
            self.twins.close()


def main(argv: list[str] | None = None) -> None:
    TwinsApp.launch_instance(argv)
