"""A managed service's settings, declared once, and the JupyterHub service entry made
from them.

Each service has one `ServiceSettings` subclass (``c.<Class>.<name>`` in the hub's
configuration). The hub reads it to build the service's entry (`service_entry`) and
hands the whole section, as resolved on the hub, to the service process as JSON in one
environment variable (`CONFIG_VARIABLE`); the service reads the same class from it. So
every setting has one declaration and one default. The environment and not the command
line: every hub user may read a managed service's command in its model, and every local
account /proc/<pid>/cmdline, and a setting may hold a secret (a database password).
"""

from __future__ import annotations

import json
import sys
from typing import Any, ClassVar

from traitlets import Integer
from traitlets.config import LoggingConfigurable

from ...deployment import Deployment
from ..tether import tethered

#: The environment variable that carries a service's configuration (JSON, traitlets'
#: ``{"Class": {"trait": value}}`` shape) from the hub to the service process.
CONFIG_VARIABLE = "ECHOES_SERVICE_CONFIG"


class ServiceSettings(LoggingConfigurable):
    """What every managed service has; a service subclasses it with its own settings."""

    #: The service's name: JupyterHub serves it at /services/<name>/.
    name: ClassVar[str]
    #: The module `python -m` runs to start the service process.
    module: ClassVar[str]

    port = Integer(
        0,
        config=True,
        help="""Port the service listens on (users reach it through the proxy at
        /services/<name>/). 0: the port the hub picked for it at start.""",
    )

    max_body_size = Integer(
        256 * 1024,
        min=0,
        config=True,
        help="Largest request body in bytes the service takes (larger gets 413).",
    )

    auth_cache_max_age = Integer(
        10,
        min=1,
        config=True,
        help="""Seconds the service keeps the hub's answer to "who is this token or cookie"
        (the user, whether an administrator, and their groups) before asking the hub again.
        It bounds how long a change on the hub takes to reach the service: a person
        removed from a group, demoted, or whose token was revoked keeps the old rights at
        most this long (JupyterHub's default for services is 300 s). At least 1: asking the
        hub on every request would add its round trip to every read.""",
    )

    def section(self) -> dict[str, Any]:
        """This class's configuration section as resolved here: every setting's value."""
        return {name: getattr(self, name) for name in self.trait_names(config=True)}


def service_entry(
    options: ServiceSettings,
    deployment: Deployment,
    *,
    default_port: int,
    environment: dict[str, str] | None = None,
    restart: bool = True,
    **entry: Any,
) -> dict[str, Any]:
    """The JupyterHub service entry of the service ``options`` configures: where it
    listens, its process (tethered to the hub and, with ``restart``, started again at
    once when it dies: `tether`), its settings in `CONFIG_VARIABLE`, and hub OAuth
    without a confirmation page that grants it the callers' groups (the `Viewer`).
    ``environment`` and ``entry`` add to it what is the service's own."""
    settings = deployment.settings
    port = options.port or deployment.service_ports.get(options.name) or default_port
    config = {
        type(options).__name__: options.section(),
        # Annotation IRIs and links use the public address, however a client came in.
        "ServiceApp": {"public_url": settings.service_public_url(options.name)},
    }
    return {
        "name": options.name,
        "url": f"http://{deployment.services_ip}:{port}",
        "command": tethered([sys.executable, "-m", options.module], restart=restart),
        "cwd": settings.state_dir,
        "environment": {**(environment or {}), CONFIG_VARIABLE: json.dumps(config)},
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": ["read:users:groups!user"],
        **entry,
    }
