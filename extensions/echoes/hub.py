"""The hub seen from the user side: where it and its services are, who I am, which groups.

Every program on the user side finds the hub here: the notebook clients
(echoes.annotations, echoes.twins), the widgets, the server extension (echoes.server) and
`echoes publish`. Inside a user server, JupyterHub tells the server its hub API
(JUPYTERHUB_API_URL), its token (JUPYTERHUB_API_TOKEN) and its owner
(JUPYTERHUB_USER), and the ECHOES hub tells it where each service listens,
ECHOES_<NAME>_URL (hub/config.py, `tell_servers_where_services_are`): the service's
own address, for programs; the public <name>--service.<domain> is for browsers.
From outside the servers (`echoes publish` on a laptop), `Hub.at(public_url, token)`.

One HTTP client library, httpx: the same requests and replies for the blocking callers
(a kernel, a command line) and for the server extension's async tornado handlers.
requests has no async client (the handlers would need a thread per call); tornado's
blocking HTTPClient cannot run inside a kernel, whose event loop is already running;
httpx is already in every user server (JupyterLab depends on it).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import httpx

#: How the hub names a service's address in a user server's environment.
SERVICE_VARIABLE = re.compile(r"ECHOES_([A-Z0-9_]+)_URL")
#: How the services are called in messages; others by their name.
LABELS = {"annotations": "annotation service", "apps": "apps service"}
STARTED_BY_HUB = "is this server started by the ECHOES hub?"


class ServiceUnavailable(RuntimeError):
    """The hub or a service cannot be found, reached or asked; the message says which."""


class ServiceRefused(RuntimeError):
    """A service refused a request (4xx, 5xx): ``status``, and ``reply`` its JSON error
    (``{"error", "message", "field"}``), whose message and field the text says."""

    def __init__(self, status: int, reply: Any, what: str = "") -> None:
        message = reply.get("message") if isinstance(reply, dict) else str(reply)
        field = reply.get("field") if isinstance(reply, dict) else None
        text = f"{status}: {message}" + (f" (field {field})" if field else "")
        super().__init__(f"{what}: {text}" if what else text)
        self.status = status
        self.reply = reply


def refusal(reply: httpx.Response) -> Any:
    """The body of a refusal: its JSON, else its text as the message."""
    try:
        return reply.json()
    except ValueError:
        return {"message": reply.text[:500] or reply.reason_phrase}


@dataclass(frozen=True)
class Identity:
    """A hub user as the hub tells them to their own token."""

    name: str
    groups: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Hub:
    """A hub: its API, the token to use with it, its user, and its services' addresses."""

    #: The hub's REST API (…/hub/api).
    api_url: str = ""
    token: str = ""
    #: The user the token belongs to, when told (JUPYTERHUB_USER); else ask `identity`.
    user: str = ""
    #: Each service's address for programs, by service name.
    services: Mapping[str, str] = field(default_factory=dict)
    #: The hub's public address: services not in `services` are on their own host beside it.
    public_url: str = ""
    #: Where browsers open the hub (in a user server JUPYTERHUB_HOST, JupyterHub's
    #: `subdomain_host`), for links to the services' pages; programs use `services`.
    browser_url: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Hub:
        """The hub as a user server is told it (``environ``: default the process's)."""
        env = os.environ if environ is None else environ
        services = {}
        for variable, value in env.items():
            found = SERVICE_VARIABLE.fullmatch(variable)
            if found and value:
                services[found.group(1).lower()] = value
        return cls(
            api_url=env.get("JUPYTERHUB_API_URL", "").rstrip("/"),
            token=env.get("JUPYTERHUB_API_TOKEN", ""),
            user=env.get("JUPYTERHUB_USER", ""),
            services=services,
            browser_url=env.get("JUPYTERHUB_HOST", ""),
        )

    @classmethod
    def at(cls, public_url: str, token: str) -> Hub:
        """The hub at its public address, seen from outside its user servers: its API
        under /hub/api, each service on the host JupyterHub gives it with
        `subdomain_host` (<name>--service.<domain>), as a browser reaches them."""
        public = public_url.rstrip("/")
        return cls(api_url=f"{public}/hub/api", token=token, public_url=public, browser_url=public)

    def with_token(self, token: str) -> Hub:
        """The same hub, acting with another token (an empty one changes nothing)."""
        return replace(self, token=token) if token else self

    def service_url(self, name: str) -> str:
        """Where the service ``name`` answers programs, ending in a slash."""
        url = self.services.get(name, "") or beside(self.public_url, name)
        if not url:
            label = LABELS.get(name, f"{name} service")
            raise ServiceUnavailable(
                f"no {label}: ECHOES_{name.upper()}_URL is not set; {STARTED_BY_HUB}"
            )
        return url.rstrip("/") + "/"

    def page_url(self, name: str) -> str:
        """Where a browser opens the service ``name`` (its own host beside the hub's), or
        "" when the hub's public address is not known."""
        return beside(self.browser_url, name)

    # HTTP: clients that send this hub's token with every request.

    def client(self, timeout: float = 60, *, anonymous: bool = False) -> httpx.Client:
        """A blocking client (a kernel, a command line); close it, or use it in ``with``.
        ``anonymous``: send no token, for the services every read of which is anonymous
        (twins, IIIF): they take none, and a credential goes only where it is needed."""
        return httpx.Client(auth=None if anonymous else _Token(self.token), timeout=timeout)

    def async_client(self, timeout: float = 60) -> httpx.AsyncClient:
        """An async client (the server extension); one for the life of the process."""
        return httpx.AsyncClient(auth=_Token(self.token), timeout=timeout)

    # Who am I: the hub tells any token its owner's name and groups.

    def identity(self, http: httpx.Client) -> Identity:
        return self._identity(send(http, "GET", self._user_url()))

    async def identity_async(self, http: httpx.AsyncClient) -> Identity:
        return self._identity(await send_async(http, "GET", self._user_url()))

    def _user_url(self) -> str:
        if not self.api_url:
            raise ServiceUnavailable(f"no hub: JUPYTERHUB_API_URL is not set; {STARTED_BY_HUB}")
        return f"{self.api_url}/user"

    @staticmethod
    def _identity(reply: httpx.Response) -> Identity:
        if reply.status_code != 200:
            raise ServiceUnavailable(
                f"the hub did not say who this is ({reply.url}): "
                f"{reply.status_code} {message_of(reply)}"
            )
        model = reply.json()
        return Identity(model["name"], sorted(model.get("groups") or []))


