"""Thin tornado handlers over the store, the access rules and the runner.

One route table (`SERVICE_ROUTES`, served and documented by the service base, plus the
apps' own addresses, `APP_ROUTES`), handlers over the base's `ServiceHandler`: it
identifies the caller and answers every error as the base's JSON; page routes answer a
browser that asks for HTML with a short HTML page instead (`html_pages`). On the
service's own host viewers are identified by a hub token (Authorization header) or, failing
that, by the service's hub OAuth cookie; JupyterHub accepts the cookie for a change (POST,
PUT, PATCH, DELETE) only with its XSRF token (`_xsrf` argument or `X-XSRFToken` header), so
a page elsewhere cannot act in a viewer's name. On an author's host (where the apps run,
see origins.py) viewers are identified only by that host's viewer cookie. Anyone else is
anonymous.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jupyterhub.utils import url_path_join
from tornado import httputil, web, websocket
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse
from tornado.httputil import url_concat
from tornado.routing import AnyMatches, HostMatches, Rule
from tornado.simple_httpclient import HTTPTimeoutError

from ..base.auth import OAuthCallbackHandler, ServiceHandler
from ..base.errors import ServiceError
from ..base.routes import Route, url_specs
from . import proxy
from .errors import AppFailed, AppUnavailable, InvalidRequest, NotAllowed, NotFound
from .model import (
    ANONYMOUS,
    Share,
    Viewer,
    can_manage,
    can_view,
    check_name,
    parse_change,
    parse_publication,
)
from .openapi import document
from .origins import TICKET_ARGUMENT, VIEWER_COOKIE, VIEWER_COOKIE_DAYS
from .store import App

HERE = Path(__file__).parent
#: Query arguments never passed on to an app's Voila (it logs them; its code may read them).
SECRET_ARGUMENTS = frozenset({"token", "_xsrf"})


def upstream_uri(uri: str) -> str:
    """`uri` without the query arguments that carry credentials."""
    parts = urlsplit(uri)
    if not parts.query:
        return uri
    kept = [
        (k, v)
        for k, v in httputil.parse_qs_bytes(parts.query, keep_blank_values=True).items()
        if k not in SECRET_ARGUMENTS
    ]
    query = urlencode([(k, v.decode("utf-8", "replace")) for k, vs in kept for v in vs])
    return parts.path + (f"?{query}" if query else "")


class BaseHandler(ServiceHandler):
    """The base's handler (caller, body limit, JSON errors), open to anonymous viewers
    (public apps), with an HTML page for browsers on page routes."""

    require_user = False
    #: A route browsers open as a page: errors are an HTML page when they ask for HTML.
    html_pages = False

    @property
    def service(self):
        return self.settings["apps"]

    @property
    def viewer(self) -> Viewer:
        model = self.current_user
        if model and model.get("kind", "user") != "user":  # a service is nobody's viewer
            return ANONYMOUS
        return super().viewer

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if not (self.html_pages and "text/html" in self.request.headers.get("Accept", "")):
            super().write_error(status_code, **kwargs)
            return
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, ServiceError):
            status_code, message = error.status, error.message
            self.set_status(status_code)
        elif isinstance(error, web.HTTPError) and error.log_message and status_code < 500:
            message = error.log_message % error.args if error.args else error.log_message
        else:  # never a traceback nor an internal detail
            message = httputil.responses.get(status_code, "Error")
        title = httputil.responses.get(status_code, "Error")
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(self.render_string("message.html", title=title, message=message))

    def visible_apps(self, viewer: Viewer) -> list[dict]:
        """The models of every app `viewer` may open."""
        return [
            self.app_model(app, viewer)
            for app in self.service.store.list()
            if can_view(app.author, Share.parse(app.share), viewer)
        ]

    def app_model(self, app: App, viewer: Viewer) -> dict:
        model = app.to_dict()
        model["url"] = self.service.origins.app_url(app.author, app.name)
        model["thumbnail"] = self.service.thumbnail_url(app)
        if not can_manage(app.author, viewer):
            model.pop("error")  # what went wrong is for the author and admins
            model.pop("source")  # so is where the notebook lies in the author's server
        return model


class ApiHandler(BaseHandler):
    """The REST API: JSON in and out. A change needs a hub token, or the service's cookie
    with its XSRF token (checked by JupyterHub when the caller is identified)."""

    def body(self) -> object:
        try:
            return json.loads(self.request.body or b"{}")
        except ValueError as e:
            raise InvalidRequest(f"the request body is not JSON: {e}") from e

    async def manager(self, author: str) -> Viewer:
        viewer = self.viewer
        if viewer.anonymous:
            raise web.HTTPError(401, "log in or send a hub token")
        if not can_manage(author, viewer):
            raise NotAllowed(f"only {author} and administrators manage {author}'s apps")
        return viewer


class AppsApiHandler(ApiHandler):
    async def get(self) -> None:
        viewer = self.viewer
        apps = self.visible_apps(viewer)
        self.finish({"apps": apps})


class AppApiHandler(ApiHandler):
    async def get(self, author: str, name: str) -> None:
        viewer = self.viewer
        app = self.service.store.get(author, name)
        if not can_view(app.author, Share.parse(app.share), viewer):
            raise NotFound(f"no app {author}/{name}")
        model = self.app_model(app, viewer)
        if can_manage(author, viewer):
            model["versions"] = self.service.store.versions(author, name)
        self.finish(model)

    async def put(self, author: str, name: str) -> None:
        """Publish: a new app, or a new version of an existing one."""
        viewer = await self.manager(author)
        if viewer.name != author:
            raise NotAllowed("apps are published by their author")
        check_name(name)
        publication = parse_publication(self.body())
        app = await self.service.publish(author, name, publication)
        self.set_status(201)
        self.finish(self.app_model(app, viewer))

    async def patch(self, author: str, name: str) -> None:
        """Change the title, description or who may open the app, without a new version."""
        viewer = await self.manager(author)
        change = parse_change(self.body())
        if not change:
            raise InvalidRequest(
                'send any of {"title", "description", "share": "public|hub|group:G|user:U"}'
            )
        app = self.service.store.change(author, name, change)
        self.finish(self.app_model(app, viewer))

    async def delete(self, author: str, name: str) -> None:
        await self.manager(author)
        await self.service.unpublish(author, name)
        self.set_status(204)
        self.finish()


class GalleryHandler(BaseHandler):
    html_pages = True

    async def get(self) -> None:
        viewer = self.viewer
        apps = self.visible_apps(viewer)
        self.render(
            "gallery.html",
            apps=apps,
            viewer=viewer,
            can_manage=can_manage,
            prefix=self.service.prefix,
            api=url_path_join(self.service.prefix, "api/apps/"),
            login_url=url_path_join(self.service.prefix, "login"),
            # Only for those who may change something: making one sets JupyterHub's cookie.
            xsrf="" if viewer.anonymous else self.xsrf_token.decode(),
            time=time,
        )


class AppPageHandler(BaseHandler):
    """An app's own page: its description, who may open it, its versions, and for the
    author the gallery's edit form. Those who may not open the app get the answer an
    unknown app gets (404), so that nobody learns which private apps exist."""

    html_pages = True

    async def get(self, author: str, name: str) -> None:
        viewer = self.viewer
        app = _viewable(self.service.store, author, name, viewer)
        if app is None:
            raise NotFound(f"no app {author}/{name}")
        self.render(
            "app.html",
            app=self.app_model(app, viewer),
            who=who_may_open(Share.parse(app.share)),
            versions=self.service.store.versions(author, name),
            prefix=self.service.prefix,
            # The author's own server, through the hub (which starts it if need be).
            in_lab=self.service.origins.hub_url(f"hub/user-redirect/lab/tree/{app.source}")
            if app.source and viewer.name == author
            else "",
            time=time,
        )


def who_may_open(share: Share) -> str:
    """A share in words, as the publish dialog names it."""
    if share.kind == "public":
        return "anyone, without logging in"
    if share.kind == "hub":
        return "every hub user"
    if share.kind == "group":
        return f"members of the hub group {share.principal}"
    return f"the hub user {share.principal}"


class LoginHandler(BaseHandler):
    """Log in to the apps service through the hub (OAuth), then back to the gallery."""

    html_pages = True

    @web.authenticated
    def get(self) -> None:
        self.redirect(self.service.prefix)


class PublishFormHandler(BaseHandler):
    """The gallery's publish form (upload an .ipynb), for browsers: the form carries the
    XSRF token, without which the cookie does not identify anyone (see the module)."""

    html_pages = True

    async def post(self) -> None:
        viewer = self.viewer
        if viewer.anonymous:
            raise web.HTTPError(401, "log in to publish")
        uploads = self.request.files.get("notebook") or []
        if not uploads:
            raise InvalidRequest("choose a notebook file (.ipynb) to publish")
        try:
            notebook = json.loads(uploads[0]["body"])
        except ValueError as e:
            raise InvalidRequest(f"{uploads[0]['filename']} is not a notebook (not JSON)") from e
        name = check_name(self.get_body_argument("name", ""))
        # An empty field keeps what a previous version had (model.Publication).
        fields = {k: self.get_body_argument(k, "") for k in ("title", "description", "share")}
        publication = parse_publication(
            {"notebook": notebook, **{k: v for k, v in fields.items() if v}}
        )
        await self.service.publish(viewer.name, name, publication)
        self.redirect(self.service.prefix)


class EnterHandler(BaseHandler):
    """On the service's host, where the viewer is logged in (hub OAuth): the ticket that
    lets the author's host know who they are (origins.py)."""

    html_pages = True

    @web.authenticated
    async def get(self, author: str, name: str) -> None:
        viewer = self.viewer
        app = self.service.store.get(author, name)
        if viewer.anonymous or not can_view(author, Share.parse(app.share), viewer):
            raise NotFound(f"no app {author}/{name}")
        origins = self.service.origins
        ticket = origins.ticket(viewer.name, author)
        self.redirect(url_concat(origins.app_url(author, name), {TICKET_ARGUMENT: ticket}))


