"""The annotation store: a managed service speaking the W3C Web Annotation Protocol.

This module is the hub side: `AnnotationsService` holds the deployment settings and
`annotations_service` turns them into the managed-service entry and the scopes users
need. The service itself is `app.AnnotationsApp` (its own process), in layers:
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
  weak, 428 if missing), DELETE; ``/revisions`` lists the earlier states the requester
  could read when each was current (all of them for the owner and administrators).

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

import sys

from traitlets import Integer, Unicode, default, validate
from traitlets.config import Config, LoggingConfigurable

from ...settings import EchoesHub, absolute_sqlite_url
from ..tether import tethered

NAME = "annotations"
#: The environment variable that gives the service its database URL.
DATABASE_URL_VARIABLE = "ECHOES_ANNOTATIONS_DATABASE_URL"
#: What every user (and their servers' API tokens) needs to use the service; reading the
#: service's model lets the notebook client find where it listens.
USER_SCOPES = [f"access:services!service={NAME}", f"read:services!service={NAME}"]


class AnnotationsService(LoggingConfigurable):
    """Settings of the annotation service (`c.AnnotationsService.<name>`)."""

    port = Integer(
        0,
        config=True,
        help="""Port the service listens on (loopback; users reach it through the proxy at
        /services/annotations/). Default 0 means EchoesHub.port + 4.""",
    )

    max_body_size = Integer(
        256 * 1024,
        config=True,
        help="""Largest request body in bytes for one annotation (larger gets 413).
        Imports of whole collections may be up to `max_import_size`.""",
    )

    max_import_size = Integer(
        32 * 1024 * 1024,
        config=True,
        help="Largest body in bytes of an import of an AnnotationCollection.",
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

    database_url = Unicode(
        config=True,
        help="""SQLAlchemy URL of the annotation database. Default: SQLite file
        annotations.sqlite in the hub state folder (WAL). For PostgreSQL:
        postgresql+psycopg://user:password@host/database.""",
    )

    auth_cache_max_age = Integer(
        10,
        min=1,
        config=True,
        help="""Seconds the service keeps the hub's answer to "who is this token or cookie"
        (the user, whether an administrator, and their groups) before asking the hub again.
        It bounds how long a change on the hub takes to reach the annotations: a person
        removed from a group, demoted, or whose token was revoked keeps the old rights at
        most this long (JupyterHub's default for services is 300 s). At least 1: asking the
        hub on every request would add its round trip to every read.""",
    )

    state_dir = Unicode(help="The hub state folder (set from EchoesHub.state_dir).")

    @default("database_url")
    def _default_database_url(self) -> str:
        return absolute_sqlite_url(f"sqlite:///{self.state_dir}/annotations.sqlite")

    @validate("database_url")
    def _absolute_database_url(self, proposal: dict) -> str:
        # The service runs in the state folder: a relative file would be read from there.
        return absolute_sqlite_url(proposal["value"])


def annotations_service(settings: EchoesHub, config: Config) -> tuple[dict, list[str]]:
    """The managed-service entry for the hub, and the scopes users need to use it."""
    options = AnnotationsService(config=config, state_dir=settings.state_dir)
    port = options.port or settings.port + 4
    service = {
        "name": NAME,
        "url": f"http://127.0.0.1:{port}",
        # Tethered: a killed hub must not leave the service holding its port.
        "command": tethered(
            [
                sys.executable,
                "-m",
                "echoes_hub.services.annotations",
                f"--AnnotationsApp.public_url={settings.service_public_url(NAME)}",
                f"--AnnotationsApp.max_body_size={options.max_body_size}",
                f"--AnnotationsApp.max_import_size={options.max_import_size}",
                f"--AnnotationsApp.auth_cache_max_age={options.auth_cache_max_age}",
                # Declared here only; the service reads them as AnnotationsService too.
                f"--AnnotationsService.max_import_items={options.max_import_items}",
                f"--AnnotationsService.max_imports_per_hour={options.max_imports_per_hour}",
            ],
            restart=True,
        ),
        "cwd": settings.state_dir,
        # Not on the command line: every hub user may read the service's model (which holds
        # it) and every local account /proc/<pid>/cmdline; the URL may hold a password.
        "environment": {DATABASE_URL_VARIABLE: options.database_url},
        # Users go straight in: the service only learns who they are and their groups.
        "oauth_no_confirm": True,
        # Group membership drives "shared with a group" visibility.
        "oauth_client_allowed_scopes": ["read:users:groups!user"],
    }
    return service, USER_SCOPES
