"""Turn the deployment (hub/deployment.py) into JupyterHub configuration.

One small function per section, each reading the `Deployment` that `prepare` made when
the hub started (hub/prepare.py) and nothing that another section wrote. Sections only
set values: no files, folders, sockets or engine calls, and nothing is appended to or
mutated, so applying the configuration twice gives the same result.
"""

from __future__ import annotations

from pathlib import Path

import nativeauthenticator
from traitlets.config import Config

from .auth import USERNAME_PATTERN, EchoesAuthenticator
from .deployment import Deployment
from .proxy import EchoesProxy
from .services.annotations import annotations_service
from .services.apps.config import apps_service
from .services.culler import culler_service
from .services.iiif import iiif_service
from .services.twins import twins_service
from .services.workshops import workshops_service
from .spawners.docker import configure_docker_servers
from .spawners.local import EchoesLocalSpawner


def configure_state(c: Config, deployment: Deployment) -> None:
    settings = deployment.settings
    state = settings.state_path
    c.JupyterHub.db_url = settings.database_url
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
    c.ConfigurableHTTPProxy.auth_token = deployment.proxy_auth_token


def configure_network(c: Config, deployment: Deployment) -> None:
    settings = deployment.settings
    c.JupyterHub.bind_url = f"http://{settings.ip}:{settings.port}"
    # Where user servers reach the hub: loopback, or their network's gateway.
    c.JupyterHub.hub_ip = deployment.services_ip
    c.JupyterHub.hub_port = settings.hub_port
    c.ConfigurableHTTPProxy.api_url = deployment.proxy_api_url
    c.ConfigurableHTTPProxy.command = [settings.proxy_command]
    # A restarted hub adopts the proxy that kept running instead of replacing it.
    c.JupyterHub.proxy_class = EchoesProxy
    # User servers and the proxy outlive the hub, so a hub restart interrupts nobody.
    c.JupyterHub.cleanup_servers = not settings.keep_running_on_exit
    c.JupyterHub.cleanup_proxy = not settings.keep_running_on_exit


def configure_origins(c: Config, deployment: Deployment) -> None:
    """Content that a person controls never runs in an origin that holds anyone else's
    credentials (JupyterHub's web security guide: "subdomains are the only way to reliably
    isolate user servers from each other"). The hub is http://<domain>:<port>/; JupyterHub
    puts each user server on <user>.<domain> and each service on <service>--service.<domain>;
    the apps service puts each author's apps on <author>--app.<domain> (apps/origins.py).
    Every cookie is host-only, so no origin receives another's cookies."""
    c.JupyterHub.subdomain_host = deployment.settings.public_url.rstrip("/")


def configure_auth(c: Config, deployment: Deployment) -> None:
    c.JupyterHub.authenticator_class = EchoesAuthenticator
    # Ours first: they override some of NativeAuthenticator's pages.
    c.JupyterHub.template_paths = [
        str(Path(__file__).parent / "templates"),
        str(Path(nativeauthenticator.__file__).parent / "templates"),
    ]
    c.Authenticator.admin_users = {deployment.settings.admin_user}
    # Approval by an administrator is the gate: NativeAuthenticator refuses unapproved users.
    c.Authenticator.allow_all = True
    c.Authenticator.username_pattern = USERNAME_PATTERN
    c.NativeAuthenticator.minimum_password_length = 8
    c.NativeAuthenticator.check_common_password = True


def configure_servers(c: Config, deployment: Deployment) -> None:
    settings = deployment.settings
    c.Spawner.default_url = "/lab"
    # Includes the wait in the start queue (spawners/queue.py) when many start at once.
    c.Spawner.start_timeout = 300
    c.Spawner.http_timeout = 120
    c.JupyterHub.allow_named_servers = True
    c.JupyterHub.named_server_limit_per_user = settings.named_server_limit
    if deployment.servers == "docker":
        configure_docker_servers(c, deployment)
        return
    c.JupyterHub.spawner_class = EchoesLocalSpawner
    c.EchoesLocalSpawner.home_root = str(settings.state_path / "homes")
    c.EchoesLocalSpawner.data_dir = settings.data_dir
    c.EchoesLocalSpawner.harvested_dir = settings.harvested_dir


def configure_services(c: Config, deployment: Deployment) -> None:
    settings = deployment.settings
    services, roles = [], []
    culler = culler_service(settings)
    if culler:
        services.append(culler[0])
        roles.append(culler[1])
    annotations, annotation_scopes = annotations_service(c, deployment)
    services.append(annotations)
    # Published Voila apps (hub/services/apps/).
    apps, apps_roles, apps_scopes = apps_service(c, deployment)
    services.append(apps)
    roles.extend(apps_roles)
    # The shared data's images and manifests as IIIF, read anonymously (hub/services/iiif/).
    services.append(iiif_service(c, deployment))
    # The twins' graph (SPARQL) and object pages, read anonymously (hub/services/twins/);
    # users' tokens reach its contribution wizard. It follows the annotation service's
    # change feed, at that service's own address.
    twins, twins_scopes = twins_service(
        c, deployment, f"{annotations['url']}/services/annotations/"
    )
    services.append(twins)
    # Workshops: events, their join codes (hub/services/workshops/).
    workshops, workshops_roles, workshops_scopes = workshops_service(c, deployment)
    services.append(workshops)
    roles.extend(workshops_roles)
    # Users, and the API tokens of their servers, may use the services above.
    user_scopes = [*annotation_scopes, *apps_scopes, *twins_scopes, *workshops_scopes]
    roles.append({"name": "user", "scopes": ["self", *user_scopes]})
    c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", *user_scopes]
    tell_servers_where_services_are(c, deployment, services)
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles


def tell_servers_where_services_are(
    c: Config, deployment: Deployment, services: list[dict]
) -> None:
    """User servers reach each service directly, told by ECHOES_<NAME>_URL: the public
    <name>--service.<domain> is for browsers (a kernel's resolver may not know *.localhost).
    Each service listens where user servers reach the host (Deployment.services_ip):
    loopback, or with containers their network's gateway, as the hub does (loopback inside
    a container is the container)."""
    spawner = c.EchoesDockerSpawner if deployment.servers == "docker" else c.EchoesLocalSpawner
    environment = dict(spawner.get("environment", {}))
    for service in services:
        if "url" in service:
            name = service["name"]
            environment[f"ECHOES_{name.upper()}_URL"] = f"{service['url']}/services/{name}/"
    spawner.environment = environment


SECTIONS = [
    configure_state,
    configure_network,
    configure_origins,
    configure_auth,
    configure_servers,
    configure_services,
]


def apply(c: Config, deployment: Deployment) -> None:
    """Apply every section to the JupyterHub config ``c``, for the deployment `prepare`
    made from it."""
    for section in SECTIONS:
        section(c, deployment)