class ThumbnailHandler(BaseHandler):
    async def get(self, author: str, name: str) -> None:
        app = _viewable(self.service.store, author, name, self.viewer)
        path = self.service.thumbnail_path(app) if app else None
        if path is None or not path.exists():
            raise NotFound(f"no thumbnail for {author}/{name}")
        self.set_header("Content-Type", "image/png")
        self.finish(path.read_bytes())


def _viewable(store, author: str, name: str, viewer: Viewer) -> App | None:
    """The app if `viewer` may open it; None if it does not exist or they may not, so
    that no answer tells strangers which private apps exist."""
    try:
        app = store.get(author, name)
    except NotFound:
        return None
    return app if can_view(author, Share.parse(app.share), viewer) else None


class OnAuthorsHost:
    """Handlers of an app's own addresses, on its author's host: the viewer is who that
    host's cookie names (never a hub cookie or token, which that host never receives);
    their groups and admin flag are asked of the hub by name."""

    async def prepare(self) -> None:
        author = self.path_kwargs["author"]
        value = self.get_secure_cookie(VIEWER_COOKIE, max_age_days=VIEWER_COOKIE_DAYS)
        name = self.service.origins.viewer_from_cookie(value, author)
        self.current_user = await self.service.lookup(name) if name else None

    def on_authors_host(self, author: str) -> bool:
        return self.request.host_name == self.service.origins.app_host(author)

    def redeem_ticket(self, author: str, name: str) -> bool:
        """Exchange a ticket from the service's host for this host's cookie, then go to the
        address without it. False when the request has no ticket."""
        ticket = self.get_query_argument(TICKET_ARGUMENT, None)
        if ticket is None:
            return False
        origins = self.service.origins
        viewer = origins.redeem(ticket, author)
        if viewer:
            self.set_secure_cookie(
                VIEWER_COOKIE,
                origins.viewer_cookie(viewer, author),
                expires_days=VIEWER_COOKIE_DAYS,
                path=origins.cookie_path(author),
                httponly=True,
                samesite="Lax",
            )
        self.redirect(origins.app_url(author, name))
        return True


