"""The images of the shared data as IIIF services: a managed service on the service base.

Under /services/iiif/ (and at iiif--service.<domain>, the origin browsers use):

- ``image/3/<identifier>/info.json`` and ``image/3/<identifier>/<region>/<size>/<rotation>/
  <quality>.<format>``: the IIIF Image API 3.0 at level 2 (jpg and png), for every image
  file of the shared data folder; the identifier is the file's path in that folder,
  ``%2F``-escaped (``images%2Fcoins%2Fcoins.png``). Tiles of 512 pixels and a size list,
  so viewers zoom deeply into large images.
- ``presentation/<folder>/<name>/manifest.json``: the IIIF Presentation 3 manifest the
  data build wrote, its ids unchanged, with each image's ``service`` and each canvas's
  ``annotations`` (the public annotations on it, live from the annotation service).

Every read is anonymous and open to any origin (CORS ``*``, never with credentials): the
shared data are open data, each entry with its licence in the catalogs. The service never
asks who calls, so no request waits on the hub. `app` is the process; `images` and
`presentation` the two APIs; `handlers` the route table.
"""

from __future__ import annotations

from typing import ClassVar

from traitlets import Integer
from traitlets.config import Config

from ...deployment import Deployment
from ..base.settings import ServiceSettings, service_entry

NAME = "iiif"


class IIIFService(ServiceSettings):
    """Settings of the IIIF service (`c.IIIFService.<name>`). Its port, unless set here, is
    a free one the hub picks once and keeps in its state folder (hub/prepare.py)."""

    name: ClassVar[str] = NAME
    module: ClassVar[str] = "echoes_hub.services.iiif"

    tile_size = Integer(
        512,
        min=64,
        config=True,
        help="Width and height in pixels of the tiles each info.json offers viewers.",
    )

    max_area = Integer(
        4096 * 4096,
        min=256 * 256,
        config=True,
        help="""Most pixels one image request may ask for (the Image API's maxArea: larger
        gets 400, and `max` is scaled down to it). It bounds the memory and time of one
        request; viewers ask for tiles, far smaller.""",
    )

    kept_images = Integer(
        4,
        min=1,
        config=True,
        help="""Decoded images (each with its pyramid of halvings) kept in memory, the most
        recently used: a tile is then a crop of the kept pixels, not a new decode of the
        file. A 10800 x 5400 RGB image takes about 230 MB with its pyramid.""",
    )

    cache_max_age = Integer(
        3600,
        min=0,
        config=True,
        help="""Seconds browsers and caches may keep an image, info.json or manifest
        (Cache-Control: public, max-age); with the ETag they revalidate after.""",
    )


def iiif_service(c: Config, deployment: Deployment) -> dict:
    """The managed-service entry for the hub (anonymous reads: users need no scope)."""
    settings = deployment.settings
    options = IIIFService(config=c)
    environment = {
        "ECHOES_DATA_DIR": settings.data_dir,
        # The photographs of contributed collections (echoes contribute, the wizard).
        "ECHOES_CONTRIBUTED_IMAGES_DIR": str(settings.state_path / "harvest" / "images"),
        # Where browsers read the annotations the manifests link to.
        "ECHOES_ANNOTATIONS_PUBLIC_URL": settings.service_public_url("annotations"),
    }
    return service_entry(
        options, deployment, default_port=settings.port + 6, environment=environment
    )
