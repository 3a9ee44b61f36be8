"""Settings of the apps service and the JupyterHub service entry and roles it needs."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from traitlets import Float, Integer, Unicode
from traitlets.config import Configurable

from ...settings import EchoesHub
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
        help="""Loopback port of the apps service behind the proxy. 0 picks a free port
        each time the hub starts (the hub tells the proxy where it is).""",
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


def _kept_port(path: Path) -> int:
    """A free loopback port chosen once and kept in the state folder, so that applying
    the configuration again (or restarting the hub) gives the same address."""
    if path.exists():
        return int(path.read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path.write_text(str(port))
    return port


def apps_service(settings: EchoesHub, apps: EchoesApps) -> tuple[dict, list[dict], list[str]]:
    """The managed service entry for the apps service, its own role, and the scopes users
    (and their servers' tokens) need to use it."""
    port = apps.port or _kept_port(settings.state_path / "apps-service-port")
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
            ]
        ),
        "environment": {"ECHOES_DATA_DIR": settings.data_dir},
    }
    roles = [
        {"name": "apps-service", "scopes": SERVICE_SCOPES, "services": ["apps"]},
    ]
    return service, roles, USER_SCOPES
