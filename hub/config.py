"""Turn EchoesHub settings into JupyterHub configuration.

One small function per section. Each one sets values and never appends to or
mutates what is there, so applying the configuration twice gives the same result.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

import nativeauthenticator
from traitlets.config import Config

from .auth import USERNAME_PATTERN, EchoesAuthenticator
from .deployment import Deployment
from .proxy import EchoesProxy
from .services.annotations import annotations_service
from .services.apps.config import EchoesApps, app_mode, apps_service
from .services.culler import culler_service
from .settings import EchoesHub
from .spawners.docker import (
    DEFAULT_IMAGE,
    DEFAULT_NETWORK,
    EchoesDockerSpawner,
    _configured,
    configure_docker_servers,
    engine_answers,
    ensure_network,
    image_exists,
    use_docker,
)
from .spawners.local import EchoesLocalSpawner


def _secret_file(path: Path, nbytes: int = 32) -> str:
    """Read a secret kept in the state folder, creating it (mode 0600) on first use."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(nbytes))
    return path.read_text().strip()


#: What user servers and apps reach in the state folder (with modes of their own);
#: everything else there is the hub's only.
SHARED_IN_STATE = ("homes", "apps")


def close_state_files(state: Path, data_dir: Path) -> None:
    """Make what an older version left in the state folder (0644 databases, logs,
    secrets) readable by the hub's account only. The homes, the shared data and the apps
    folder keep their own modes; the apps' own database is closed here too."""
    for path in [*state.iterdir(), *state.glob("apps/apps.sqlite*")]:
        if path.name in SHARED_IN_STATE or path == data_dir or path.is_symlink():
            continue
        path.chmod(0o700 if path.is_dir() else 0o600)


def configure_state(c: Config, settings: EchoesHub) -> None:
    state = settings.state_path
    state.mkdir(mode=0o711, parents=True, exist_ok=True)
    # Users' servers must traverse the state folder to reach their homes and the data,
    # never list it.
    state.chmod(0o711)
    close_state_files(state, Path(settings.data_dir))
    c.JupyterHub.db_url = settings.database_url
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
    # Kept across restarts so that a new hub can talk to the proxy that kept running.
    c.ConfigurableHTTPProxy.auth_token = _secret_file(state / "proxy_auth_token")


def configure_network(c: Config, settings: EchoesHub) -> None:
    c.JupyterHub.bind_url = f"http://{settings.ip}:{settings.port}"
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = settings.hub_port
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
    c.ConfigurableHTTPProxy.command = [settings.proxy_command]
    # A restarted hub adopts the proxy that kept running instead of replacing it.
    c.JupyterHub.proxy_class = EchoesProxy
    # User servers and the proxy outlive the hub, so a hub restart interrupts nobody.
    c.JupyterHub.cleanup_servers = not settings.keep_running_on_exit
    c.JupyterHub.cleanup_proxy = not settings.keep_running_on_exit


def configure_origins(c: Config, settings: EchoesHub) -> None:
    """Content that a person controls never runs in an origin that holds anyone else's
    credentials (JupyterHub's web security guide: "subdomains are the only way to reliably
    isolate user servers from each other"). The hub is http://<domain>:<port>/; JupyterHub
    puts each user server on <user>.<domain> and each service on <service>--service.<domain>;
    the apps service puts each author's apps on <author>--app.<domain> (apps/origins.py).
    Every cookie is host-only, so no origin receives another's cookies."""
    c.JupyterHub.subdomain_host = settings.public_url.rstrip("/")


def configure_auth(c: Config, settings: EchoesHub) -> None:
    c.JupyterHub.authenticator_class = EchoesAuthenticator
    # Ours first: they override some of NativeAuthenticator's pages.
    c.JupyterHub.template_paths = [
        str(Path(__file__).parent / "templates"),
        str(Path(nativeauthenticator.__file__).parent / "templates"),
    ]
    c.Authenticator.admin_users = {settings.admin_user}
    # Approval by an administrator is the gate: NativeAuthenticator refuses unapproved users.
    c.Authenticator.allow_all = True
    c.Authenticator.username_pattern = USERNAME_PATTERN
    c.NativeAuthenticator.minimum_password_length = 8
    c.NativeAuthenticator.check_common_password = True


