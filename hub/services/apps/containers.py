"""Container mode: each app's Voila (and its trial run) in a container of the
single-user image, so an app's kernels have exactly the environment of the user servers.

A container sees only the app's snapshot (read-only, at /srv/app) and the shared data
(read-only, at /srv/heritage): no home, no other snapshot. It runs as a fixed
unprivileged uid with a read-only root filesystem, no capabilities, memory, CPU and
process limits, on the Docker network of the user containers (which cannot reach each
other), and is removed when the app stops. As root, the uid gets the group of the
author's apps account (see runner.py), the only group that may read the snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from pathlib import Path

import docker
from docker.errors import APIError, DockerException, NotFound
from requests.exceptions import RequestException

from ...spawners.docker import safe_name
from .errors import AppFailed
from .runner import Instance, Runner

log = logging.getLogger("echoes.apps")

#: Where the snapshot and the shared data appear inside a container.
APP_PATH = "/srv/app"
DATA_PATH = "/srv/heritage"
#: Voila's port inside the container (each container has its own address).
VOILA_PORT = 8866
#: The label that marks a deployment's app containers (its value: the apps' state folder).
LABEL = "org.echoes.apps"


def container_name(name_prefix: str, author: str, name: str) -> str:
    """The container of an app: escaped as user containers are, "-" written "-2d", so that
    "--" separates author and app unambiguously."""
    return f"{name_prefix}-app-{safe_name(author)}--{safe_name(name)}"


class ContainerRunner(Runner):
    """The runner's container mode: same life cycle, the process is a container."""

    def __init__(
        self,
        run_root: Path,
        prefix: str,
        *,
        image: str,
        network: str,
        name_prefix: str,
        mem_limit: str = "1G",
        cpu_limit: float = 1.0,
        uid: int = 1000,
        data_dir: str = "",
        deployment: str = "",
        **kwargs,
    ) -> None:
        super().__init__(run_root, prefix, **kwargs)
        self.image = image
        self.network = network
        self.name_prefix = name_prefix
        self.mem_limit = mem_limit
        self.cpu_limit = cpu_limit
        self.uid = uid
        self.data_dir = data_dir
        self.deployment = deployment or str(run_root)
        self.client = docker.from_env(timeout=60)
        self.remove_leftovers()

    def remove_leftovers(self) -> None:
        """Containers a previous run of this service left (it was killed): they are no
        process of ours, so nothing else stops them."""
        for container in self.client.containers.list(
            all=True, filters={"label": f"{LABEL}={self.deployment}"}
        ):
            log.info("removing the leftover app container %s", container.name)
            container.remove(force=True)

    def _run(self, name: str, author: str, snapshot: Path, command: list[str], env: dict):
        """Start one container (blocking; called in a thread)."""
        volumes = {str(snapshot): {"bind": APP_PATH, "mode": "ro"}}
        if self.data_dir:
            volumes[self.data_dir] = {"bind": DATA_PATH, "mode": "ro"}
        gid = self.gid(author)
        return self.client.containers.run(
            self.image,
            command,
            name=name,
            detach=True,
            user=f"{self.uid}:{self.uid}",
            group_add=[gid] if gid is not None else None,
            working_dir=APP_PATH,
            environment={
                "HOME": "/tmp",  # the image user's home is not this uid's, nor mounted
                "MPLCONFIGDIR": "/tmp/matplotlib",
                "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                "JUPYTER_RUNTIME_DIR": "/tmp/runtime",
                "JUPYTER_CONFIG_DIR": "/tmp/config",
                "JUPYTER_DATA_DIR": "/tmp/data",
                "PYTHONNOUSERSITE": "1",
                "ECHOES_DATA_DIR": DATA_PATH,
                **env,
            },
            volumes=volumes,
            network=self.network,
            labels={LABEL: self.deployment, f"{LABEL}.app": f"{author}/{snapshot.parent.name}"},
            mem_limit=self.mem_limit,
            memswap_limit=self.mem_limit,
            nano_cpus=int(self.cpu_limit * 1e9),
            pids_limit=1024,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            read_only=True,
            tmpfs={"/tmp": "rw,nosuid,nodev,size=512m,mode=1777"},
        )

    def _alive(self, instance: Instance) -> bool:
        return not instance.exited

    async def _start(self, key: tuple[str, str], version: int, notebook: Path) -> Instance:
        author, name = key
        token = secrets.token_hex(32)
        base_url = f"{self.prefix}{author}/{name}/"
        cname = container_name(self.name_prefix, author, name)
        command = [
            "python",
            "-m",
            "echoes.apps.launch",
            "voila",
            *self.voila_args(f"{APP_PATH}/{notebook.name}", VOILA_PORT, "0.0.0.0", base_url),
        ]
        await asyncio.to_thread(self._remove, cname)  # one left by a failed stop
        try:
            container = await asyncio.to_thread(
                self._run, cname, author, notebook.parent, command, {"ECHOES_APP_TOKEN": token}
            )
            await asyncio.to_thread(container.reload)
        except DockerException as e:
            raise AppFailed(f"could not start the app's container: {e}") from e
        address = container.attrs["NetworkSettings"]["Networks"][self.network]["IPAddress"]
        instance = Instance(key, version, VOILA_PORT, token, None, host=address, container=cname)

        async def exited() -> str | None:
            await asyncio.to_thread(container.reload)
            if container.status in ("created", "running"):
                return None
            tail = (await asyncio.to_thread(container.logs, tail=30)).decode(errors="replace")
            return f"Voila's container exited ({container.status}): {tail}"

        await self._await_answer(instance, base_url, exited)
        log.info("started app %s/%s v%d in container %s", author, name, version, cname)
        self.instances[key] = instance
        return instance

    def _remove(self, name: str, log_file: Path | None = None) -> None:
        """Remove a container (blocking), first appending its output and how it ended to
        `log_file`: the author's log, as in the process mode."""
        try:
            container = self.client.containers.get(name)
            if log_file:
                state = container.attrs["State"]
                with log_file.open("ab") as f:
                    f.write(container.logs(tail=500))
                    end = f"[container {name}: {state['Status']}, exit code "
                    end += f"{state['ExitCode']}, out of memory: {state['OOMKilled']}]\n"
                    f.write(end.encode())
            container.remove(force=True)
        except NotFound:
            return
        except APIError as e:
            if e.status_code != 409:  # 409: another removal is under way
                raise
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.client.containers.get(name)
            except NotFound:
                return
            time.sleep(0.2)

    async def _halt(self, instance: Instance) -> None:
        log_file = self._workdir(instance.key[0], instance.key[1]) / "voila.log"
        try:
            await asyncio.to_thread(self._remove, instance.container, log_file)
        except DockerException as e:
            log.error("could not remove the app container %s: %s", instance.container, e)

    async def cull(self) -> None:
        """Forget apps whose container ended (an out-of-memory kill, say), then stop
        idle ones as the process mode does."""
        # Only apps that were running before the listing began: one started meanwhile
        # would look missing.
        known = list(self.instances.values())
        try:
            running = await asyncio.to_thread(
                self.client.containers.list, filters={"label": f"{LABEL}={self.deployment}"}
            )
        except DockerException as e:
            log.warning("could not list the app containers: %s", e)
        else:
            names = {c.name for c in running}
            for instance in known:
                instance.exited = instance.container not in names
        await super().cull()

    async def check(self, author: str, notebook: Path) -> dict:
        """The trial run at publishing time, in a container like the app's."""
        cname = f"{self.name_prefix}-appcheck-{secrets.token_hex(6)}"
        command = [
            "python",
            "-m",
            "echoes.apps.launch",
            "check",
            f"{APP_PATH}/{notebook.name}",
            str(self.check_timeout),
        ]
        try:
            container = await asyncio.to_thread(
                self._run, cname, author, notebook.parent, command, {}
            )
        except DockerException as e:
            return {"ok": False, "error": f"could not start a container: {e}", "thumbnail": ""}
        try:
            status = await asyncio.to_thread(container.wait, timeout=self.check_timeout + 60)
            out = await asyncio.to_thread(container.logs, stdout=True, stderr=False)
            err = await asyncio.to_thread(container.logs, stdout=False, stderr=True)
        except RequestException:  # the wait timed out
            return {"ok": False, "error": "the notebook did not finish running", "thumbnail": ""}
        except DockerException as e:
            return {"ok": False, "error": f"the trial run's container failed: {e}", "thumbnail": ""}
        finally:
            await asyncio.to_thread(self._remove, cname)
        return self.check_result(status.get("StatusCode", 1), out, err)
