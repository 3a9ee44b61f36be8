"""The IIIF service process: the service base's Application over the route table.

Run by the hub as a managed service (`python -m echoes_hub.services.iiif`) with its
`IIIFService` settings, the data folder and the annotation service's public URL in the
environment (hub/services/iiif/__init__.py).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from tornado import web
from traitlets import Unicode, default

from ..base.app import ServiceApp
from . import IIIFService
from .handlers import IMAGE_BASE, ROUTES, NoSuchPath
from .images import Images


@dataclass(frozen=True)
class Served:
    """What the handlers serve from (the tornado setting ``iiif``)."""

    images: Images
    public_url: str
    annotations_url: str
    cache_max_age: int
    pool: ThreadPoolExecutor

    @property
    def image_base(self) -> str:
        return self.public_url + IMAGE_BASE


class IIIFApp(ServiceApp):
    """Serve the shared data's images and manifests as IIIF."""

    name = "echoes-iiif"
    description = "The IIIF Image and Presentation APIs of the shared data, a managed service."
    settings_class = IIIFService
    classes: ClassVar[list] = [IIIFService]
    aliases: ClassVar[dict] = {
        "data-dir": "IIIFApp.data_dir",
        "annotations-url": "IIIFApp.annotations_url",
        "public-url": "ServiceApp.public_url",
    }

    data_dir = Unicode(
        config=True,
        help="The shared data folder whose images are served. Default: ECHOES_DATA_DIR.",
    )

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return os.environ.get("ECHOES_DATA_DIR", "")

    contributed_dir = Unicode(
        config=True,
        help="""The contributed collections' photographs (the twins service's harvest
        folder's images/), served as contributed/<collection>/<file>; empty: none.
        Default: ECHOES_CONTRIBUTED_IMAGES_DIR.""",
    )

    @default("contributed_dir")
    def _default_contributed_dir(self) -> str:
        return os.environ.get("ECHOES_CONTRIBUTED_IMAGES_DIR", "")

    annotations_url = Unicode(
        config=True,
        help="""Public URL of the annotation service, which the manifests' canvases link
        to. Default: ECHOES_ANNOTATIONS_PUBLIC_URL.""",
    )

    @default("annotations_url")
    def _default_annotations_url(self) -> str:
        return os.environ.get("ECHOES_ANNOTATIONS_PUBLIC_URL", "")

    pool: ThreadPoolExecutor | None = None

    def make_web_app(self) -> web.Application:
        options = self.service_settings
        root = Path(self.data_dir)
        # Two workers: decoding and resizing release the GIL; more would contend for the
        # machine's cores with the hub and the users' kernels.
        self.pool = ThreadPoolExecutor(2, thread_name_prefix="iiif")
        images = Images(
            root,
            tile_size=options.tile_size,
            max_area=options.max_area,
            keep=options.kept_images,
            contributed=self.contributed_dir or None,
        )
        self.log.info("IIIF images and manifests of %s", root)
        served = Served(
            images,
            self.public_url,
            self.annotations_url,
            options.cache_max_age,
            self.pool,
        )
        return self.web_app(ROUTES, iiif=served, default_handler_class=NoSuchPath)

    async def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def main(argv: list[str] | None = None) -> None:
    IIIFApp.launch_instance(argv)
