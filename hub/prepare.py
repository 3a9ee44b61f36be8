"""What the hub does once when it starts, before its configuration is built.

`prepare` is the only step with side effects: it makes the state folder and closes what
is in it, keeps the proxy's token, decides where user servers run (asking the Docker
engine, making the network), makes the shared data folder and picks the services'
ports. It returns the `Deployment` that every configuration section (hub/config.py)
reads, so building the configuration touches nothing and can run any number of times.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Literal

from traitlets.config import Config

from .config import apply
from .deployment import Deployment
from .engine import engine_answers, ensure_network, image_exists, spawner_setting
from .services.annotations import AnnotationsService
from .services.apps.config import EchoesApps, app_mode
from .services.iiif import IIIFService
from .services.twins import TwinsService
from .services.workshops import WorkshopsService
from .settings import EchoesHub
from .spawners.docker import DEFAULT_HOME_VOLUME, DEFAULT_IMAGE, DEFAULT_NETWORK

#: What user servers and apps reach in the state folder, with modes of their own (homes,
#: the apps, runs published for reviewers: docs/reproduce.md); the rest is the hub's only.
SHARED_IN_STATE = ("homes", "apps", "published")


def prepare(settings: EchoesHub, config: Config) -> Deployment:
    """Make the state folder, secrets, network and ports this start needs; decide where
    user servers run (EchoesHub.spawner). `config` is the hub's configuration as read
    from the config file and command line, for the spawner's and services' settings."""
    state = settings.state_path
    prepare_state(state, Path(settings.data_dir), Path(settings.harvested_dir))
    # Kept across restarts so that a new hub can talk to the proxy that kept running.
    token = secret_file(state / "proxy_auth_token")
    image = spawner_setting(config, "image", DEFAULT_IMAGE)
    network = spawner_setting(config, "network_name", DEFAULT_NETWORK)
    servers = choose_servers(settings.spawner, image)
    # Containers reach the host (the hub and the services) at their network's gateway.
    services_ip = ensure_network(network) if servers == "docker" else "127.0.0.1"
    apps = EchoesApps(config=config)
    prepare_apps_containers(apps, servers, image, network)
    prepare_data(Path(settings.data_dir))
    # Made before a container mounts it (Docker would make a missing one root's).
    prepare_data(Path(settings.harvested_dir))
    return Deployment(
        settings=settings,
        servers=servers,
        services_ip=services_ip,
        image=image,
        network=network,
        container_prefix=spawner_setting(config, "prefix", "echoes"),
        home_volume=spawner_setting(config, "home_volume", DEFAULT_HOME_VOLUME),
        proxy_api_url=f"http://127.0.0.1:{settings.proxy_api_port}",
        proxy_auth_token=token,
        service_ports={
            "annotations": AnnotationsService(config=config).port or settings.port + 4,
            # A free port, kept so that a restarted hub gives the proxy the same address.
            "apps": apps.port or kept_port(state / "apps-service-port"),
            "iiif": IIIFService(config=config).port or kept_port(state / "iiif-service-port"),
            "twins": TwinsService(config=config).port or kept_port(state / "twins-service-port"),
            "workshops": WorkshopsService(config=config).port
            or kept_port(state / "workshops-service-port"),
        },
    )


def prepare_and_apply(c: Config) -> Deployment:
    """What a start does with the configuration `c` read from the config file and command
    line (`echoes up`, hub/jupyterhub_config.py): prepare, then apply the sections to `c`."""
    deployment = prepare(EchoesHub(config=c), c)
    apply(c, deployment)
    return deployment


def prepare_state(state: Path, data_dir: Path, harvested_dir: Path) -> None:
    state.mkdir(mode=0o711, parents=True, exist_ok=True)
    # Users' servers must traverse the state folder to reach their homes and the data,
    # never list it.
    state.chmod(0o711)
    close_state_files(state, data_dir, harvested_dir)


def close_state_files(state: Path, data_dir: Path, harvested_dir: Path) -> None:
    """Make what an older version left in the state folder (0644 databases, logs,
    secrets) readable by the hub's account only. The homes, the shared data, the
    harvested collections' catalog and the apps folder keep their own modes; the apps'
    own database is closed here too."""
    for path in [*state.iterdir(), *state.glob("apps/apps.sqlite*")]:
        if path.name in SHARED_IN_STATE or path in (data_dir, harvested_dir) or path.is_symlink():
            continue
        path.chmod(0o700 if path.is_dir() else 0o600)


def prepare_data(data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    # Readable by every user server, writable only by the hub's account.
    data.chmod(0o755)


def secret_file(path: Path, nbytes: int = 32) -> str:
    """Read a secret kept in the state folder, creating it (mode 0600) on first use."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(nbytes))
    return path.read_text().strip()


def kept_port(path: Path) -> int:
    """A free loopback port chosen once and kept in the state folder, so that a restarted
    hub gives the service the same address."""
    if path.exists():
        return int(path.read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path.write_text(str(port))
    return port


def choose_servers(spawner: str, image: str) -> Literal["local", "docker"]:
    """Where user servers run for EchoesHub.spawner: `auto` asks the engine for the image;
    `docker` without an engine or the image stops the start, saying what is missing."""
    if spawner == "local":
        return "local"
    if spawner == "auto":
        return "docker" if engine_answers() and image_exists(image) else "local"
    if not engine_answers():
        raise SystemExit(
            "echoes up: --spawner docker needs a Docker engine and none answers "
            "(as root, `make docker-engine` starts one)"
        )
    if not image_exists(image):
        raise SystemExit(
            f"echoes up: the user image {image!r} is missing; build it with `make image`"
        )
    return "docker"


def prepare_apps_containers(
    apps: EchoesApps, servers: Literal["local", "docker"], image: str, network: str
) -> None:
    """With published apps in containers (EchoesApps.mode; by default when user servers
    are), the engine, the apps' image and network, as for the servers."""
    if app_mode(apps, servers) != "docker":
        return
    apps_image, apps_network = apps.image or image, apps.network or network
    if servers == "docker" and (apps_image, apps_network) == (image, network):
        return  # checked and made for the user servers
    if servers != "docker" and not engine_answers():
        raise SystemExit("echoes up: EchoesApps.mode docker needs a Docker engine")
    if not image_exists(apps_image):
        raise SystemExit(f"echoes up: the apps' image {apps_image!r} is missing (`make image`)")
    ensure_network(apps_network)
