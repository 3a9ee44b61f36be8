"""The idle culler: a managed service that stops user servers nobody uses."""

from __future__ import annotations

import sys

from ..settings import EchoesHub
from .tether import tethered

#: What the culler may do, and nothing more (JupyterHub RBAC scopes).
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]


def culler_service(settings: EchoesHub) -> tuple[dict, dict] | None:
    """The service and role that run jupyterhub-idle-culler, or None when culling is off."""
    if settings.cull_idle_timeout <= 0:
        return None
    service = {
        "name": "idle-culler",
        "command": tethered(
            [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={settings.cull_idle_timeout}",
                f"--cull-every={settings.cull_every}",
            ]
        ),
    }
    role = {"name": "idle-culler", "scopes": CULLER_SCOPES, "services": ["idle-culler"]}
    return service, role
