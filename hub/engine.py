"""What the hub asks the Docker engine when it starts (from `prepare` only).

Is an engine there, is an image there, make the deployment's network. Building the
configuration never calls these: `prepare` does once per start and records the answers
in the `Deployment`. The spawner and the apps service talk to the engine themselves
when they run containers, the workshops service (with `docker_client`) when it reaches
homes in volumes.
"""

from __future__ import annotations

import docker
from docker.errors import APIError, DockerException, NotFound
from traitlets.config import Config


def docker_client(timeout: int = 10) -> docker.DockerClient:
    """A client for the engine named by the environment (DOCKER_HOST), else the local one."""
    return docker.from_env(timeout=timeout)


def engine_answers() -> bool:
    """Whether a Docker engine answers, without waiting long."""
    try:
        return bool(docker_client(timeout=3).ping())
    except DockerException:
        return False


def image_exists(image: str) -> bool:
    try:
        docker_client(timeout=5).images.get(image)
    except (DockerException, NotFound):
        return False
    return True


def ensure_network(name: str) -> str:
    """Create the bridge network ``name`` if it is missing; return its gateway address."""
    client = docker_client()
    try:
        network = client.networks.get(name)
    except NotFound:
        try:
            network = client.networks.create(
                name,
                driver="bridge",
                # Containers reach the host (hub, proxy), never each other.
                options={"com.docker.network.bridge.enable_icc": "false"},
                labels={"org.echoes.network": "user-servers"},
            )
        except APIError as error:
            if error.status_code != 409:  # 409: another hub created it meanwhile
                raise
        network = client.networks.get(name)
    network.reload()
    for pool in network.attrs["IPAM"]["Config"] or []:
        if pool.get("Gateway"):
            return pool["Gateway"]
    raise RuntimeError(f"Docker network {name!r} has no gateway address")


def spawner_setting(c: Config, name: str, fallback: str) -> str:
    """A trait of the Docker spawner as the deployment configured it, before any spawner
    exists (its own section, then DockerSpawner's)."""
    for section in ("EchoesDockerSpawner", "DockerSpawner"):
        if name in c.get(section, {}):
            return c[section][name]
    return fallback
