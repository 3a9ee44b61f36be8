"""The jupyter_server extension behind the ECHOES JupyterLab extension (extensions/labextension/).

Routes under ``<base_url>/echoes/`` (handlers.py): the heritage catalog tree, search,
entries, previews and images; a pass-through to the annotation service and publishing
to the apps service, both with the server's own hub token. Enabled for every server by
``etc/jupyter/jupyter_server_config.d/echoes-vre.json``, installed with the distribution.
That file also lets the server's pages frame its own pages, `frame-ancestors 'self'`, for
Voila's preview in JupyterLab: JupyterHub's default, 'none', keeps components from framing
each other on one host, and here each server has a host of its own (README, "Origins").
"""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from echoes.hub import Hub

from .handlers import ROUTES

PREFIX = "echoes"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "echoes.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    web_app = serverapp.web_app
    base = url_path_join(web_app.settings["base_url"], PREFIX)
    hub = Hub.from_environ()
    # One client for the server's life: its connections are kept for the next request.
    services = {"hub": hub, "http": hub.async_client(timeout=120)}
    web_app.add_handlers(
        ".*$",
        [(url_path_join(base, route), handler, services) for route, handler in ROUTES],
    )
    serverapp.log.info("ECHOES server extension at %s/", base)
