"""Settings of the apps service and the JupyterHub service entry and roles it needs.

Building the entry has no side effects: the engine, the network and the port are the
Deployment's (hub/deployment.py), decided once when the hub starts.
"""

from __future__ import annotations

import os
import sys

from traitlets import Enum, Float, Integer, Unicode
from traitlets.config import Config, Configurable

from ...deployment import Deployment
from ..tether import tethered

#: The service reads viewers' groups and admin flag to enforce group shares.
SERVICE_SCOPES = ["read:users", "read:groups"]
#: Every hub user may reach the apps service with their own tokens (the CLI publishes
#: with one), and so may their servers' JUPYTERHUB_API_TOKEN (hub/config.py adds these
#: to the `user` role and the servers' token scopes).
USER_SCOPES = ["access:services!service=apps"]


class EchoesApps(Configurable):
    """Published Voila apps (the `apps` managed service)."""

    port = Integer(
        0,
        config=True,
        help="""Loopback port of the apps service behind the proxy. 0: the free port the
        hub picked when it first started and keeps in the state folder (the hub tells the
        proxy where it is).""",
    )
    pool_size = Integer(
        1,
        config=True,
        help="""Preheated kernels kept ready per running app (Voila's pool_size): each
        opening of an app takes one, so opening is fast.""",
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


def app_mode(apps: EchoesApps, deployment: Deployment) -> str:
    """Where apps run: EchoesApps.mode, else containers when user servers are containers."""
    return apps.mode or ("docker" if deployment.servers == "docker" else "process")


def container_args(apps: EchoesApps, deployment: Deployment) -> list[str]:
    """The service's arguments for the container mode, [] for the process mode. The
    image, network and container names follow the user servers' unless set here."""
    if app_mode(apps, deployment) == "process":
        return []
    return [
        "--mode=docker",
        f"--image={apps.image or deployment.image}",
        f"--network={apps.network or deployment.network}",
        f"--name-prefix={deployment.container_prefix}",
        f"--mem-limit={apps.mem_limit}",
        f"--cpu-limit={apps.cpu_limit}",
        f"--container-uid={apps.container_uid}",
    ]


def apps_service(c: Config, deployment: Deployment) -> tuple[dict, list[dict], list[str]]:
    """The managed service entry for the apps service, its own role, and the scopes users
    (and their servers' tokens) need to use it."""
    settings, apps = deployment.settings, EchoesApps(config=c)
    port = apps.port or deployment.service_ports.get("apps")
    if not port:
        raise ValueError("the apps service has no port: set EchoesApps.port or pick one at start")
    environment = {
        "ECHOES_DATA_DIR": settings.data_dir,
        # Each author's apps have a host of their own, which the service routes to itself
        # through the proxy's API (origins.py); it takes these out of its environment.
        "ECHOES_PROXY_API_URL": deployment.proxy_api_url,
        "ECHOES_PROXY_AUTH_TOKEN": deployment.proxy_auth_token,
    }
    if os.environ.get("DOCKER_HOST"):  # the engine the spawner uses, if not the local one
        environment["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    service = {
        "name": "apps",
        "display": True,
        "url": f"http://127.0.0.1:{port}",
        "oauth_no_confirm": True,
        "command": tethered(
            [
                sys.executable,
                "-m",
                "echoes_hub.services.apps.service",
                f"--state={settings.state_path / 'apps'}",
                f"--pool-size={apps.pool_size}",
                f"--idle-timeout={apps.idle_timeout}",
                f"--cull-every={apps.cull_every}",
                f"--check-timeout={apps.check_timeout}",
                f"--account-prefix={apps.account_prefix}",
                f"--page-timeout={apps.page_timeout}",
                *container_args(apps, deployment),
            ]
        ),
        "environment": environment,
    }
    roles = [
        {"name": "apps-service", "scopes": SERVICE_SCOPES, "services": ["apps"]},
    ]
    return service, roles, USER_SCOPES
