"""The annotation service process: a traitlets Application that serves the route table.

Run by the hub as a managed service (`python -m echoes_hub.services.annotations`), which
gives it JUPYTERHUB_SERVICE_URL (where to listen), JUPYTERHUB_SERVICE_PREFIX and the
OAuth client settings through the environment.
"""

from __future__ import annotations

import asyncio
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuth
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from traitlets import Integer, Unicode, default
from traitlets.config import Application

from . import DATABASE_URL_VARIABLE, AnnotationsService
from .handlers import log_request, make_handlers
from .service import DEFAULT_CONTAINER, Annotations, ImportQuota
from .store import Store


class AnnotationsApp(Application):
    """Serve the W3C Web Annotation Protocol for the hub's users."""

    name = "echoes-annotations"
    #: Import limits are AnnotationsService settings (declared once, hub side); the hub
    #: passes them on the command line as --AnnotationsService.<name>.
    classes: ClassVar[list] = [AnnotationsService]
    description = "The ECHOES annotation store, a JupyterHub managed service."

    database_url = Unicode(
        config=True,
        help="""SQLAlchemy URL of the annotation database: `sqlite:///<file>` (WAL) or
        `postgresql+psycopg://...`. Default: the environment variable
        ECHOES_ANNOTATIONS_DATABASE_URL (how the hub passes it: a command line is readable
        by every local account, and by every hub user in the service's model, and the URL
        may hold a password), else annotations.sqlite in the current folder.""",
    )

    @default("database_url")
    def _default_database_url(self) -> str:
        return os.environ.get(DATABASE_URL_VARIABLE) or (
            f"sqlite:///{Path('annotations.sqlite').resolve()}"
        )

    public_url = Unicode(
        config=True,
        help="""Public base URL of the service, used in annotation IRIs so that they are
        the same however a client reaches the service. Default: the hub's public URL from
        JUPYTERHUB_PUBLIC_URL (else JUPYTERHUB_SERVICE_URL) plus the service prefix.""",
    )

    @default("public_url")
    def _default_public_url(self) -> str:
        origin = os.environ.get("JUPYTERHUB_PUBLIC_URL") or self.service_url
        return origin.rstrip("/") + self.prefix

    service_url = Unicode(
        config=True,
        help="Where to listen. Default: JUPYTERHUB_SERVICE_URL, else http://127.0.0.1:10101.",
    )

    @default("service_url")
    def _default_service_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")

    prefix = Unicode(
        config=True,
        help="URL prefix of every route. Default: JUPYTERHUB_SERVICE_PREFIX, "
        "else /services/annotations/.",
    )

    @default("prefix")
    def _default_prefix(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/annotations/")

    max_body_size = Integer(
        256 * 1024,
        config=True,
        help="Largest request body, in bytes, for one annotation or container (413 beyond).",
    )

    max_import_size = Integer(
        32 * 1024 * 1024,
        config=True,
        help="Largest request body, in bytes, of an import (a whole AnnotationCollection).",
    )

    page_size = Integer(100, config=True, help="Annotations per AnnotationPage.")

    auth_cache_max_age = Integer(
        10,
        min=1,
        config=True,
        help="""Seconds to keep the hub's answer about a token or cookie (user, admin flag,
        groups) before asking again: the longest a group removal or a revoked token takes
        to apply here (JupyterHub's own default is 300). At least 1.""",
    )

    aliases: ClassVar[dict] = {
        "database-url": "AnnotationsApp.database_url",
        "public-url": "AnnotationsApp.public_url",
        "max-body-size": "AnnotationsApp.max_body_size",
        "max-import-size": "AnnotationsApp.max_import_size",
        "auth-cache-max-age": "AnnotationsApp.auth_cache_max_age",
    }

    def make_web_app(self, store: Store) -> WebApplication:
        annotations = Annotations(store, self.public_url, self.page_size)
        # Our own HubOAuth (not the shared singleton) so that its cache follows our setting.
        hub_auth = HubOAuth(parent=self, cache_max_age=self.auth_cache_max_age)
        limits = AnnotationsService(parent=self)
        settings = {
            "hub_auth": hub_auth,
            "annotations": annotations,
            "max_body_size": self.max_body_size,
            "max_import_size": self.max_import_size,
            "max_import_items": limits.max_import_items,
            "import_quota": ImportQuota(limits.max_imports_per_hour),
            # One writer: writes queue here in order, never on the event loop.
            "writer": ThreadPoolExecutor(1, thread_name_prefix="annotations-writer"),
        }
        return WebApplication(
            make_handlers(self.prefix, settings),
            # Signs the OAuth cookie; the hub-issued token keeps sessions across restarts.
            cookie_secret=os.environ.get("JUPYTERHUB_API_TOKEN") or os.urandom(32),
            # Tornado's own access log writes the full URI, ?token= included.
            log_function=log_request,
        )

    def start(self) -> None:
        asyncio.run(self.serve())

    async def serve(self) -> None:
        store = Store(self.database_url)
        store.create_schema()
        store.ensure_container(DEFAULT_CONTAINER, "echoes", "Everyone's annotations")
        app = self.make_web_app(store)
        url = urlparse(self.service_url)
        # The limit tornado enforces is the largest one; handlers apply the smaller one.
        server = HTTPServer(app, max_body_size=self.max_import_size + 1024, xheaders=True)
        server.listen(url.port or 80, url.hostname or "127.0.0.1")
        self.log.info("annotations at %s (database %s)", self.public_url, store.engine.url)
        stop = asyncio.Event()
        # Explicit handlers: a process started in the background inherits an ignored SIGINT.
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await stop.wait()
        server.stop()
        store.close()


def main(argv: list[str] | None = None) -> None:
    AnnotationsApp.launch_instance(argv)