async def _open_app(handler: BaseHandler, author: str, name: str, path: str):
    """Check that the viewer may open this app; return (app, running instance)."""
    if not handler.on_authors_host(author):
        raise NotFound(f"{author}'s apps open at {handler.service.origins.app_url(author, name)}")
    viewer = handler.viewer
    app = _viewable(handler.service.store, author, name, viewer)
    if app is None:
        page = handler.request.method == "GET" and path == ""
        if viewer.anonymous and page and "text/html" in handler.request.headers.get("Accept", ""):
            # A browser: log in on the service's host, which sends it back with a ticket.
            handler.redirect(handler.service.origins.enter_url(author, name))
            return None, None
        raise NotFound(f"no app {author}/{name}")
    if not app.ok:
        detail = f" The error was: {app.error}" if can_manage(author, viewer) else ""
        raise AppUnavailable(
            f"This app could not be run when it was published, so it is not served.{detail}"
        )
    try:
        instance = await handler.service.runner.ensure(
            author, name, app.version, handler.service.store.notebook(app)
        )
    except AppFailed as e:
        handler.service.log.error("app %s/%s failed to start: %s", author, name, e.detail)
        raise AppUnavailable("This app could not be started. Its author can republish it.") from e
    return app, instance


class AppProxyHandler(OnAuthorsHost, BaseHandler):
    html_pages = True

    async def _proxy(self, author: str, name: str, path: str) -> None:
        if not proxy.http_allowed(self.request.method, path):
            raise NotFound("there is nothing to see here")
        if path == "" and self.request.method == "GET":
            if not self.on_authors_host(author):  # e.g. a link from before apps moved
                self.redirect(self.service.origins.app_url(author, name))
                return
            if self.redeem_ticket(author, name):
                return
        _app, instance = await _open_app(self, author, name, path)
        if instance is None:
            return
        response, timed_out = await self._fetch(instance, path)
        if path == "" and (timed_out or response is None or response.code >= 500):
            # Seen under load: a kernel dies or fails to start (Voila answers 500 or drops
            # the page half-way), or its render stalls (no answer). The next page gets a
            # kernel of its own; a stalled app nobody else has open is started afresh.
            # Either way, try once more.
            self.service.log.warning(
                "app %s/%s did not render (%s); trying again",
                author,
                name,
                "timed out" if timed_out else response.code if response else "closed",
            )
            if timed_out and instance.sockets == 0:
                await self.service.runner.stop(author, name)
            _app, instance = await _open_app(self, author, name, path)
            response, timed_out = await self._fetch(instance, path)
        instance.last_used = time.monotonic()
        if response is None or response.code >= 500:
            # Voila's own error pages are never shown: they may name the notebook's code.
            raise AppUnavailable("This app could not answer just now. Reload the page.")
        self.set_status(response.code, response.reason)
        self.clear_header("Content-Type")
        for k, v in response.headers.get_all():
            if k.lower() not in proxy.DROPPED_RESPONSE_HEADERS:
                self.add_header(k, v)
        # A cached page could outlive a change of share: always ask again.
        self.set_header("Cache-Control", "no-store") if path == "" else None
        if response.body and self.request.method != "HEAD":
            self.write(response.body)
        self.finish()

    async def _fetch(self, instance, path: str) -> tuple[HTTPResponse | None, bool]:
        """Voila's answer (None if the connection failed) and whether it timed out."""
        headers = {
            k: v
            for k, v in self.request.headers.get_all()
            if k.lower() not in proxy.DROPPED_REQUEST_HEADERS
        }
        headers["Authorization"] = f"token {instance.token}"
        body = self.request.body if self.request.method == "POST" else None
        request = HTTPRequest(
            instance.url + upstream_uri(self.request.uri),
            method=self.request.method,
            headers=headers,
            body=body,
            follow_redirects=False,
            request_timeout=self.service.page_timeout if path == "" else 300,
            decompress_response=True,
        )
        try:
            return await self.service.http.fetch(request, raise_error=False), False
        except HTTPTimeoutError:
            return None, True
        except (HTTPClientError, OSError) as e:  # refused, or closed half-way
            self.service.log.warning("app at %s: %s", instance.url, e)
            return None, False

    async def get(self, author: str, name: str, path: str) -> None:
        await self._proxy(author, name, path)

    async def head(self, author: str, name: str, path: str) -> None:
        await self._proxy(author, name, path)

    async def post(self, author: str, name: str, path: str) -> None:
        origin = self.request.headers.get("Origin", "").lower()
        if origin != self.service.origins.app_origin(author):
            raise NotAllowed("only the app's own pages post to it")
        await self._proxy(author, name, path)

    def check_xsrf_cookie(self) -> None:
        """Voila's kernel shutdown, the only POST, cannot send the service's XSRF token;
        `post` accepts it from the app's own pages only (their `Origin`)."""


