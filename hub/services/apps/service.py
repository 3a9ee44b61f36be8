"""The apps service process: `python -m echoes_hub.services.apps.service --state DIR`.

Started and stopped by the hub as a managed service (see config.py). It serves the
gallery, the REST API and every published app at /services/apps/<author>/<name>/.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import secrets
import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

from jupyterhub.services.auth import HubOAuth
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient
from tornado.ioloop import PeriodicCallback
from tornado.log import access_log

from .errors import AccountUnavailable, AppFailed
from .handlers import HERE, routes
from .model import Publication, Viewer
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
        self._viewers: dict[str, tuple[float, Viewer]] = {}

    async def lookup(self, name: str) -> Viewer:
        """A hub user's groups and admin flag, asked of the hub (cached a few seconds)."""
        cached = self._viewers.get(name)
        if cached and time.monotonic() - cached[0] < 5:
            return cached[1]
        response = await AsyncHTTPClient().fetch(
            url_path_join(self.hub_api, "users", name),
            headers={"Authorization": f"token {self.hub_token}"},
            raise_error=False,
        )
        if response.code != 200:
            return Viewer(name)
        viewer = Viewer.of(json.loads(response.body))
        self._viewers[name] = (time.monotonic(), viewer)
        return viewer

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


def log_request(handler: web.RequestHandler) -> None:
    """Tornado's access log line, with the path only: a query may hold a viewer's ticket."""
    status, request = handler.get_status(), handler.request
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    millis = 1000 * request.request_time()
    access_log.log(level, "%d %s %s %.2fms", status, request.method, request.path, millis)


def make_app(service: AppsService) -> web.Application:
    return web.Application(
        routes(service.prefix, service.origins.domain),
        apps=service,
        log_function=log_request,
        cookie_secret=service.origins.secret,
        template_path=str(HERE),
        hub_auth=HubOAuth.instance(),
        websocket_ping_interval=30,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state", required=True, help="the apps' folder in the hub state")
    parser.add_argument("--pool-size", type=int, default=1)
    parser.add_argument("--idle-timeout", type=float, default=600)
    parser.add_argument("--cull-every", type=float, default=60)
    parser.add_argument("--check-timeout", type=int, default=120)
    parser.add_argument("--account-prefix", default="echoesapp-")
    parser.add_argument("--page-timeout", type=float, default=60)
    parser.add_argument("--mode", choices=["process", "docker"], default="process")
    parser.add_argument("--image", default="echoes/singleuser:latest")
    parser.add_argument("--network", default="echoes")
    parser.add_argument("--name-prefix", default="echoes")
    parser.add_argument("--mem-limit", default="1G")
    parser.add_argument("--cpu-limit", type=float, default=1.0)
    parser.add_argument("--container-uid", type=int, default=1000)
    return parser.parse_args(argv)


def make_runner(args: argparse.Namespace, prefix: str) -> Runner:
    """The process-mode runner, or the container-mode one (containers.py)."""
    common = {
        "account_prefix": args.account_prefix,
        "pool_size": args.pool_size,
        "idle_timeout": args.idle_timeout,
        "check_timeout": args.check_timeout,
    }
    run_root = Path(args.state) / "run"
    if args.mode == "docker":
        from .containers import ContainerRunner

        return ContainerRunner(
            run_root,
            prefix,
            image=args.image,
            network=args.network,
            name_prefix=args.name_prefix,
            mem_limit=args.mem_limit,
            cpu_limit=args.cpu_limit,
            uid=args.container_uid,
            data_dir=os.environ.get("ECHOES_DATA_DIR", ""),
            deployment=str(Path(args.state).resolve()),
            **common,
        )
    extra_env = {}
    if os.environ.get("ECHOES_DATA_DIR"):
        extra_env["ECHOES_DATA_DIR"] = os.environ["ECHOES_DATA_DIR"]
    return Runner(run_root, prefix, extra_env=extra_env, **common)


async def serve(args: argparse.Namespace) -> None:
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/apps/")
    runner = make_runner(args, prefix)
    url = os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")
    address = urlsplit(url)
    origins = Origins(
        os.environ.get("JUPYTERHUB_HOST", "http://localhost"), prefix, secrets.token_bytes(32)
    )
    # The proxy's token is for this process only: popped, so no app or check inherits it.
    proxy_routes = ProxyRoutes(
        os.environ.pop("ECHOES_PROXY_API_URL", ""),
        os.environ.pop("ECHOES_PROXY_AUTH_TOKEN", ""),
        f"{address.scheme}://{address.netloc}",
    )
    service = AppsService(
        Path(args.state), prefix, runner, args.page_timeout, origins, proxy_routes
    )
    await service.route_authors()
    make_app(service).listen(address.port, address=address.hostname, xheaders=True)
    log.info("apps service on %s, prefix %s", url, prefix)
    PeriodicCallback(runner.cull, args.cull_every * 1000).start()
    # A proxy restarted by the hub has only JupyterHub's routes: add the authors' again.
    PeriodicCallback(service.route_authors, args.cull_every * 1000).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.stop_all()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="[apps %(levelname)s] %(message)s")
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