def beside(public_url: str, name: str) -> str:
    """The service ``name`` on the host JupyterHub gives it with `subdomain_host`
    (<name>--service.<domain>) beside the hub at ``public_url``; "" without one."""
    if not public_url:
        return ""
    parts = urlsplit(public_url)
    return f"{parts.scheme}://{name}--service.{parts.netloc}/services/{name}/"


# The command line (`echoes publish`, `echoes workshop`, `echoes link`): one way to say
# which hub, and which service.


def add_hub_options(parser: argparse.ArgumentParser) -> None:
    """--hub and --token, as every `echoes` command that talks to the hub takes them."""
    here = Hub.from_environ()  # inside a user server, what its hub told it
    parser.add_argument(
        "--hub",
        default=os.environ.get("ECHOES_HUB_URL", ""),
        help="the hub's public address (default: $ECHOES_HUB_URL; inside a user server, its hub)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("ECHOES_TOKEN") or here.token,
        help="a hub API token (default: $ECHOES_TOKEN; inside a user server, its own)",
    )


def add_service_option(parser: argparse.ArgumentParser, name: str, what: str) -> None:
    """--<name>: the address of the managed service ``name`` (``what`` it is called),
    by default the one a user server was told ($ECHOES_<NAME>_URL), else none: then the
    command asks `Hub.service_url` for its own host beside the hub's."""
    parser.add_argument(
        f"--{name}",
        default=Hub.from_environ().services.get(name, ""),
        help=f"{what}'s address (default: $ECHOES_{name.upper()}_URL, set in user servers; "
        f"else its own host beside the hub's, http://{name}--service.HOST/services/{name}/)",
    )


def check_hub_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace, service_url: str
) -> None:
    """A usage error when neither --hub nor ``service_url`` (the service's address given
    or told to the server) says where to go, or when no token is given."""
    if not args.hub and not service_url:
        parser.error("give the hub's address with --hub or $ECHOES_HUB_URL")
    if not args.token:
        parser.error("give a hub token with --token or $ECHOES_TOKEN")


def hub_of(args: argparse.Namespace) -> Hub:
    """The hub that --hub and --token name: at its public address, else the one this
    user server was told."""
    return Hub.at(args.hub, args.token) if args.hub else Hub.from_environ().with_token(args.token)


class _Token(httpx.Auth):
    """JupyterHub's `Authorization: token …`; a request without a token fails here, when
    it is sent, so that a server not started by a hub still loads what needs no hub."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self.token:
            raise ServiceUnavailable(
                f"no hub token: JUPYTERHUB_API_TOKEN is not set; {STARTED_BY_HUB}"
            )
        request.headers["Authorization"] = f"token {self.token}"
        yield request


def send(http: httpx.Client, method: str, url: str, **options) -> httpx.Response:
    """One request; any status is a reply, an unreachable address a ServiceUnavailable."""
    try:
        return http.request(method, url, **options)
    except httpx.RequestError as error:
        raise ServiceUnavailable(f"cannot reach {url}: {error}") from error


async def send_async(http: httpx.AsyncClient, method: str, url: str, **options) -> httpx.Response:
    """`send` for the async client."""
    try:
        return await http.request(method, url, **options)
    except httpx.RequestError as error:
        raise ServiceUnavailable(f"cannot reach {url}: {error}") from error


def message_of(reply: httpx.Response) -> str:
    """What a refusal says: the `message` of the hub's and every service's JSON errors,
    else the status's phrase."""
    try:
        body = reply.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return reply.reason_phrase