class AppSocketHandler(OnAuthorsHost, BaseHandler, websocket.WebSocketHandler):
    """Websockets to an app's kernel: origin and access checked at the upgrade, the
    subprotocol the browser asks for agreed with Voila, which drops any kernel message a
    viewer may not send (see proxy.py)."""

    upstream: websocket.WebSocketClientConnection | None = None

    async def get(self, author: str, name: str, path: str) -> None:
        if not proxy.WEBSOCKET_PATHS.match(path):
            raise NotFound("there is nothing to see here")
        if self.request.headers.get("Upgrade", "").lower() != "websocket":
            raise InvalidRequest("this address takes websocket connections only")
        # Before anything else (an app may be started below): the viewer's cookie opens
        # the app's kernel from the app's own pages only.
        origin = self.request.headers.get("Origin")
        if origin is not None and not self.check_origin(origin):
            raise NotAllowed("an app's websockets open from the app's own pages only")
        _app, instance = await _open_app(self, author, name, "websocket")
        self.instance = instance
        asked = self.request.headers.get("Sec-WebSocket-Protocol", "")
        request = HTTPRequest(
            instance.url.replace("http", "ws", 1) + upstream_uri(self.request.uri),
            headers={"Authorization": f"token {instance.token}"},
            request_timeout=60,
        )
        try:
            self.upstream = await websocket.websocket_connect(
                request, subprotocols=[p.strip() for p in asked.split(",") if p.strip()] or None
            )
        except (HTTPClientError, websocket.WebSocketError, OSError) as e:
            self.service.log.warning("app %s/%s refused a websocket: %s", author, name, e)
            raise AppUnavailable("This app could not answer. Reload the page in a moment.") from e
        instance.sockets += 1
        await super().get(author, name, path)

    def check_origin(self, origin: str) -> bool:
        kwargs = self.path_kwargs
        return origin.lower() == self.service.origins.app_origin(kwargs["author"])

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        """What the app's Voila chose among those the browser asked for (JupyterLab's and
        Voila's JS ask for v1.kernel.websocket.jupyter.org), so both ends frame alike."""
        return self.upstream.selected_subprotocol if self.upstream else None

    def open(self, *args) -> None:
        self.pump = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        while self.upstream is not None:
            message = await self.upstream.read_message()
            if message is None:
                self.close()
                return
            try:
                await self.write_message(message, binary=isinstance(message, bytes))
            except websocket.WebSocketClosedError:
                return

    def on_message(self, message: str | bytes) -> None:
        self.instance.last_used = time.monotonic()
        if self.upstream is not None:
            self.upstream.write_message(message, binary=isinstance(message, bytes))

    def on_close(self) -> None:
        if self.upstream is not None:
            self.instance.sockets -= 1
            self.instance.last_used = time.monotonic()
            self.upstream.close()
            self.upstream = None


