"""Settings of the apps service, and the JupyterHub service entry and roles it needs.

`EchoesApps` is read by the hub (to build the entry) and, handed over by it, by the
service process (service.py): each setting is declared once, here. Building the entry
has no side effects: the engine, the network and the port are the Deployment's
(hub/deployment.py), decided once when the hub starts.
"""

from __future__ import annotations

import os
from typing import Any

from traitlets import Enum, Float, Integer, Unicode, default
from traitlets.config import Config

from ...deployment import Deployment
from ..base.settings import ServiceSettings, service_entry

#: The service asks the hub for a viewer's groups and admin flag when only their name is
#: known (the viewer cookie on an author's host, origins.py).
SERVICE_SCOPES = ["read:users", "read:groups"]
#: Every hub user may reach the apps service with their own tokens (the CLI publishes
#: with one), and so may their servers' JUPYTERHUB_API_TOKEN (hub/config.py adds these
#: to the `user` role and the servers' token scopes).
USER_SCOPES = ["access:services!service=apps"]
#: The apps' folder (database, snapshots, run folders) in the hub's state folder, which
#: is the service's working folder.
STATE_FOLDER = "apps"


class EchoesApps(ServiceSettings):
    """Published Voila apps (the `apps` managed service)."""

    name = "apps"
    module = "echoes_hub.services.apps.service"

    @default("max_body_size")
    def _default_max_body_size(self) -> int:
        # A publication: the notebook and its files (model.MAX_TOTAL_BYTES) in base64.
        return 100 * 1024 * 1024

    pool_size = Integer(
        0,
        config=True,
        help="""Preheated kernels kept ready per running app (Voila's preheat_kernel and
        pool_size; 0 turns preheating off). Each opening of an app takes one, so opening
        is faster, but Voila 0.5 has a race: a page that takes a kernel whose pre-render
        has just begun can stall until `page_timeout`, and again after the restart.
        Seen on the test machines; hence off by default.""",
    )
    idle_timeout = Float(
        600,
        config=True,
        help="Seconds without a request or an open page after which a running app stops.",
    )
    cull_every = Float(60, config=True, help="Seconds between two checks for idle apps.")
    check_timeout = Integer(
        120,
        config=True,
        help="Seconds a cell may run in the trial run made when a notebook is published.",
    )
    account_prefix = Unicode(
        "echoesapp-",
        config=True,
        help="""When the hub runs as root, each author's apps run as a system user of
        their own, this prefix + the author's name (shortened with a hash past 32
        characters). It has no home, cannot enter users' homes, reads only its author's
        snapshots and writes none. It must differ from the user servers' prefix
        (EchoesLocalSpawner.system_user_prefix, `echoes-`) so no hub user maps to it.""",
    )
    page_timeout = Float(
        60,
        config=True,
        help="""Seconds an app's page may take to render (its notebook runs while the
        page loads). After that the app is restarted (if nobody else has it open) and
        the page asked once more; then the viewer gets a short message.""",
    )
    mode = Enum(
        ["process", "docker"],
        default_value=None,
        allow_none=True,
        config=True,
        help="""How apps run: "process" (a Voila process on the hub's machine, in the
        hub's Python environment) or "docker" (Voila in a container of the single-user
        image, so apps have the user servers' environment; see containers.py). Unset:
        "docker" when user servers are containers (EchoesHub.spawner), else "process".""",
    )
    image = Unicode(
        "",
        config=True,
        help="""Container mode: the image apps run in. Empty: the user servers' image
        (EchoesDockerSpawner.image, echoes/singleuser:latest by default).""",
    )
    network = Unicode(
        "",
        config=True,
        help="""Container mode: the Docker network of the apps' containers, which the
        service reaches them on. Empty: the user servers' network
        (EchoesDockerSpawner.network_name), on which containers cannot reach each other.""",
    )
    container_prefix = Unicode(
        "",
        config=True,
        help="""Container mode: the apps' containers are named <prefix>-app-<author>--<name>.
        Empty: the user servers' prefix (EchoesDockerSpawner.prefix).""",
    )
    mem_limit = Unicode(
        "1G",
        config=True,
        help="Container mode: the memory limit of one app's container (Docker's syntax, e.g. 1G).",
    )
    cpu_limit = Float(
        1.0, config=True, help="Container mode: the CPUs one app's container may use (a float)."
    )
    container_uid = Integer(
        1000,
        config=True,
        help="""Container mode: the unprivileged uid (and gid) apps run as inside their
        container (the image's user). As root it is also given the group of the
        author's apps account, the only group that may read the author's snapshots.""",
    )


def app_mode(apps: EchoesApps, servers: str) -> str:
    """Where apps run: EchoesApps.mode, else containers when user servers (`servers`, a
    Deployment's) are containers."""
    return apps.mode or ("docker" if servers == "docker" else "process")


def apps_service(c: Config, deployment: Deployment) -> tuple[dict, list[dict], list[str]]:
    """The managed service entry for the apps service, its own role, and the scopes users
    (and their servers' tokens) need to use it."""
    apps = EchoesApps(config=c)
    # What follows the user servers is resolved here, so the service reads final values.
    apps.mode = app_mode(apps, deployment.servers)
    apps.image = apps.image or deployment.image
    apps.network = apps.network or deployment.network
    apps.container_prefix = apps.container_prefix or deployment.container_prefix
    environment = {
        "ECHOES_DATA_DIR": deployment.settings.data_dir,
        # Each author's apps have a host of their own, which the service routes to itself
        # through the proxy's API (origins.py); it takes these out of its environment.
        "ECHOES_PROXY_API_URL": deployment.proxy_api_url,
        "ECHOES_PROXY_AUTH_TOKEN": deployment.proxy_auth_token,
    }
    if os.environ.get("DOCKER_HOST"):  # the engine the spawner uses, if not the local one
        environment["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    service: dict[str, Any] = service_entry(
        apps,
        deployment,
        default_port=deployment.settings.port + 5,
        environment=environment,
        display=True,
    )
    roles = [{"name": "apps-service", "scopes": SERVICE_SCOPES, "services": ["apps"]}]
    return service, roles, USER_SCOPES
