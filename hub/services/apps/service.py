"""The apps service process: `python -m echoes_hub.services.apps.service`, in the hub's
state folder, its settings (`EchoesApps`) handed over by the hub (the service base).

Started and stopped by the hub as a managed service (see config.py). It serves the
gallery, the REST API and every published app at /services/apps/<author>/<name>/.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient
from tornado.ioloop import PeriodicCallback

from ..base.app import ServiceApp
from .config import STATE_FOLDER, EchoesApps
from .errors import AccountUnavailable, AppFailed
from .handlers import HERE, routes
from .model import Publication
from .origins import Origins, ProxyRoutes
from .runner import Runner
from .store import App, AppStore

log = logging.getLogger("echoes.apps")


#: Requests to all apps' Voila processes in flight at once (more wait in a queue).
MAX_APP_REQUESTS = 256


class AppsService:
    """What the handlers share: store, runner, hub client and the viewer cache."""

    def __init__(
        self,
        root: Path,
        prefix: str,
        runner: Runner,
        page_timeout: float = 60,
        origins: Origins | None = None,
        proxy_routes: ProxyRoutes | None = None,
        cache_seconds: float = 10,
    ) -> None:
        self.root = Path(root)
        self.prefix = prefix
        self.page_timeout = page_timeout
        self.origins = origins or Origins("http://localhost", prefix, secrets.token_bytes(32))
        self.proxy_routes = proxy_routes or ProxyRoutes("", "", "")
        # Apps' traffic has a client of its own: tornado's shared one lets only 10
        # requests run at once and fails queued ones after 20 s, which under load turned
        # a page with many assets into 500s; hub API calls use the shared one.
        self.http = AsyncHTTPClient(force_instance=True, max_clients=MAX_APP_REQUESTS)
        # As root each author's snapshots are readable only by that author's apps account.
        self.store = AppStore(self.root, runner.gid if runner.as_root else None)
        for author in self.store.authors():
            try:
                gid = runner.gid(author)
            except AppFailed as e:  # no account for this author: only root reads
                log.error("%s; %s's snapshots are closed to everyone", e.detail, author)
                gid = 0
            self.store.close(author, gid)
        self.runner = runner
        self.log = log
        # Thumbnails of non-public apps are served through the access check only.
        self.thumbnails = self.root / "thumbnails"
        self.thumbnails.mkdir(exist_ok=True)
        self.thumbnails.chmod(0o700)
        self.hub_api = os.environ["JUPYTERHUB_API_URL"]
        self.hub_token = os.environ["JUPYTERHUB_API_TOKEN"]
        self.cache_seconds = cache_seconds
        self._users: dict[str, tuple[float, dict[str, Any]]] = {}

    async def lookup(self, name: str) -> dict[str, Any]:
        """The hub's model of user `name` (groups, admin flag), for a viewer known only by
        name (an author's host, origins.py), cached as the base caches the hub's answers."""
        cached = self._users.get(name)
        if cached and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        response = await AsyncHTTPClient().fetch(
            url_path_join(self.hub_api, "users", name),
            headers={"Authorization": f"token {self.hub_token}"},
            raise_error=False,
        )
        if response.code != 200:
            return {"name": name}
        model = json.loads(response.body)
        self._users[name] = (time.monotonic(), model)
        return model

    def thumbnail_path(self, app: App) -> Path:
        return self.thumbnails / f"{app.author}--{app.name}.png"

    def thumbnail_url(self, app: App) -> str:
        if not self.thumbnail_path(app).exists():
            return ""
        return url_path_join(self.prefix, "thumbnails", app.author, f"{app.name}.png")

    async def route_authors(self) -> None:
        """Make sure the proxy sends every author's host to this service (origins.py)."""
        hosts = {self.origins.app_host(author) for author in self.store.authors()}
        await self.proxy_routes.ensure(hosts)

    async def publish(self, author: str, name: str, publication: Publication) -> App:
        """Store the snapshot, stop the previous version, run the new one once."""
        if self.origins.app_host(author) not in self.proxy_routes.known:
            await self.proxy_routes.ensure({self.origins.app_host(author)})
        try:
            app = self.store.publish(author, name, publication)
        except AppFailed as e:  # the author's apps account cannot be made
            raise AccountUnavailable(e.detail) from e
        await self.runner.stop(author, name)
        result = await self.runner.check(author, self.store.notebook(app))
        self.store.set_check(author, name, app.version, result["ok"], result["error"])
        thumbnail = self.thumbnail_path(app)
        if result.get("thumbnail"):
            thumbnail.write_bytes(base64.b64decode(result["thumbnail"]))
        else:
            thumbnail.unlink(missing_ok=True)
        return self.store.get(author, name)

    async def unpublish(self, author: str, name: str) -> None:
        self.store.get(author, name)
        await self.runner.stop(author, name)
        self.store.unpublish(author, name)
        (self.thumbnails / f"{author}--{name}.png").unlink(missing_ok=True)


class AppsApp(ServiceApp):
    """The apps service's process: the store, the runner, the proxy's routes, and the
    periodic culling of idle apps."""

    settings_class = EchoesApps
    apps: AppsService

    async def open(self) -> None:
        options = self.service_settings
        state = Path(STATE_FOLDER).resolve()  # the hub starts the service in its state folder
        address = urlsplit(self.service_url)
        origins = Origins(
            os.environ.get("JUPYTERHUB_HOST", "http://localhost"),
            self.prefix,
            secrets.token_bytes(32),
        )
        # The proxy's token is for this process only: popped, so no app or check inherits it.
        proxy_routes = ProxyRoutes(
            os.environ.pop("ECHOES_PROXY_API_URL", ""),
            os.environ.pop("ECHOES_PROXY_AUTH_TOKEN", ""),
            f"{address.scheme}://{address.netloc}",
        )
        runner = make_runner(options, state, self.prefix)
        self.apps = AppsService(
            state,
            self.prefix,
            runner,
            options.page_timeout,
            origins,
            proxy_routes,
            options.auth_cache_max_age,
        )
        await self.apps.route_authors()
        PeriodicCallback(runner.cull, options.cull_every * 1000).start()
        # A proxy restarted by the hub has only JupyterHub's routes: add the authors' again.
        PeriodicCallback(self.apps.route_authors, options.cull_every * 1000).start()

    def make_web_app(self) -> web.Application:
        # The base's application (settings, hub auth, OAuth callback) with the apps' route
        # table: an author's host has its own rule, matched before any other host's.
        app = self.web_app([], apps=self.apps, template_path=str(HERE), websocket_ping_interval=30)
        authors_host, any_host = routes(self.prefix, self.apps.origins.domain)
        app.wildcard_router.add_rules(any_host.target)
        app.add_handlers(authors_host.matcher.host_pattern.pattern, authors_host.target)
        app.settings["log_function"] = log_request
        return app

    async def close(self) -> None:
        await self.apps.runner.stop_all()


def log_request(handler: web.RequestHandler) -> None:
    """The base's access log line with the path only: an app is entered with a viewer's
    one-time ticket in the query (origins.py), and an app's own pages add queries too."""
    status, request = handler.get_status(), handler.request
    log = logging.getLogger("tornado.access")
    method = log.info if status < 400 else log.warning if status < 500 else log.error
    millis = 1000 * request.request_time()
    method("%d %s %s (%s) %.2fms", status, request.method, request.path, request.remote_ip, millis)


def make_runner(options: EchoesApps, state: Path, prefix: str) -> Runner:
    """The process-mode runner, or the container-mode one (containers.py)."""
    common = {
        "account_prefix": options.account_prefix,
        "pool_size": options.pool_size,
        "idle_timeout": options.idle_timeout,
        "check_timeout": options.check_timeout,
    }
    run_root = state / "run"
    if options.mode == "docker":
        from .containers import ContainerRunner

        return ContainerRunner(
            run_root,
            prefix,
            image=options.image,
            network=options.network,
            name_prefix=options.container_prefix,
            mem_limit=options.mem_limit,
            cpu_limit=options.cpu_limit,
            uid=options.container_uid,
            data_dir=os.environ.get("ECHOES_DATA_DIR", ""),
            deployment=str(state),
            **common,
        )
    extra_env = {}
    if os.environ.get("ECHOES_DATA_DIR"):
        extra_env["ECHOES_DATA_DIR"] = os.environ["ECHOES_DATA_DIR"]
    return Runner(run_root, prefix, extra_env=extra_env, **common)


main = AppsApp.launch_instance

if __name__ == "__main__":
    main()
