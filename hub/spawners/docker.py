"""User servers in Docker containers, from the per-user image built in images/.

Each server is a container of ``echoes/singleuser`` on a Docker network of the
deployment's own. Each hub user has one named volume for the home folder, kept
when containers are stopped and removed, across server and hub restarts. The
shared data folder and the harvested collections' catalog are mounted read-only.
Users choose a size (a profile: CPU and memory limits, profiles.py) on the spawn page,
which sets the container's limits.

The hub listens on the network's gateway address so that containers reach its
API, and the proxy on the host reaches containers by their address on the network.
Containers on the network cannot talk to each other (inter-container traffic is
switched off on the bridge), only to the host.
"""

from __future__ import annotations

from dockerspawner import DockerSpawner
from traitlets import Unicode, default
from traitlets.config import Config

from ..deployment import Deployment
from .profiles import ServerProfiles, server_profile
from .queue import StartQueue

#: The image `make image` builds.
DEFAULT_IMAGE = "echoes/singleuser:latest"
#: The network the containers of a deployment share with nothing else.
DEFAULT_NETWORK = "echoes"
#: Each hub user's home volume (EchoesDockerSpawner.home_volume).
DEFAULT_HOME_VOLUME = "{prefix}-home-{username}"


#: A user or server name as it appears in container and volume names: DockerSpawner's own
#: escaping (its ``escape`` setting's default), which keeps only lower-case letters and
#: digits and writes '-' as '-2d', so that `user--server` names can never collide. For
#: containers that no spawner starts (published apps).
safe_name = DockerSpawner().escape


def home_volume_name(template: str, prefix: str, user: str) -> str:
    """The name of hub user `user`'s home volume: `template` (`home_volume`) with
    {prefix} and {username} (the name made safe). The one rule of the spawner and of the
    workshops service, which reaches homes by their volume (services/workshops/homes.py)."""
    return template.format(prefix=prefix, username=safe_name(user))


class EchoesDockerSpawner(StartQueue, ServerProfiles, DockerSpawner):
    """DockerSpawner with a home volume per user, the shared data read-only and profiles;
    starts wait their turn in the hub's start queue (queue.py)."""

    home_volume = Unicode(
        DEFAULT_HOME_VOLUME,
        config=True,
        help="""Name of the Docker volume that holds a user's home folder, one per hub user
        (shared by the user's named servers). {prefix} is `prefix`, {username} the hub
        user name made safe for Docker (`-` written `-2d`, as in container names). The
        volume is kept when servers stop.""",
    )

    home_path = Unicode(
        "/home/jovyan",
        config=True,
        help="Where the home volume is mounted in the container: the image user's home.",
    )

    data_dir = Unicode(
        config=True,
        help="""Host folder with the shared data, mounted read-only at `data_path`.
        Set from EchoesHub.data_dir; empty means no shared data is mounted.""",
    )

    data_path = Unicode(
        "/srv/heritage",
        config=True,
        help="Where the shared data appears in the container (exported as ECHOES_DATA_DIR).",
    )

    harvested_dir = Unicode(
        config=True,
        help="""Host folder with the harvested collections' catalog, mounted read-only at
        `harvested_path`. Set from EchoesHub.harvested_dir; empty means none is mounted.""",
    )

    harvested_path = Unicode(
        "/srv/harvested",
        config=True,
        help="""Where the harvested collections' catalog appears in the container (exported
        as ECHOES_HARVESTED_DIR): `echoes.catalog()`'s theme `harvested`.""",
    )

    @default("image")
    def _default_image(self) -> str:
        return DEFAULT_IMAGE

    @default("prefix")
    def _default_prefix(self) -> str:
        return "echoes"

    @default("network_name")
    def _default_network_name(self) -> str:
        return DEFAULT_NETWORK

    @default("remove")
    def _default_remove(self) -> bool:
        return True  # containers go when stopped; homes live in volumes

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        return ["jupyterhub-singleuser"]

    @default("volumes")
    def _default_volumes(self) -> dict:
        name = home_volume_name(self.home_volume, self.prefix, self.user.name)
        return {name: {"bind": self.home_path, "mode": "rw"}}

    @default("read_only_volumes")
    def _default_read_only_volumes(self) -> dict:
        mounts = {self.data_dir: self.data_path, self.harvested_dir: self.harvested_path}
        return {host: inside for host, inside in mounts.items() if host}

    @default("extra_host_config")
    def _default_extra_host_config(self) -> dict:
        # A notebook server needs no capabilities and no privilege escalation.
        return {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges"], "pids_limit": 4096}

    def get_env(self) -> dict:
        env = super().get_env()
        env["ECHOES_DATA_DIR"] = self.data_path
        if self.harvested_dir:
            env["ECHOES_HARVESTED_DIR"] = self.harvested_path
        env["ECHOES_PROFILE"] = server_profile(self, self.user_options).slug
        return env


def configure_docker_servers(c: Config, deployment: Deployment) -> None:
    """Containers on the deployment's network; the hub listens on the network's gateway.
    The image and network are the spawner's own settings, which `prepare` checked."""
    c.JupyterHub.spawner_class = EchoesDockerSpawner
    c.JupyterHub.hub_connect_ip = deployment.services_ip
    c.EchoesDockerSpawner.data_dir = deployment.settings.data_dir
    c.EchoesDockerSpawner.harvested_dir = deployment.settings.harvested_dir
