"""Who is calling a service, and the handler base every service's handlers build on.

The hub answers "who is this": a token (``Authorization: token ...``) first, else the
service's OAuth cookie, which JupyterHub accepts for a change (POST, PUT, PATCH, DELETE)
only with its XSRF token (``X-XSRFToken`` header or ``_xsrf`` argument). `HubOAuth` keeps
each answer `ServiceSettings.auth_cache_max_age` seconds (`ServiceApp.make_web_app` makes
one per service, never JupyterHub's shared singleton, so its cache follows that setting).

`ServiceHandler.prepare` asks once per request, on the event loop, and sets tornado's
``current_user``; `viewer` is the caller as a `Viewer` (anonymous when nobody is known).

The seam for in-process tests: the application setting `CALLER`, a coroutine function
``caller(handler) -> user model | None``, replaces the question to the hub (and only it:
store, rules and HTTP stay real). The service never sets it; it defaults to `ask_the_hub`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from jupyterhub.services.auth import (
    HubOAuth,
    HubOAuthCallbackHandler,
    HubOAuthenticated,
    UserNotAllowed,
)
from tornado import httputil, web

from ..viewer import Viewer
from .errors import ServiceError, TooLarge, error_json
from .logs import request_summary

#: The application setting that, when set (by in-process tests only), says who calls.
CALLER = "echoes_caller"
Caller = Callable[[web.RequestHandler], Awaitable["dict[str, Any] | None"]]


async def ask_the_hub(handler: HubOAuthenticated) -> dict[str, Any] | None:
    """The hub's user (or service) model of the request's token or cookie, or None."""
    return await handler.hub_auth.get_user(handler, sync=False)


class JSONErrors(web.RequestHandler):
    """Every error as ``{"error", "message", "field"}`` JSON, and logged scrubbed: a
    `ServiceError` with its own status, a tornado ``HTTPError`` with its reason and log
    message, anything else as a bare 500 (the traceback goes to the log only)."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, ServiceError):
            self.set_status(error.status)
            for name, value in error.headers.items():
                self.set_header(name, value)
            reply = error.as_json()
        else:
            reason = getattr(error, "reason", None) or httputil.responses.get(status_code, "Error")
            message = reason
            if isinstance(error, web.HTTPError) and error.log_message and status_code < 500:
                message = error.log_message % error.args if error.args else error.log_message
            reply = error_json(reason, message)
        self.set_header("Content-Type", "application/json")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(json.dumps(reply))

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, ServiceError):  # a refusal, not a fault: the access log has it
            return
        if isinstance(value, web.HTTPError):
            if value.log_message:
                message = value.log_message % value.args if value.args else value.log_message
                logging.getLogger("tornado.general").warning(
                    "%d %s: %s", value.status_code, request_summary(self.request), message
                )
            return
        logging.getLogger("tornado.application").error(
            "Uncaught exception %s", request_summary(self.request), exc_info=(typ, value, tb)
        )


class ServiceHandler(HubOAuthenticated, JSONErrors):
    """Identifies the caller, applies the body limit, and answers errors as JSON.

    ``require_user``: anyone unidentified gets a 403 (a person opening a page is sent to
    the hub's login instead); False lets anonymous visitors in (`viewer` is anonymous)."""

    require_user = True

    @property
    def hub_auth(self) -> HubOAuth:
        return self.settings["hub_auth"]

    @property
    def service_settings(self) -> Any:
        """The service's `ServiceSettings` (as the hub handed them over). Not `options`:
        that is tornado's handler of the OPTIONS method."""
        return self.settings["service_settings"]

    @property
    def body_limit(self) -> int:
        """The largest request body this handler takes (413 beyond)."""
        return self.service_settings.max_body_size

    async def prepare(self) -> None:
        caller: Caller = self.settings.get(CALLER, ask_the_hub)
        model = await caller(self)
        try:
            self.current_user = self.check_hub_user(model) if model else None
        except UserNotAllowed:
            self.current_user = None
        if self.current_user is None and self.require_user:
            if self.is_page_view():
                self.redirect(self.get_login_url())
                return
            raise web.HTTPError(403, "authenticate with the hub (cookie or API token)")
        limit = self.body_limit
        length = self.request.headers.get("Content-Length")
        if (length and length.isdigit() and int(length) > limit) or len(self.request.body) > limit:
            raise TooLarge(f"request body larger than {limit} bytes", "$")

    def from_page_form(self) -> bool:
        """Whether the request is a form of the service's own page (answered by going
        back to the page), not a JSON call."""
        content_type = self.request.headers.get("Content-Type", "")
        return content_type.startswith("application/x-www-form-urlencoded")

    def is_page_view(self) -> bool:
        """A person opening a page of the service: worth sending to the hub's login. A
        script's fetch (even one that asks for HTML) gets the 403, never a redirect that
        could complete the OAuth flow behind the person's back."""
        headers = self.request.headers
        return (
            self.request.method == "GET"
            and "text/html" in headers.get("Accept", "")
            and headers.get("Sec-Fetch-Mode", "navigate") == "navigate"
        )

    @property
    def viewer(self) -> Viewer:
        """The caller: its name, admin flag and groups as the hub reports them."""
        return Viewer.of(self.current_user) if self.current_user else Viewer()

    def set_default_headers(self) -> None:
        # Never framed by another origin (an app's or a user server's host), and no CORS
        # header here: other origins can neither show nor read what a viewer may see (a
        # service that serves other origins adds its own, as annotations does, never
        # with credentials).
        self.set_header("Content-Security-Policy", "frame-ancestors 'none'")
        self.set_header("X-Frame-Options", "DENY")


class OAuthCallbackHandler(HubOAuthCallbackHandler, JSONErrors):
    """The end of the hub's OAuth flow, with the service's own HubOAuth."""

    @property
    def hub_auth(self) -> HubOAuth:
        return self.settings["hub_auth"]