def configure_servers(c: Config, settings: EchoesHub) -> None:
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
    c.JupyterHub.allow_named_servers = True
    c.JupyterHub.named_server_limit_per_user = settings.named_server_limit
    if use_docker(c, settings):
        configure_docker_servers(c, settings)
        return
    c.JupyterHub.spawner_class = EchoesLocalSpawner
    c.EchoesLocalSpawner.home_root = str(settings.state_path / "homes")
    c.EchoesLocalSpawner.data_dir = settings.data_dir


def configure_data(c: Config, settings: EchoesHub) -> None:
    data = Path(settings.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    # Readable by every user server, writable only by the hub's account.
    data.chmod(0o755)


def started_deployment(c: Config, settings: EchoesHub) -> Deployment:
    """The Deployment the apps service's entry reads, from what the sections above set.
    Until the hub prepares the Deployment when it starts (issue 13's configuration work),
    the side effects the apps entry used to have are here: the kept port, and the engine
    and network when apps run in containers beside local user servers."""
    servers = "docker" if c.JupyterHub.get("spawner_class") is EchoesDockerSpawner else "local"
    network = _configured(c, "network_name", DEFAULT_NETWORK)
    deployment = Deployment(
        settings,
        servers,
        image=_configured(c, "image", DEFAULT_IMAGE),
        network=network,
        container_prefix=_configured(c, "prefix", "echoes"),
        proxy_api_url=c.ConfigurableHTTPProxy.get("api_url", ""),
        proxy_auth_token=c.ConfigurableHTTPProxy.get("auth_token", ""),
        service_ports={"apps": _kept_port(settings.state_path / "apps-service-port")},
    )
    apps = EchoesApps(config=c)
    if servers == "local" and app_mode(apps, deployment) == "docker":
        if not engine_answers():
            raise SystemExit("echoes up: EchoesApps.mode docker needs a Docker engine")
        if not image_exists(apps.image or deployment.image):
            raise SystemExit("echoes up: the apps' image is missing (`make image`)")
        ensure_network(apps.network or network)
    return deployment


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


def configure_services(c: Config, settings: EchoesHub) -> None:
    services, roles = [], []
    culler = culler_service(settings)
    if culler:
        services.append(culler[0])
        roles.append(culler[1])
    # Until `echoes up` prepares it once at start (hub/deployment.py), made from what is here.
    servers = "docker" if c.JupyterHub.get("hub_connect_ip") else "local"
    annotations, annotation_scopes = annotations_service(c, Deployment(settings, servers))
    services.append(annotations)
    # Published Voila apps (hub/services/apps/).
    apps, apps_roles, apps_scopes = apps_service(c, started_deployment(c, settings))
    services.append(apps)
    roles.extend(apps_roles)
    # Users, and the API tokens of their servers, may use the services above.
    user_scopes = [*annotation_scopes, *apps_scopes]
    roles.append({"name": "user", "scopes": ["self", *user_scopes]})
    c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", *user_scopes]
    tell_servers_where_services_are(c, services)
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles


def tell_servers_where_services_are(c: Config, services: list[dict]) -> None:
    """User servers reach each service directly, told by ECHOES_<NAME>_URL: the public
    <name>--service.<domain> is for browsers (a kernel's resolver may not know *.localhost).
    With user servers in containers, the services listen where containers reach the host
    (the network's gateway, as the hub does): loopback inside a container is the container."""
    host = c.JupyterHub.get("hub_connect_ip", "")
    spawner = c.EchoesDockerSpawner if host else c.EchoesLocalSpawner
    environment = dict(spawner.get("environment", {}))
    for service in services:
        if "url" in service:
            if host:
                service["url"] = service["url"].replace("//127.0.0.1:", f"//{host}:")
            name = service["name"]
            environment[f"ECHOES_{name.upper()}_URL"] = f"{service['url']}/services/{name}/"
    spawner.environment = environment


SECTIONS = [
    configure_state,
    configure_network,
    configure_origins,
    configure_auth,
    configure_servers,
    configure_data,
    configure_services,
]


def apply(c: Config) -> EchoesHub:
    """Apply every section to the JupyterHub config ``c``; return the settings used."""
    settings = EchoesHub(config=c)
    for section in SECTIONS:
        section(c, settings)
    return settings