class NotOnAuthorsHost(BaseHandler):
    """Everything but the apps' own addresses on an author's host: refused, never handed
    on to the service's routes (tornado tries the next rule when a host's rule has no
    route), or the author's pages could use the gallery, the API and OAuth as their own
    origin."""

    async def prepare(self) -> None:
        raise NotFound(
            f"this host serves apps only; the rest is at {self.service.origins.service_url('')}"
        )


class OpenApiHandler(BaseHandler):
    def get(self) -> None:
        origins = self.service.origins
        self.finish(
            document(DOCUMENTED, origins.service_url(""), self.service_settings.max_body_size)
        )


class VoilaQueryHandler(AppSocketHandler):
    """Voila's progressive-rendering websocket, checked as the kernel's."""


#: The service's own addresses, on its host (and its loopback address for user servers).
#: The base serves them under the prefix (with the OAuth callback) and documents them.
APP = "{author}/{name}"
SERVICE_ROUTES = [
    Route("", GalleryHandler, {"get": "The gallery of the apps the caller may open."}),
    Route("login", LoginHandler, {"get": "Log in through the hub (OAuth), then the gallery."}),
    Route(
        f"about/{APP}",
        AppPageHandler,
        {"get": "The app's page: description, who may open it, versions."},
        replies={"get": "Page"},
    ),
    Route("publish", PublishFormHandler, {"post": "The gallery's publish form (an .ipynb)."}),
    Route(
        "api/openapi.json", OpenApiHandler, {"get": "This description."}, replies={"get": "OpenAPI"}
    ),
    Route(
        "api/apps",
        AppsApiHandler,
        {"get": "The apps the caller may open (anonymous callers see public apps)."},
        replies={"get": "Apps"},
    ),
    Route(
        f"api/apps/{APP}",
        AppApiHandler,
        {
            "get": "One app (with its versions for the author and admins).",
            "put": "Publish a new app or a new version (its author only).",
            "patch": "Change its title, description or share (its author or an admin).",
            "delete": "Unpublish, with all versions (its author or an admin).",
        },
        replies={"get": "App", "put": "App", "patch": "App"},
        body="Publication",
    ),
    Route(
        f"thumbnails/{APP}.png",
        ThumbnailHandler,
        {"get": "The app's thumbnail, for those it is shared with."},
        replies={"get": "PNG"},
    ),
    Route(
        f"enter/{APP}",
        EnterHandler,
        {"get": "To the app on its author's host, with a one-time ticket (hub OAuth first)."},
    ),
]
#: The apps' own addresses (documented; served by `app_specs`, whose last part is any path
#: inside the app: Voila's assets are served as its page is).
APP_ROUTES = [
    Route(
        f"{APP}/",
        AppProxyHandler,
        {"get": "The app itself (Voila), on its author's host.", "head": "As GET, no body."},
        replies={"get": "Page"},
    ),
    Route(
        f"{APP}/voila/api/shutdown/{{kernel}}",
        AppProxyHandler,
        {"post": "Voila's kernel shutdown, from the app's own pages only (Origin)."},
    ),
    Route(
        f"{APP}/api/kernels/{{kernel}}/channels",
        AppSocketHandler,
        {"get": "Websocket to the page's kernel, from the app's own origin only."},
    ),
    Route(f"{APP}/voila/query/{{kernel}}", VoilaQueryHandler, {"get": "Voila's rendering socket."}),
]


