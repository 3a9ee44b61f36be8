"""`echoes up`: JupyterHub with the ECHOES settings applied.

It is JupyterHub itself (same process, same options) with short aliases for the
common settings and our configuration applied after the config file and command
line are read, so `--EchoesHub.cull_idle_timeout=600` works like any option.

Once the settings are read, the full log (with the output of the proxy, the services
and local user servers, which inherit it) goes to `EchoesHub.log_file`; the terminal
keeps warnings and errors, and gets a short summary when the hub runs: its address,
how to log in (with the one-time password on first run), where the log and state are.
Everything the hub writes is private to its account (umask 077).
"""

from __future__ import annotations

import io
import logging
import os
import sys
from pathlib import Path
from typing import TextIO

from jupyterhub.app import JupyterHub
from jupyterhub.app import aliases as jupyterhub_aliases
from traitlets import default
from traitlets.config import Config

from .auth import EchoesAuthenticator
from .deployment import Deployment
from .origins import keep_hub_on_its_host
from .prepare import prepare_and_apply
from .proxy import EchoesProxy
from .services.annotations import AnnotationsService
from .services.iiif import IIIFService
from .services.twins import TwinsService
from .services.workshops import WorkshopsService
from .settings import EchoesHub
from .spawners.docker import EchoesDockerSpawner
from .spawners.local import EchoesLocalSpawner
from .spawners.queue import StartQueue

#: Warnings JupyterHub gives on every start of this configuration, by design (services
#: we let skip the OAuth confirmation, routes restored, NativeAuthenticator's use of the
#: shared database session): kept in the log file, left off the terminal.
EXPECTED_WARNINGS = (
    "Allowing service ",
    "Adding missing route for ",
    "\nThe shared database session at Authenticator.db is deprecated",
)


