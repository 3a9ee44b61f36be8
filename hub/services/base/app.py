"""The process of a managed service: a traitlets Application the service subclasses.

JupyterHub starts it with JUPYTERHUB_SERVICE_URL (where to listen),
JUPYTERHUB_SERVICE_PREFIX, the API token and the OAuth client in the environment; the hub
adds the service's settings (`settings.CONFIG_VARIABLE`), read before the command line,
which still wins (running a service by hand: ``--AnnotationsService.max_body_size=...``).
It logs as the hub does (same format, on standard error, which the hub sends to its log)
and stops cleanly on SIGTERM or SIGINT.

A service sets `settings_class`, and implements `make_web_app` (the tornado application,
made with `web_app`), and may implement `open` and `close` (its store) and
`largest_body` (the limit the HTTP server enforces, when a route takes more than
`ServiceSettings.max_body_size`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from typing import Any, ClassVar
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuth
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.log import LogFormatter
from traitlets import Instance, Unicode, default
from traitlets.config import Application, Config

from .logs import log_request
from .routes import Route, url_specs
from .settings import CONFIG_VARIABLE, ServiceSettings

#: JupyterHub's own log format, so the hub's log reads as one.
HUB_LOG_FORMAT = (
    "%(color)s[%(levelname)1.1s %(asctime)s.%(msecs).03d %(name)s %(module)s:%(lineno)d]"
    "%(end_color)s %(message)s"
)


class ServiceApp(Application):
    """A managed service's process: settings, logging, HTTP server, clean stop."""

    #: The service's settings (the class the hub reads too).
    settings_class: ClassVar[type[ServiceSettings]]
    _log_formatter_cls = LogFormatter

    @default("log_level")
    def _default_log_level(self) -> int:
        return logging.INFO

    @default("log_format")
    def _default_log_format(self) -> str:
        return HUB_LOG_FORMAT

    @default("log_datefmt")
    def _default_log_datefmt(self) -> str:
        return "%Y-%m-%d %H:%M:%S"

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
        "else /services/<name>/.",
    )

    @default("prefix")
    def _default_prefix(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{self.settings_class.name}/")

    public_url = Unicode(
        config=True,
        help="""Public base URL of the service, for the links and IRIs it writes, the same
        however a client reaches it (the hub sets it to <name>--service.<domain>).
        Default: the listening address plus the prefix.""",
    )

    @default("public_url")
    def _default_public_url(self) -> str:
        return self.service_url.rstrip("/") + self.prefix

    service_settings = Instance(ServiceSettings, help="The service's settings (from the config).")

    @default("service_settings")
    def _default_service_settings(self) -> ServiceSettings:
        # As the hub handed them over, and the command line.
        return self.settings_class(parent=self)

    def get_default_logging_config(self) -> dict:
        # Tornado's loggers (access, errors) and the service's own through the same
        # handler and format as the application's.
        config = super().get_default_logging_config()
        config["loggers"][type(self).__name__]["propagate"] = False
        config["root"] = {"level": logging.getLevelName(self.log_level), "handlers": ["console"]}
        return config

    def initialize(self, argv: list[str] | None = None) -> None:
        given = os.environ.get(CONFIG_VARIABLE)
        if given:
            self.update_config(Config(json.loads(given)))
        super().initialize(argv)  # parses the command line

    def web_app(self, routes: list[Route], **settings: Any) -> web.Application:
        """The tornado application of ``routes`` (under `prefix`, with the OAuth callback).
        Handlers find `service_settings` and `hub_auth` in their settings, and ``settings``."""
        options = self.service_settings
        # Our own HubOAuth (not the shared singleton) so that its cache follows our setting.
        hub_auth = HubOAuth(parent=self, cache_max_age=options.auth_cache_max_age)
        return web.Application(
            url_specs(self.prefix, routes),
            service_settings=options,
            hub_auth=hub_auth,
            # Signs the OAuth cookie; the hub-issued token keeps sessions across restarts.
            cookie_secret=os.environ.get("JUPYTERHUB_API_TOKEN") or os.urandom(32),
            log_function=log_request,
            **settings,
        )

    def make_web_app(self) -> web.Application:
        """The service's tornado application (built with `web_app`)."""
        raise NotImplementedError

    async def open(self) -> None:
        """Open what the service serves (its store), before it listens."""

    async def close(self) -> None:
        """Close it, after the server stopped."""

    def largest_body(self) -> int:
        """The largest request body any route takes: the HTTP server refuses larger ones;
        handlers apply their own, smaller, limit (`ServiceHandler.body_limit`)."""
        return self.service_settings.max_body_size

    def start(self) -> None:
        asyncio.run(self.serve())

    async def serve(self) -> None:
        await self.open()
        url = urlparse(self.service_url)
        server = HTTPServer(
            self.make_web_app(), max_body_size=self.largest_body() + 1024, xheaders=True
        )
        server.listen(url.port or 80, url.hostname or "127.0.0.1")
        self.log.info("%s at %s", self.settings_class.name, self.public_url)
        stop = asyncio.Event()
        # Explicit handlers: a process started in the background inherits an ignored SIGINT.
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await stop.wait()
        server.stop()
        await self.close()
