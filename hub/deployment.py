"""What the hub decides and prepares once, when it starts, before any configuration is built.

`echoes up` (and hub/jupyterhub_config.py) probes the Docker engine, creates the network,
picks the services' ports and writes the state folder's secrets once (`prepare`, in
hub/prepare.py); every configuration section (hub/config.py) then only reads this value, so
building the configuration has no side effects and no section guesses the mode back from
another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .settings import EchoesHub


@dataclass(frozen=True)
class Deployment:
    settings: EchoesHub
    #: Where user servers run: local processes or containers (EchoesHub.spawner resolved).
    servers: Literal["local", "docker"]
    #: The address the hub and the managed services listen on for user servers: loopback,
    #: or the gateway of the containers' network (loopback in a container is the container).
    services_ip: str = "127.0.0.1"
    #: The user image, its network, the prefix of container names and the name of users'
    #: home volumes, as the Docker spawner is configured (read by whatever runs containers
    #: or reaches homes: user servers, apps, workshops).
    image: str = ""
    network: str = ""
    container_prefix: str = "echoes"
    home_volume: str = ""
    #: The proxy's REST API and its token (kept in the state folder across restarts).
    proxy_api_url: str = ""
    proxy_auth_token: str = ""
    #: Loopback ports of the managed services, by service name, picked once and kept.
    service_ports: Mapping[str, int] = field(default_factory=dict)