def _unexpected(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(EXPECTED_WARNINGS)


class EchoesUp(JupyterHub):
    """Start the ECHOES VRE hub: JupyterHub, its proxy and managed services."""

    name = "echoes up"
    description = """Start the ECHOES VRE hub on http://localhost:8000/ by default.

    State (database, secrets, homes) is kept in --state (default .echoes/). Deployment
    settings can also be written as traitlets options in echoes_config.py in the state
    folder, or given as environment variables (see the EchoesHub options below)."""

    aliases = {  # noqa: RUF012 (traitlets reads this class attribute)
        **jupyterhub_aliases,
        "port": "EchoesHub.port",
        "ip": "EchoesHub.ip",
        "state": "EchoesHub.state_dir",
        "spawner": "EchoesHub.spawner",
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # Our configurables beside JupyterHub's own, so that `--help-all` documents them and
        # `--EchoesHub.port=...` is known on the command line (as traitlets' Application adds
        # its own class to `classes`).
        self.classes = [
            EchoesHub,
            EchoesAuthenticator,
            EchoesLocalSpawner,
            EchoesDockerSpawner,
            StartQueue,
            AnnotationsService,
            IIIFService,
            TwinsService,
            WorkshopsService,
            *self.classes,
        ]

    @default("config_file")
    def _default_config_file(self) -> str:
        settings = EchoesHub(config=self.config)
        return str(Path(settings.state_dir) / "echoes_config.py")

    #: What `prepare` decided when this hub started (None before its config is read).
    deployment: Deployment | None = None
    #: The terminal, once the log goes to the log file (None before).
    terminal: TextIO | None = None
    #: What the hub prints while it starts (the one-time password), shown in the summary.
    announcements: io.StringIO | None = None

    async def initialize(self, *args, **kwargs) -> None:
        # Databases, secrets, logs and pid files: readable by the hub's account only. The
        # managed services get the same (hub/services/tether.py).
        os.umask(0o077)
        await super().initialize(*args, **kwargs)

    async def cleanup(self) -> None:
        # JupyterHub stops its periodic callbacks only after cleanup: meanwhile its service
        # health check looked up the servers of the services cleanup had stopped, and a
        # Ctrl-C printed its AttributeError's traceback.
        for callback in self._periodic_callbacks.values():
            callback.stop()
        await super().cleanup()

    def load_config_file(self, *args, **kwargs) -> None:
        """Once the config file and command line are read: prepare the deployment (the
        start's only side effects: state folder, secrets, Docker network, ports), then
        build the configuration from it."""
        super().load_config_file(*args, **kwargs)
        config = Config()
        config.merge(self.config)
        self.deployment = prepare_and_apply(config)
        self.settings = self.deployment.settings
        self.update_config(config)
        self._log_to_file(self.settings.log_file)

    def _log_to_file(self, path: str) -> None:
        """Send standard output and error (this process's and its children's) to `path`;
        keep the terminal for warnings, errors and the summary."""
        if self.terminal is not None:
            return
        sys.stdout.flush()
        sys.stderr.flush()
        self.terminal = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)
        Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(path, 0o600)  # a log left by an older version was 0644
        os.dup2(fd, sys.stdout.fileno())
        os.dup2(fd, sys.stderr.fileno())
        os.close(fd)
        self.announcements = sys.stdout = io.StringIO()
        handler = logging.StreamHandler(self.terminal)
        handler.setLevel(logging.WARNING)
        handler.addFilter(_unexpected)
        handler.setFormatter(self._log_formatter_cls(fmt=self.log_format, datefmt=self.log_datefmt))
        self.log.addHandler(handler)

    async def launch_instance_async(self, argv: list[str] | None = None) -> None:
        try:
            await super().launch_instance_async(argv)
        except BaseException:
            self._summarise(started=False)
            raise
        self._summarise(started=True)

    async def start(self) -> None:
        try:
            await super().start()
        except BaseException:
            await self._stop_what_start_started()
            raise
        self.log.info("ECHOES VRE is running at %s", self.settings.public_url)

    async def _stop_what_start_started(self) -> None:
        """A failed start leaves nothing running: the services it started and the proxy,
        unless the proxy was adopted (it serves the user servers that kept running)."""
        for service in self._service_map.values():
            if service.managed and service.spawner:
                try:
                    await service.stop()
                except Exception:  # stop the others; the start's own error is raised after
                    self.log.exception("Could not stop the service %s", service.name)
        proxy = self.proxy
        if isinstance(proxy, EchoesProxy) and not proxy.adopted and proxy.proxy_process:
            proxy.stop()
        if self.pid_file and os.path.exists(self.pid_file):
            os.remove(self.pid_file)

    def _summarise(self, started: bool) -> None:
        """The last lines on the terminal: the hub's address and how to use it."""
        if self.terminal is None:
            return
        settings = self.settings
        sys.stdout = self.terminal
        lines = [line for line in self.announcements.getvalue().splitlines() if line.strip()]
        if started:
            url = settings.public_url
            lines = [
                "",
                f"ECHOES VRE is running at {url}",
                f"Log in at {url}hub/login (administrator: {settings.admin_user}).",
                *lines,
                f"Log:   {settings.log_file} (warnings and errors also show here)",
                f"State: {settings.state_dir}",
                "Ctrl-C stops the hub; user servers and the proxy keep running for the next start."
                if settings.keep_running_on_exit
                else "Ctrl-C stops the hub, its proxy and the user servers.",
            ]
        else:
            lines = [*lines, f"The hub did not start: see {settings.log_file}"]
        print("\n".join(lines), file=self.terminal, flush=True)

    def init_tornado_application(self) -> None:
        super().init_tornado_application()
        settings = self.settings
        keep_hub_on_its_host(
            self.tornado_application, settings.public_url, settings.domain, self.hub_prefix
        )

    def print_help(self, classes: bool = False) -> None:
        super().print_help(classes)
        if not classes:
            print("\nECHOES settings (also as c.EchoesHub.<name> in echoes_config.py):\n")
            print(EchoesHub.class_get_help())


def main(argv: list[str] | None = None) -> None:
    EchoesUp.launch_instance(argv)
