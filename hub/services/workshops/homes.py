"""Where an account's home is on this machine: the one answer the service's materials,
collecting and the end of events (materials.py, handlers.py, expiry.py) ask for.

Local servers: a folder of the homes folder (ECHOES_HOMES_DIR: EchoesLocalSpawner.home_root).
Containers: the user's home volume, named by the spawner's own rule
(spawners/docker.py `home_volume_name`, from ECHOES_HOME_VOLUME and
ECHOES_CONTAINER_PREFIX), whose folder on the engine's machine is its mountpoint. The
service runs as the hub's account, root on that machine, so it reads and writes a
volume's folder as it does a local home. Docker gives a new volume the owner of the
image's home (its user, uid 1000), so files written "owned as the home is" (collect.py)
are the container user's, as locally they are the trainer's system user's.

The __init__ module hands the service these variables, one mode's only.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from docker.errors import APIError, NotFound

from ...engine import docker_client
from ...spawners.docker import home_volume_name

log = logging.getLogger("echoes.workshops")


class FolderHomes:
    """Local servers: each home is ``<root>/<account>``."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def folder(self, account: str) -> Path | None:
        """The home's folder, or None when the account has none (yet)."""
        path = self.root / account
        return path if path.is_dir() and not path.is_symlink() else None

    def remove(self, account: str) -> None:
        shutil.rmtree(self.root / account, ignore_errors=True)


class VolumeHomes:
    """Containers: each home is a Docker volume (EchoesDockerSpawner.home_volume)."""

    def __init__(self, template: str, prefix: str) -> None:
        self.template = template
        self.prefix = prefix
        self.client = docker_client(timeout=60)

    def volume_name(self, account: str) -> str:
        return home_volume_name(self.template, self.prefix, account)

    def folder(self, account: str) -> Path | None:
        """The volume's mountpoint, or None when the account has no volume (yet)."""
        try:
            volume = self.client.volumes.get(self.volume_name(account))
        except NotFound:
            return None
        path = Path(volume.attrs["Mountpoint"])
        return path if path.is_dir() else None

    def remove(self, account: str) -> None:
        """Remove the volume once the account's containers are gone (the end and the pool
        stop all its servers first). One still in use is kept and logged, so that it
        never stops the other accounts' endings."""
        name = self.volume_name(account)
        try:
            self.client.volumes.get(name).remove()
        except NotFound:
            pass  # removed already
        except APIError as error:
            log.warning("could not remove %s's home volume %s: %s", account, name, error)


Homes = FolderHomes | VolumeHomes


def homes_from_environ(environ: Mapping[str, str] = os.environ) -> Homes:
    """The homes of this deployment, as __init__.py describes them to the service."""
    if environ.get("ECHOES_HOME_VOLUME"):
        return VolumeHomes(environ["ECHOES_HOME_VOLUME"], environ["ECHOES_CONTAINER_PREFIX"])
    return FolderHomes(environ["ECHOES_HOMES_DIR"])
