"""The deployment settings of an ECHOES hub: one Configurable, read by every mode.

Each trait can be set in a config file (``c.EchoesHub.port = 8000``), on the
``echoes up`` command line, or through the environment variable named in its
help. Environment variables are read when the settings object is created, never
at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyterhub.utils import subdomain_hook_idna
from sqlalchemy.engine import make_url
from traitlets import Bool, Enum, Integer, Unicode, default, validate
from traitlets.config import LoggingConfigurable

#: The folder that holds this package, so that defaults can find the repository's tools.
REPO_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, fallback: str) -> str:
    return os.environ.get(name) or fallback


def absolute_path(path: str) -> str:
    """`path` made absolute against the current folder. Settings do it once, when they
    are read: services and servers run in other folders and must get the same file."""
    return str(Path(path).expanduser().resolve())


def absolute_sqlite_url(url: str) -> str:
    """`url` with a relative SQLite file made absolute; other URLs unchanged."""
    parsed = make_url(url)
    database = parsed.database or ""
    if not parsed.drivername.startswith("sqlite") or database in ("", ":memory:"):
        return url
    if database.startswith("file:") or Path(database).is_absolute():
        return url
    return parsed.set(database=absolute_path(database)).render_as_string(hide_password=False)


class EchoesHub(LoggingConfigurable):
    """Where the hub keeps its state, where it listens, and how it runs user servers."""

    state_dir = Unicode(
        config=True,
        help="""Folder for the hub's state: SQLite database, cookie secret, proxy token,
        users' home folders (local mode) and, by default, the shared data.
        Environment: ECHOES_STATE_DIR. Default: `.echoes` in the current folder.""",
    )

    @default("state_dir")
    def _default_state_dir(self) -> str:
        # Defaults skip @validate: each default of a path is made absolute itself.
        return absolute_path(_env("ECHOES_STATE_DIR", ".echoes"))

    @validate("state_dir")
    def _absolute_state_dir(self, proposal: dict) -> str:
        return absolute_path(proposal["value"])

    ip = Unicode(
        config=True,
        help="Address the public proxy listens on. Environment: ECHOES_IP. Default: 127.0.0.1.",
    )

    @default("ip")
    def _default_ip(self) -> str:
        return _env("ECHOES_IP", "127.0.0.1")

    port = Integer(
        config=True,
        help="Port of the public proxy, the address users open. Environment: ECHOES_PORT. "
        "Default: 8000.",
    )

    @default("port")
    def _default_port(self) -> int:
        return int(_env("ECHOES_PORT", "8000"))

    domain = Unicode(
        config=True,
        help="""Host name users open. The hub answers at http://<domain>:<port>/ and everything
        whose content users control gets an origin of its own beneath it, as JupyterHub's
        `subdomain_host` does: each user server at <user>.<domain>, each service at
        <service>--service.<domain>, each author's published apps at <author>--app.<domain>.
        So a name other than `localhost` needs wildcard DNS (and a wildcard certificate with
        TLS); `*.localhost` resolves to loopback in every current browser.
        Environment: ECHOES_DOMAIN. Default: localhost.""",
    )

    @default("domain")
    def _default_domain(self) -> str:
        return _env("ECHOES_DOMAIN", "localhost")

    proxy_api_port = Integer(
        config=True,
        help="Port of the proxy's REST API (loopback only). Default: `port` + 1, so that "
        "two deployments on one machine do not collide.",
    )

    @default("proxy_api_port")
    def _default_proxy_api_port(self) -> int:
        return self.port + 1

    hub_port = Integer(
        config=True,
        help="Port of the hub's own server behind the proxy. Default: `port` + 2.",
    )

    @default("hub_port")
    def _default_hub_port(self) -> int:
        return self.port + 2

    spawner = Enum(
        ["auto", "local", "docker"],
        config=True,
        help="""How user servers run: `local` processes (one system user each when the hub
        runs as root), `docker` containers, or `auto`: containers when a Docker engine
        answers and the user image exists, else local processes.
        Environment: ECHOES_SPAWNER. Default: auto.""",
    )

    @default("spawner")
    def _default_spawner(self) -> str:
        return _env("ECHOES_SPAWNER", "auto")

    database_url = Unicode(
        config=True,
        help="""SQLAlchemy URL of the hub database. Environment: ECHOES_DATABASE_URL.
        Default: SQLite file `jupyterhub.sqlite` in the state folder.""",
    )

    @default("database_url")
    def _default_database_url(self) -> str:
        url = _env("ECHOES_DATABASE_URL", f"sqlite:///{self.state_path / 'jupyterhub.sqlite'}")
        return absolute_sqlite_url(url)

    @validate("database_url")
    def _absolute_database_url(self, proposal: dict) -> str:
        return absolute_sqlite_url(proposal["value"])

    data_dir = Unicode(
        config=True,
        help="""The shared heritage data folder, read-only for every user server. Local servers
        find it through the environment variable ECHOES_DATA_DIR; containers see it at
        /srv/heritage. Environment: ECHOES_DATA_DIR. Default: `heritage` in the state folder.""",
    )

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return absolute_path(_env("ECHOES_DATA_DIR", str(self.state_path / "heritage")))

    @validate("data_dir")
    def _absolute_data_dir(self, proposal: dict) -> str:
        return absolute_path(proposal["value"])

    harvested_dir = Unicode(
        config=True,
        help="""The harvested collections' Intake catalog (`echoes harvest` and the twins
        service write it: one Parquet table per source and catalog.yaml), read-only for
        every user server, where `echoes.catalog()` shows it as the theme `harvested`.
        Local servers find it through the environment variable ECHOES_HARVESTED_DIR;
        containers see it at /srv/harvested. Not in the data folder, which `echoes data
        build` replaces whole, nor in the harvest folder (<state>/harvest), the hub's only.
        Environment: ECHOES_HARVESTED_DIR. Default: `harvested` in the state folder.""",
    )

    @default("harvested_dir")
    def _default_harvested_dir(self) -> str:
        return absolute_path(_env("ECHOES_HARVESTED_DIR", str(self.state_path / "harvested")))

    @validate("harvested_dir")
    def _absolute_harvested_dir(self, proposal: dict) -> str:
        return absolute_path(proposal["value"])

    log_file = Unicode(
        config=True,
        help="""File that receives the hub's full log, with the output of its proxy, managed
        services and local user servers; created readable by the hub's account only. The
        terminal shows warnings, errors and a short summary once the hub is running.
        Environment: ECHOES_LOG_FILE. Default: `hub.log` in the state folder.""",
    )

    @default("log_file")
    def _default_log_file(self) -> str:
        return absolute_path(_env("ECHOES_LOG_FILE", str(self.state_path / "hub.log")))

    @validate("log_file")
    def _absolute_log_file(self, proposal: dict) -> str:
        return absolute_path(proposal["value"])

    admin_user = Unicode(
        config=True,
        help="""Name of the administrator account created on first run; its one-time
        password is printed once. Environment: ECHOES_ADMIN_USER. Default: admin.""",
    )

    @default("admin_user")
    def _default_admin_user(self) -> str:
        return _env("ECHOES_ADMIN_USER", "admin")

    named_server_limit = Integer(
        config=True,
        help="""How many named servers each user may run besides the default one
        (0 means no limit). Environment: ECHOES_NAMED_SERVER_LIMIT. Default: 3.""",
    )

    @default("named_server_limit")
    def _default_named_server_limit(self) -> int:
        return int(_env("ECHOES_NAMED_SERVER_LIMIT", "3"))

    cull_idle_timeout = Integer(
        config=True,
        help="""Seconds without activity after which the idle culler stops a user server
        (0 turns the culler off). Environment: ECHOES_CULL_IDLE_TIMEOUT. Default: 3600.""",
    )

    @default("cull_idle_timeout")
    def _default_cull_idle_timeout(self) -> int:
        return int(_env("ECHOES_CULL_IDLE_TIMEOUT", "3600"))

    cull_every = Integer(
        config=True,
        help="""Seconds between two checks of the idle culler. Environment: ECHOES_CULL_EVERY.
        Default: a tenth of the timeout, at least 5 and at most 300.""",
    )

    @default("cull_every")
    def _default_cull_every(self) -> int:
        fallback = min(300, max(5, self.cull_idle_timeout // 10))
        return int(_env("ECHOES_CULL_EVERY", str(fallback)))

    keep_running_on_exit = Bool(
        True,
        config=True,
        help="""Leave user servers and the proxy running when the hub stops, so that a hub
        restart or upgrade interrupts nobody; the next hub takes them over. Set to False to
        stop them together with the hub.""",
    )

    proxy_command = Unicode(
        config=True,
        help="""The configurable-http-proxy executable. Default: the one `make` installs
        under node_modules/ in the repository, else `configurable-http-proxy` on PATH.""",
    )

    @default("proxy_command")
    def _default_proxy_command(self) -> str:
        local = REPO_ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
        return str(local) if local.exists() else "configurable-http-proxy"

    @validate("proxy_command")
    def _absolute_proxy_command(self, proposal: dict) -> str:
        # A path (not a name looked up on PATH) is made absolute like the other paths.
        command = proposal["value"]
        return absolute_path(command) if os.sep in command else command

    @property
    def state_path(self) -> Path:
        return Path(self.state_dir)

    @property
    def public_url(self) -> str:
        """The hub's address, which users open (JupyterHub's `subdomain_host`, with a slash)."""
        return f"http://{self.domain}:{self.port}/"

    def service_public_url(self, name: str) -> str:
        """Where browsers reach the managed service `name`: its own host, as JupyterHub names
        it with `subdomain_host` (<name>--service.<domain>, JupyterHub's default hook)."""
        host = subdomain_hook_idna(name, self.domain, "service")
        return f"http://{host}:{self.port}/services/{name}/"
