"""User servers in Docker containers, from the per-user image built in images/.

Each server is a container of ``echoes/singleuser`` on a Docker network of the
deployment's own. Each hub user has one named volume for the home folder, kept
when containers are stopped and removed, across server and hub restarts. The
shared data folder is mounted read-only. Users choose a size (a profile: CPU and
memory limits) on the spawn page.

The hub listens on the network's gateway address so that containers reach its
API, and the proxy on the host reaches containers by their address on the network.
Containers on the network cannot talk to each other (inter-container traffic is
switched off on the bridge), only to the host.
"""

from __future__ import annotations

from dockerspawner import DockerSpawner
from tornado import web
from traitlets import Dict, List, TraitError, Unicode, default, validate
from traitlets.config import Config

from ..deployment import Deployment
from .profiles import (
    DEFAULT_PROFILES,
    Profile,
    ProfileError,
    choose,
    parse_profiles,
    read_form,
    render_form,
)
from .queue import StartQueue

#: The image `make image` builds.
DEFAULT_IMAGE = "echoes/singleuser:latest"
#: The network the containers of a deployment share with nothing else.
DEFAULT_NETWORK = "echoes"


#: A user or server name as it appears in container and volume names: DockerSpawner's own
#: escaping (its ``escape`` setting's default), which keeps only lower-case letters and
#: digits and writes '-' as '-2d', so that `user--server` names can never collide. For
#: containers that no spawner starts (published apps).
safe_name = DockerSpawner().escape


class EchoesDockerSpawner(StartQueue, DockerSpawner):
    """DockerSpawner with a home volume per user, the shared data read-only and profiles;
    starts wait their turn in the hub's start queue (queue.py)."""

    home_volume = Unicode(
        "{prefix}-home-{username}",
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

    profiles = List(
        Dict(),
        default_value=DEFAULT_PROFILES,
        config=True,
        help="""Server sizes users choose from on the spawn page, first one the default.
        Each is a dict with `slug` (lower-case name, used in API calls as
        {"profile": slug}), `display_name`, `description`, `cpu_limit` (CPUs, a float)
        and `mem_limit` (bytes, or a string such as "2G"). The chosen profile sets the
        container's CPU quota and memory limit. Default: standard (1 CPU, 2 GB) and
        workshop (0.5 CPU, 1 GB).""",
    )

    @validate("profiles")
    def _valid_profiles(self, proposal: dict) -> list[dict]:
        try:
            parse_profiles(proposal["value"])
        except ProfileError as error:
            raise TraitError(f"EchoesDockerSpawner.profiles: {error}") from None
        return proposal["value"]

    @property
    def parsed_profiles(self) -> list[Profile]:
        return parse_profiles(self.profiles)

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
        return {self.home_volume: {"bind": self.home_path, "mode": "rw"}}

    @default("read_only_volumes")
    def _default_read_only_volumes(self) -> dict:
        return {self.data_dir: self.data_path} if self.data_dir else {}

    @default("extra_host_config")
    def _default_extra_host_config(self) -> dict:
        # A notebook server needs no capabilities and no privilege escalation.
        return {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges"], "pids_limit": 4096}

    @default("options_form")
    def _default_options_form(self) -> str:
        profiles = self.parsed_profiles
        return render_form(profiles) if len(profiles) > 1 else ""

    @default("options_from_form")
    def _default_options_from_form(self):
        return lambda formdata: read_form(self.parsed_profiles, formdata)

    def get_env(self) -> dict:
        env = super().get_env()
        env["ECHOES_DATA_DIR"] = self.data_path
        env["ECHOES_PROFILE"] = self.user_options.get("profile") or self.parsed_profiles[0].slug
        return env

    @default("apply_user_options")
    def _default_apply_user_options(self):
        return apply_profile


def apply_profile(spawner: EchoesDockerSpawner, user_options: dict) -> None:
    """Set the server's limits from the chosen profile; an unknown one is an HTTP 400."""
    try:
        profile = choose(spawner.parsed_profiles, user_options.get("profile"))
    except ProfileError as error:
        raise web.HTTPError(400, str(error)) from None
    spawner.mem_limit = profile.mem_limit
    spawner.cpu_limit = profile.cpu_limit
    spawner.log.info(
        "Server of %s gets profile %s (%.2g CPU, %d MiB)",
        spawner.user.name,
        profile.slug,
        profile.cpu_limit,
        profile.mem_limit // 2**20,
    )


def configure_docker_servers(c: Config, deployment: Deployment) -> None:
    """Containers on the deployment's network; the hub listens on the network's gateway.
    The image and network are the spawner's own settings, which `prepare` checked."""
    c.JupyterHub.spawner_class = EchoesDockerSpawner
    c.JupyterHub.hub_connect_ip = deployment.services_ip
    c.EchoesDockerSpawner.data_dir = deployment.settings.data_dir
