"""`echoes up`: JupyterHub with the ECHOES settings applied.

It is JupyterHub itself (same process, same options) with short aliases for the
common settings and our configuration applied after the config file and command
line are read, so `--EchoesHub.cull_idle_timeout=600` works like any option.
"""

from __future__ import annotations

from pathlib import Path

from jupyterhub.app import JupyterHub
from jupyterhub.app import aliases as jupyterhub_aliases
from traitlets import default
from traitlets.config import Config

from .auth import EchoesAuthenticator
from .config import apply
from .origins import keep_hub_on_its_host
from .services.annotations import AnnotationsService
from .settings import EchoesHub
from .spawners.docker import EchoesDockerSpawner
from .spawners.local import EchoesLocalSpawner


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

    @default("classes")
    def _default_classes(self) -> list:
        return [
            EchoesHub,
            EchoesAuthenticator,
            EchoesLocalSpawner,
            EchoesDockerSpawner,
            AnnotationsService,
            *super()._load_classes(),
        ]

    @default("config_file")
    def _default_config_file(self) -> str:
        settings = EchoesHub(config=self.config)
        return str(Path(settings.state_dir) / "echoes_config.py")

    def load_config_file(self, *args, **kwargs) -> None:
        super().load_config_file(*args, **kwargs)
        config = Config()
        config.merge(self.config)
        self.settings = apply(config)
        self.update_config(config)

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

    async def start(self) -> None:
        await super().start()
        print(f"ECHOES VRE is running at {self.settings.public_url}", flush=True)


def main(argv: list[str] | None = None) -> None:
    EchoesUp.launch_instance(argv)
