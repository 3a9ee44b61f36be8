"""The annotation store: a managed service speaking the W3C Web Annotation Protocol.

This module holds its settings, `AnnotationsService` (read by the hub and by the service,
hub/services/base/settings.py), and `annotations_service`, which turns them into the
managed-service entry and the scopes users need. The service itself is
`app.AnnotationsApp` (its own process, on the service base), in layers:
`model` (Data Model validation), `permissions` (visibility, ownership, creators),
`store` (SQLAlchemy: SQLite WAL + FTS5, or PostgreSQL), `service` (the protocol's
operations and JSON-LD), `handlers` (thin tornado handlers, one route table),
`openapi` (generated from the route table, served at `openapi.json`).

Under /services/annotations/:

- ``containers/<name>/``: an LDP basic container and W3C AnnotationCollection; POST an
  annotation to create it (201, Location, ETag); ``?page=N`` pages; ``Prefer`` header
  for minimal or IRI-only representations; ``import`` and ``export`` beneath it. Who
  posts (and imports) into a container: into ``default``, every user; into any other,
  its owner (who created it) and administrators, so nobody fills another's collection.
  Reading follows each annotation's visibility.
- ``containers/<name>/<id>``: GET, PUT with If-Match (a strong ETag: 412 if stale or
  weak, 428 if missing: no lost updates), DELETE; ``/revisions`` lists the earlier states
  the requester could read when each was current (all of them for the owner and
  administrators).
- Reads answer JSON-LD, or Turtle / N-Triples of it (``Accept``; 406 otherwise), to any
  origin (CORS, never with credentials); anonymous visitors read the public annotations.
  README.md beside this file says how the service keeps the W3C protocol, and measures it.

Authentication is the hub's: ``Authorization: token ...``, or the OAuth cookie, which
counts only with JupyterHub's XSRF token (``X-XSRFToken``, the service's ``_xsrf`` cookie)
unless the request is a top-level page view. Imports: one at a time per user, at most
`max_imports_per_hour` and `max_import_items` (429 and 413).
- ``search?target=&creator=&motivation=&tag=&visibility=&q=`` and ``export?...``.
- ``containers/<name>/import``: an AnnotationCollection or AnnotationPage as Mirador,
  Annotorious or another store wrote it. The importer becomes the creator; each
  annotation's original IRI is added to ``via`` (a bare UUID id as ``urn:uuid:``) and a
  creator from elsewhere is kept in ``as:attributedTo``; ``?creators=keep`` lets an
  administrator keep the creators (migrations between stores). See `permissions`.

IRIs of targets: ``urn:echoes:catalog:<path>`` for catalog items (e.g.
``urn:echoes:catalog:heritage/archaeometry/pottery``), IIIF canvas IRIs for images,
and any http(s)/urn IRI otherwise. Creators are ``urn:echoes:user:<name>`` (Person) or
a Software agent acting for one. Visibility: ``private`` (default), ``public`` or
``group:<hub group>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from traitlets import Integer, Unicode, default, validate
from traitlets.config import Config

from ...deployment import Deployment
from ...settings import absolute_sqlite_url
from ..base.settings import ServiceSettings, service_entry

NAME = "annotations"
#: In the shared data folder: each image entry's IIIF canvas (catalogs/canvases.py INDEX).
CANVASES = "canvases.json"
#: What every user (and their servers' API tokens) needs to use the service; reading the
#: service's model lets the notebook client find where it listens.
USER_SCOPES = [f"access:services!service={NAME}", f"read:services!service={NAME}"]


class AnnotationsService(ServiceSettings):
    """Settings of the annotation service (`c.AnnotationsService.<name>`). Its port, when
    neither set here nor picked by the hub at start, is EchoesHub.port + 4."""

    name: ClassVar[str] = NAME
    module: ClassVar[str] = "echoes_hub.services.annotations"

    max_import_size = Integer(
        32 * 1024 * 1024,
        config=True,
        help="""Largest body in bytes of an import of an AnnotationCollection (every other
        request: `max_body_size`).""",
    )

    max_import_items = Integer(
        50_000,
        min=1,
        config=True,
        help="""Most annotations in one import (more gets 413). With `max_import_size` it
        bounds how long one import keeps the writer busy; split larger migrations.""",
    )

    max_imports_per_hour = Integer(
        20,
        min=1,
        config=True,
        help="""Imports one user may start in any hour (more gets 429 with Retry-After).
        Each user also runs one import at a time. Imports are parsed beside the service's
        event loop, so they do not stall other users, but each holds the database's writer
        while it is stored.""",
    )

    page_size = Integer(100, min=1, config=True, help="Annotations per AnnotationPage.")

    database_url = Unicode(
        config=True,
        help="""SQLAlchemy URL of the annotation database. Default: SQLite file
        annotations.sqlite in the hub state folder (WAL). For PostgreSQL:
        postgresql+psycopg://user:password@host/database.""",
    )

    canvases_file = Unicode(
        config=True,
        help="""The shared data folder's list of each image entry's IIIF canvas
        (canvases.json, written by `echoes data build`). At start the service moves the
        annotations made on the old canvas IRIs (urn:echoes:canvas:<theme>/<entry>) to these
        canvases (migrate.py). Default: canvases.json in EchoesHub.data_dir.""",
    )

    state_dir = Unicode(".", help="The hub state folder (set from EchoesHub.state_dir).")
    data_dir = Unicode(".", help="The shared data folder (set from EchoesHub.data_dir).")

    @default("canvases_file")
    def _default_canvases_file(self) -> str:
        return str(Path(self.data_dir) / CANVASES)

    @default("database_url")
    def _default_database_url(self) -> str:
        return absolute_sqlite_url(f"sqlite:///{self.state_dir}/annotations.sqlite")

    @validate("database_url")
    def _absolute_database_url(self, proposal: dict) -> str:
        # The service runs in the state folder: a relative file would be read from there.
        return absolute_sqlite_url(proposal["value"])


def annotations_service(c: Config, deployment: Deployment) -> tuple[dict, list[str]]:
    """The managed-service entry for the hub, and the scopes users need to use it."""
    settings = deployment.settings
    options = AnnotationsService(config=c, state_dir=settings.state_dir, data_dir=settings.data_dir)
    return service_entry(options, deployment, default_port=settings.port + 4), USER_SCOPES
