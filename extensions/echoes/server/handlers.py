"""Thin tornado handlers of the server extension under <base_url>/echoes/: one route
table, one base handler that maps errors to JSON. Every route needs the server's owner
(jupyter_server's authentication; XSRF on writes as for every jupyter_server API)."""

from __future__ import annotations

import asyncio
import json
import re
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
import psutil
from jupyter_server.base.handlers import APIHandler
from tornado import web

from echoes.hub import Hub, ServiceUnavailable, send_async
from echoes.materials import MaterialsPuller

from . import catalog, publishing

#: Paths the annotation pass-through may reach below the service (no absolute URLs, no "..").
SERVICE_PATH = re.compile(r"^(|[A-Za-z0-9_.~-]+(/[A-Za-z0-9_.~-]*)*)$")
#: Request headers passed on to a service, and reply headers passed back.
FORWARDED_REQUEST = ("Content-Type", "If-Match", "Prefer", "Accept")
FORWARDED_REPLY = ("Content-Type", "ETag", "Location", "Link", "Allow")


def is_json(content_type: str) -> bool:
    """application/json, or a JSON type such as application/ld+json, with any parameters."""
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class BaseHandler(APIHandler):
    """JSON replies; catalog, request and service errors become 4xx/5xx JSON messages.
    Services are reached with the server's own hub token: the browser never holds one."""

    def initialize(self, hub: Hub, http: httpx.AsyncClient, workshop: MaterialsPuller) -> None:
        self.hub = hub
        self.http = http
        self.workshop = workshop

    async def fetch(
        self, method: str, url: str, body: bytes | None = None, headers: dict | None = None
    ) -> httpx.Response:
        """One request to the hub or a service; any HTTP status is a reply, not an error."""
        return await send_async(self.http, method, url, content=body, headers=headers)

    def reply_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(value, ensure_ascii=False))

    def reply(self, reply: httpx.Response) -> None:
        """A service's reply: status, headers and a JSON body unchanged. Any other body (a
        web framework's HTML error page) becomes a JSON message naming the status, so
        that every answer of these routes is JSON, and nothing a service sends as HTML
        ever renders on the user's origin."""
        self.set_status(reply.status_code)
        for name in FORWARDED_REPLY:
            if name in reply.headers:
                self.set_header(name, reply.headers[name])
        body, content_type = reply.content, reply.headers.get("Content-Type", "application/json")
        if body and not is_json(content_type):
            body, content_type = self._status_message(reply.status_code), "application/json"
        # tornado refuses even an empty body with 204 and 304.
        self.finish(body or None, set_content_type=content_type)

    def _status_message(self, status: int) -> bytes:
        message = f"the service answered {status} {HTTPStatus(status).phrase}"
        return json.dumps({"error": "service", "message": message}).encode()

    def expected_error(self, error: BaseException | None) -> tuple[int, dict] | None:
        """The status and JSON body of an error that is the request's fault or a
        service's absence, not a defect of ours; None for anything else."""
        if isinstance(error, catalog.CatalogError):
            return error.status, {"error": "catalog", "message": error.message}
        if isinstance(error, publishing.PublishRequestError):
            return 400, {"error": "invalid request", "message": str(error)}
        if isinstance(error, ServiceUnavailable):
            return 502, {"error": "service unavailable", "message": str(error)}
        return None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        expected = self.expected_error(exc_info[1] if exc_info else None)
        if expected is None:
            super().write_error(status_code, **kwargs)
            return
        self.clear()
        self.reply_json(expected[1], expected[0])

    def log_exception(self, typ, value, tb) -> None:
        # Expected errors are answered, not logged with a traceback as defects are.
        if self.expected_error(value) is None:
            super().log_exception(typ, value, tb)


class TreeHandler(BaseHandler):
    @web.authenticated
    def get(self) -> None:
        self.reply_json(catalog.tree())


class SearchHandler(BaseHandler):
    @web.authenticated
    def get(self) -> None:
        self.reply_json(catalog.search(self.get_query_argument("q", "")))


class EntryHandler(BaseHandler):
    @web.authenticated
    def get(self, path: str) -> None:
        found = catalog.entry(path)
        # Deep zoom: the view reads the image's tiles from the hub's IIIF service, at the
        # address browsers reach it (none when the server does not know the hub's).
        image, service = found.get("iiif_image"), self.hub.page_url("iiif")
        if image and service:
            found["imageService"] = f"{service}image/3/{quote(image, safe='')}/info.json"
        self.reply_json(found)


class PreviewHandler(BaseHandler):
    @web.authenticated
    async def get(self, path: str) -> None:
        # Reading a table can take a moment: off the event loop.
        loop = asyncio.get_running_loop()
        self.reply_json(await loop.run_in_executor(None, catalog.preview, path))


class ImageHandler(BaseHandler):
    """The image file of an image entry; its errors are JSON as on every route."""

    @web.authenticated
    def get(self, path: str) -> None:
        file = catalog.image_file(path)
        kinds = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
        self.set_header("Cache-Control", "private, max-age=300")
        kind = kinds.get(file.suffix.lower(), "application/octet-stream")
        self.finish(file.read_bytes(), set_content_type=kind)


class MeHandler(BaseHandler):
    """Who this server belongs to, and the hub groups the hub lets the server see."""

    @web.authenticated
    async def get(self) -> None:
        me = await self.hub.identity_async(self.http)
        self.reply_json({"name": me.name, "groups": me.groups})


