"""The annotation service process: the service base's Application over the route table.

Run by the hub as a managed service (`python -m echoes_hub.services.annotations`) with
its `AnnotationsService` settings in the environment (hub/services/base/settings.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

from tornado import web

from ..base.app import ServiceApp
from . import AnnotationsService, migrate
from .handlers import ROUTES, Signal
from .service import DEFAULT_CONTAINER, Annotations, ImportQuota
from .store import Store


class AnnotationsApp(ServiceApp):
    """Serve the W3C Web Annotation Protocol for the hub's users."""

    name = "echoes-annotations"
    description = "The ECHOES annotation store, a JupyterHub managed service."
    settings_class = AnnotationsService
    classes: ClassVar[list] = [AnnotationsService]
    aliases: ClassVar[dict] = {
        "database-url": "AnnotationsService.database_url",
        "public-url": "ServiceApp.public_url",
        "max-body-size": "AnnotationsService.max_body_size",
        "max-import-size": "AnnotationsService.max_import_size",
        "auth-cache-max-age": "AnnotationsService.auth_cache_max_age",
    }

    store: Store | None = None
    writer: ThreadPoolExecutor | None = None

    async def open(self) -> None:
        self.store = Store(self.service_settings.database_url)
        self.store.create_schema()
        self.store.ensure_container(DEFAULT_CONTAINER, "echoes", "Everyone's annotations")
        self.log.info("annotations database %s", self.store.engine.url)
        canvases = migrate.read_canvases(self.service_settings.canvases_file, self.log)
        moved = migrate.move_to_canvases(self.store, canvases)
        self.log.info("%d annotations moved from old canvas IRIs to IIIF canvases", moved)

    async def close(self) -> None:
        if self.writer is not None:  # writes under way finish before the store closes
            self.writer.shutdown()
        self.store.close()

    def largest_body(self) -> int:
        return max(self.service_settings.max_body_size, self.service_settings.max_import_size)

    def make_web_app(self) -> web.Application:
        options = self.service_settings
        # One writer: writes queue here in order, never on the event loop.
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="annotations-writer")
        return self.web_app(
            ROUTES,
            annotations=Annotations(self.store, self.public_url, options.page_size),
            import_quota=ImportQuota(options.max_imports_per_hour),
            writer=self.writer,
            changed=Signal(),
            # The form behind "Agree", "Contest" and "Reply" (respond.py).
            template_path=str(Path(__file__).parent),
        )


def main(argv: list[str] | None = None) -> None:
    AnnotationsApp.launch_instance(argv)