#: Everything served: the base adds the end of the hub's OAuth flow to every service.
DOCUMENTED = [
    *SERVICE_ROUTES,
    Route("oauth_callback", OAuthCallbackHandler, {"get": "The end of the hub's OAuth login."}),
    *APP_ROUTES,
]


def app_specs(prefix: str) -> list[tuple[str, type]]:
    app = url_path_join(prefix, r"(?P<author>[^/]+)/(?P<name>[^/]+)")
    return [
        (f"{app}/(?P<path>api/kernels/[^/]+/channels)$", AppSocketHandler),
        (f"{app}/(?P<path>voila/query/[^/]+)$", VoilaQueryHandler),
        (f"{app}/(?P<path>.*)$", AppProxyHandler),
    ]


def routes(prefix: str, domain: str) -> list[Rule]:
    """The one route table of the apps service: on an author's host (<author>--app.<domain>)
    only the apps' own addresses; on any other host (the service's, or its loopback address
    for user servers) the gallery and the API too."""
    apps = app_specs(prefix)
    authors_host = rf"[^.]+--app\.{re.escape(domain)}"
    return [
        Rule(HostMatches(authors_host), [*apps, (r".*", NotOnAuthorsHost)]),
        Rule(AnyMatches(), url_specs(prefix, SERVICE_ROUTES) + apps),
    ]