class PagesHandler(BaseHandler):
    """Where the browser opens the services' pages (their own hosts beside the hub's:
    `Hub.page_url`), for the pages JupyterLab shows; "" when the hub's host is unknown."""

    #: The services whose pages JupyterLab opens.
    SERVICES = ("twins",)

    @web.authenticated
    def get(self) -> None:
        self.reply_json({name: self.hub.page_url(name) for name in self.SERVICES})


class ServiceForward(BaseHandler):
    """A service's routes below ``prefix``, reached with the server's hub token: the
    request's path, query, body and a few headers passed on, its reply passed back
    (`reply`)."""

    service: ClassVar[str]
    prefix: ClassVar[str] = ""

    async def _forward(self, path: str) -> None:
        if not SERVICE_PATH.match(path) or ".." in path.split("/"):
            raise web.HTTPError(400, f"not a path of the {self.service} service: {path!r}")
        url = self.hub.service_url(self.service) + "/".join(p for p in (self.prefix, path) if p)
        if self.request.query:
            url += "?" + self.request.query
        headers = {
            k: self.request.headers[k] for k in FORWARDED_REQUEST if k in self.request.headers
        }
        body = self.request.body if self.request.method in ("POST", "PUT", "PATCH") else None
        self.reply(await self.fetch(self.request.method, url, body, headers))

    @web.authenticated
    async def get(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    async def post(self, path: str) -> None:
        await self._forward(path)


class AnnotationsHandler(ServiceForward):
    """The annotation service."""

    service = "annotations"

    @web.authenticated
    async def put(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    async def delete(self, path: str) -> None:
        await self._forward(path)


class ContributeHandler(ServiceForward):
    """The twins service's contribution wizard, as its JSON API (the JupyterLab panel):
    the twins service decides who may contribute, as for its page."""

    service = "twins"
    prefix = "contribute"


class MyAppsHandler(BaseHandler):
    """The apps this server's owner published, as the apps service lists them (the publish
    dialog starts from the previous version's title, description and share), and where
    a browser opens the gallery."""

    @web.authenticated
    async def get(self) -> None:
        reply = await self.fetch("GET", f"{self.hub.service_url('apps')}api/apps")
        if reply.status_code != 200:
            self.reply(reply)
            return
        mine = [app for app in reply.json()["apps"] if app["author"] == self.hub.user]
        self.reply_json({"apps": mine, "gallery": self.hub.page_url("apps")})


class PublishHandler(BaseHandler):
    """Publish a notebook of this server as a Voila app, as `echoes publish` does."""

    @web.authenticated
    async def post(self) -> None:
        try:
            request = json.loads(self.request.body or b"null")
        except ValueError:
            raise publishing.PublishRequestError("the body is not JSON") from None
        fields = publishing.check(request)
        body = publishing.publication(self.contents_manager.root_dir, fields)
        user = quote(self.hub.user, safe="")
        url = f"{self.hub.service_url('apps')}api/apps/{user}/{quote(fields['name'], safe='')}"
        reply = await self.fetch(
            "PUT", url, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        self.reply(reply)


class UsageHandler(BaseHandler):
    """The memory this server uses: the resident memory of its process and all it
    started (kernels, terminals), which the workshop trainer's page shows. Measured here
    because the workshops service cannot see a container's processes."""

    @web.authenticated
    def get(self) -> None:
        server = psutil.Process()
        rss = 0
        for process in [server, *server.children(recursive=True)]:
            try:
                rss += process.memory_info().rss
            except psutil.Error:  # ended meanwhile, or not ours to read
                continue
        self.reply_json({"rss": rss})


class WorkshopHandler(BaseHandler):
    """This attendee's side of their workshop (messages, raised hand, helpers), as the
    server's last check asked the service (echoes/materials.py): no request of its own.
    `null` for everyone who attends none: JupyterLab asks every user's server, and a 404
    would be an error in each of their browser consoles."""

    @web.authenticated
    def get(self) -> None:
        self.reply_json(self.workshop.status)


class RaiseHandHandler(BaseHandler):
    """ "I need help": raise the attendee's hand at the workshops service, as them."""

    @web.authenticated
    async def post(self) -> None:
        url = f"{self.hub.service_url('workshops')}api/hands"
        reply = await self.fetch("POST", url, b"{}", {"Content-Type": "application/json"})
        if not reply.is_error:
            await self.workshop.check()  # the hand shows at once, not at the next check
        self.reply(reply)


ROUTES: list[tuple[str, type]] = [
    (r"catalog/tree", TreeHandler),
    (r"catalog/search", SearchHandler),
    (r"catalog/entry/([\w.-]+)", EntryHandler),
    (r"catalog/preview/([\w.-]+)", PreviewHandler),
    (r"catalog/image/([\w.-]+)", ImageHandler),
    (r"me", MeHandler),
    (r"pages", PagesHandler),
    (r"annotations/(.*)", AnnotationsHandler),
    (r"contribute/?(.*)", ContributeHandler),
    (r"apps/publish", PublishHandler),
    (r"apps/mine", MyAppsHandler),
    (r"usage", UsageHandler),
    (r"workshop", WorkshopHandler),
    (r"workshop/hand", RaiseHandHandler),
]
