"""The jupyter_server extension behind the ECHOES JupyterLab extension (extensions/labextension/).

Routes under ``<base_url>/echoes/`` (handlers.py): the heritage catalog tree, search,
entries, previews and images; a pass-through to the annotation service and publishing
to the apps service, both with the server's own hub token. Enabled for every server by
``etc/jupyter/jupyter_server_config.d/echoes-vre.json``, installed with the distribution.
The extension also lets the server's pages frame its own pages (`FRAMED_BY_ITSELF`), for
Voila's preview in JupyterLab.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop, PeriodicCallback

from echoes.hub import Hub
from echoes.materials import MaterialsPuller

from .handlers import ROUTES

PREFIX = "echoes"
#: Seconds between two checks for a new version of a workshop's materials.
MATERIALS_EVERY = 15
#: JupyterHub's user servers send frame-ancestors 'none' (its components share one host
#: without `subdomain_host`), which leaves Voila's preview blank. Here each server has a
#: host of its own (README, "Origins"), so 'self' is this server's own pages only.
FRAMED_BY_ITSELF = "frame-ancestors 'self'"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "echoes.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    web_app = serverapp.web_app
    base = url_path_join(web_app.settings["base_url"], PREFIX)
    hub = Hub.from_environ()
    # One client for the server's life: its connections are kept for the next request.
    http = hub.async_client(timeout=120)
    # A workshop attendee's side of their event (materials, messages, raised hand): asked
    # at start, then every MATERIALS_EVERY seconds; JupyterLab reads the last answer.
    puller = MaterialsPuller(hub, http, Path(serverapp.root_dir), serverapp.log)
    services = {"hub": hub, "http": http, "workshop": puller}
    # Set on the application (JupyterHub sets its default there, before or after us); a
    # policy the deployment configured (ServerApp.tornado_settings) is left as it is.
    if "Content-Security-Policy" not in serverapp.tornado_settings.get("headers", {}):
        web_app.settings.setdefault("headers", {})["Content-Security-Policy"] = FRAMED_BY_ITSELF
    web_app.add_handlers(
        ".*$",
        [(url_path_join(base, route), handler, services) for route, handler in ROUTES],
    )
    serverapp.log.info("ECHOES server extension at %s/", base)
    IOLoop.current().add_callback(puller.check)
    PeriodicCallback(puller.check, MATERIALS_EVERY * 1000).start()
