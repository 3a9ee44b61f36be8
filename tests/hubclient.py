"""Drive a real ECHOES hub as people and programs do: start it, log in, spawn, run code.

Used by the integration tests and the benchmarks. Nothing here fakes a part: the hub is
`echoes up` in a subprocess with its real proxy, users go through the HTML forms with
their XSRF tokens, servers are real JupyterLab processes and code runs in real kernels.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from http.cookiejar import Cookie, DefaultCookiePolicy, eff_request_host
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlparse

import requests
import websocket
from jupyterhub.utils import subdomain_hook_idna
from requests.adapters import HTTPAdapter

from echoes.localhost import resolve_localhost_names
from echoes_hub.spawners import cgroups
from echoes_hub.spawners.local import open_for_traversal

ECHOES = str(Path(sys.executable).parent / "echoes")

# The hub gives each user, service and app author a host of its own under `localhost`, as
# a browser resolves them; requests and websocket-client reach them on 127.0.0.1 with the
# real Host header and cookies (echoes/localhost.py).
resolve_localhost_names()


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.2):
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
        except (requests.ConnectionError, OSError) as e:
            last_error, result = e, None
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(size: int = 3) -> int:
    """A port p such that p .. p+size-1 are free (the hub uses port, port+1, port+2)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + size < 65536 and all(_port_is_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no free block of ports")


#: A folder every system user can traverse (pytest's own tmp folders are private to root).
STATE_ROOT = Path(tempfile.gettempdir()) / "echoes-tests"


def make_state_dir(parent: Path = STATE_ROOT) -> Path:
    """A state folder that other system users can traverse."""
    parent.mkdir(mode=0o711, exist_ok=True)
    state = parent / f"state-{uuid.uuid4().hex[:8]}"
    state.mkdir(parents=True)
    open_for_traversal(state)
    return state


def unless_set(option: str, value: str, args: list[str]) -> list[str]:
    """`option` + `value` unless `args` set the option: the command line refuses a
    setting given twice."""
    return [] if any(a.startswith(option) for a in args) else [option + value]


class Hub:
    """One `echoes up` process with its own state folder and ports."""

    #: In this test run: every start of a hub process (a restart counts), the distinct hubs
    #: (state folders), and how many ran at once at most. tests/conftest.py reports them.
    starts: ClassVar[int] = 0
    hubs: ClassVar[set[Path]] = set()
    running: ClassVar[int] = 0
    most_at_once: ClassVar[int] = 0

    def __init__(
        self,
        state_dir: Path,
        *,
        port: int | None = None,
        args: list[str] = (),
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
    ) -> None:
        """`command` replaces `echoes up` (e.g. a plain `jupyterhub` for baselines); it is
        run in the state folder with `--port` appended."""
        self.state_dir = Path(state_dir)
        self.command = command
        self.port = port or free_port_block()
        self.args = list(args)
        # Local servers unless a test asks for containers (`--spawner docker`): with a Docker
        # engine and the user image present, `auto` would pick containers.
        self.env = {"ECHOES_SPAWNER": "local", **(env or {})}
        self.domain = "localhost"
        self.url = f"http://{self.domain}:{self.port}"
        self.proc: subprocess.Popen | None = None
        # What `echoes up` shows on the terminal, and its full log (EchoesHub.log_file).
        self.terminal_path = self.state_dir / "terminal.log"
        self.log_path = self.state_dir / "hub.log"

    def start(self, timeout: float = 90) -> Hub:
        env = {**os.environ, **self.env}
        env.pop("JUPYTERHUB_API_TOKEN", None)
        if self.command:
            cmd = [*self.command, f"--port={self.port}", *self.args]
        else:
            cmd = [ECHOES, "up", "--port", str(self.port), "--state", str(self.state_dir)]
            # No warm pool unless a test asks for one: it would start servers for every
            # other test's events on a shared hub (tests of the pool set their own size).
            # Apps' pages twice the time to render: a page that takes longer is an error
            # (restart, then 503), and these machines are shared (the app tests' own
            # clients wait 240 s, enough for both tries).
            cmd += [
                *unless_set("--WorkshopsService.pool_servers=", "0", self.args),
                *unless_set("--EchoesApps.page_timeout=", "110", self.args),
                *self.args,
            ]
        started = len(self.terminal())
        # Private like the hub's own files: it holds the one-time password.
        fd = os.open(self.terminal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        terminal = os.fdopen(fd, "a")  # kept open for the process's life
        Hub.starts += 1
        Hub.hubs.add(self.state_dir)
        Hub.running += 1
        Hub.most_at_once = max(Hub.most_at_once, Hub.running)
        self.proc = subprocess.Popen(
            cmd,
            stdout=terminal,
            stderr=subprocess.STDOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            cwd=self.state_dir,
        )
        wait_for(
            lambda: self._answers(started), timeout, f"the hub on {self.url} (log: {self.log_path})"
        )
        return self

    def _answers(self, started: int = 0) -> bool:
        if self.proc and self.proc.poll() is not None:
            raise RuntimeError(f"the hub exited ({self.proc.returncode}):\n{self.log()[-3000:]}")
        # Up once it has shown its summary (it follows the start of every service).
        running = self.command or "ECHOES VRE is running at" in self.terminal()[started:]
        return running and requests.get(f"{self.url}/hub/api/", timeout=5).status_code == 200

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 120) -> None:
        """Stop the hub process with `sig` (SIGKILL to simulate a crash) and wait until it
        has exited; one that outlives `timeout` (a busy machine) is killed, never left."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        Hub.running -= 1
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def kill_leftovers(self, timeout: float = 30) -> None:
        """Teardown: stop the hub and every process it started (the proxy, services, user
        servers): those whose command, environment or folder names this hub's state
        folder, found by PID. All get SIGTERM at once, the hub too (left to itself, it
        stops its services one after the other, seconds each), then SIGKILL for any still
        there after `timeout`."""
        hub = self.proc.pid if self.proc else None
        pids = [pid for pid in self._leftover_pids() if pid != hub]
        for pid in pids:
            _signal(pid, signal.SIGTERM)
        self.stop()
        # And whatever started while the hub stopped.
        late = [pid for pid in self._leftover_pids() if pid not in pids]
        for pid in late:
            _signal(pid, signal.SIGTERM)
        pids += late
        deadline = time.monotonic() + timeout
        while pids and time.monotonic() < deadline:
            pids = [pid for pid in pids if _alive(pid)]
            time.sleep(0.1)
        for pid in pids:
            _signal(pid, signal.SIGKILL)
        # The servers' cgroups (hub/spawners/cgroups.py) of this hub, emptied above: a
        # state folder is never used again, so no later hub would remove them.
        parent = cgroups.hub_parent(self.state_dir)
        hierarchy = cgroups.find_hierarchy()
        if hierarchy and cgroups.support(parent).enforced:
            cgroups.remove_stale(parent, hierarchy)
            cgroups.remove_if_empty(parent, hierarchy)

    def _leftover_pids(self) -> list[int]:
        state = str(self.state_dir).encode()
        found = []
        proxy = _pid_in(self.state_dir / "jupyterhub-proxy.pid")
        for proc in Path("/proc").glob("[0-9]*"):
            pid = int(proc.name)
            if pid == os.getpid():
                continue
            try:
                cwd = os.readlink(proc / "cwd").encode()
                cmdline = (proc / "cmdline").read_bytes()
                named = state in cmdline + (proc / "environ").read_bytes()
            except OSError:
                continue
            # The proxy by its pid file too (unless the number now names another program).
            if (pid == proxy and b"proxy" in cmdline) or named or cwd.startswith(state):
                found.append(pid)
        return found

    def terminal(self) -> str:
        """What the hub showed on its terminal (warnings, errors, the summary)."""
        path = self.terminal_path
        return path.read_text(errors="replace") if path.exists() else ""

    def host_url(self, name: str, kind: str) -> str:
        """The origin of a user's server (`kind` "user"), a service ("service") or an
        author's apps ("app"), each on a host of its own as JupyterHub names them."""
        return f"http://{subdomain_hook_idna(name, self.domain, kind)}:{self.port}"

    def service_url(self, name: str) -> str:
        return f"{self.host_url(name, 'service')}/services/{name}/"

    def app_url(self, author: str, name: str) -> str:
        return f"{self.host_url(author, 'app')}/services/apps/{author}/{name}/"

    def log(self) -> str:
        """The terminal's text, then the full log."""
        path = self.log_path
        return self.terminal() + (path.read_text(errors="replace") if path.exists() else "")

    def admin_password(self) -> str:
        """The one-time password the hub printed on first run."""
        match = re.search(r"One-time password: (\S+)", self.terminal())
        if not match:
            raise AssertionError("the hub did not print the administrator's password")
        return match.group(1)


def stop_hubs(hubs: list[Hub], timeout: float = 30) -> None:
    """Stop each hub and everything it started, even when stopping another one fails;
    `timeout`: how long a leftover process has to end on SIGTERM before SIGKILL."""
    errors = []
    for hub in hubs:
        try:
            hub.kill_leftovers(timeout)
        except Exception as error:  # keep stopping the others, then report
            errors.append(error)
        shutil.rmtree(hub.state_dir, ignore_errors=True)
    if errors:
        raise errors[0]


def _pid_in(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class _FromAddress(HTTPAdapter):
    """Connections from a chosen local address (any of 127.0.0.0/8 reaches loopback)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs, source_address=(self.address, 0))


class BrowserCookiePolicy(DefaultCookiePolicy):
    """Cookies kept and sent as Chromium does on the hub's hosts: a host-only cookie goes
    back to its own host only (Python's default also sends it to subdomains), and
    `localhost`, having no registrable domain, takes no domain cookies: `Domain=localhost`
    set by localhost itself is host-only (as JupyterHub's session cookie is with
    subdomain_host), set by any other host it is refused."""

    def __init__(self) -> None:
        super().__init__(strict_ns_domain=DefaultCookiePolicy.DomainStrictNonDomain)

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        if cookie.domain_specified and cookie.domain.lstrip(".") == "localhost":
            host, effective_host = eff_request_host(request)
            if host != "localhost":
                return False
            cookie.domain, cookie.domain_specified = effective_host, False
            cookie.domain_initial_dot = False
        return super().set_ok(cookie, request)


class HubSession:
    """A person with a browser: cookies, XSRF tokens, forms and redirects."""

    def __init__(self, hub: Hub, name: str, password: str, source: str | None = None) -> None:
        """`source`: the local address this browser connects from (another machine, as the
        hub sees it), e.g. "127.0.0.2"."""
        self.hub = hub
        self.name = name
        self.password = password
        self.http = requests.Session()
        if source:
            self.http.mount("http://", _FromAddress(source))
        self.http.cookies.set_policy(BrowserCookiePolicy())

    def url(self, path: str) -> str:
        return f"{self.hub.url}{path}"

    def _xsrf(self, page: str) -> str:
        response = self.http.get(self.url(page), timeout=30)
        response.raise_for_status()
        match = re.search(r'name="_xsrf" value="([^"]+)"', response.text)
        return match.group(1) if match else self.http.cookies.get("_xsrf", "", path="/hub/")

    def signup(self) -> requests.Response:
        xsrf = self._xsrf("/hub/signup")
        return self.http.post(
            self.url("/hub/signup"),
            data={
                "_xsrf": xsrf,
                "username": self.name,
                "signup_password": self.password,
                "signup_password_confirmation": self.password,
            },
            timeout=30,
        )

    def login(self, password: str | None = None, follow: bool = False) -> requests.Response:
        """Post the login form. With `follow`, go where a browser goes next (the hub then
        starts the default server); without, stop at the redirect, cookie set."""
        xsrf = self._xsrf("/hub/login")
        return self.http.post(
            self.url("/hub/login"),
            data={"_xsrf": xsrf, "username": self.name, "password": password or self.password},
            allow_redirects=follow,
            timeout=60,
        )

    def login_error(self, password: str | None = None) -> tuple[int, str]:
        """Post the login form; return the status and the error the page shows ("" if none)."""
        response = self.login(password)
        match = re.search(r'<p class="login_error">\s*(.*?)\s*</p>', response.text, re.S)
        return response.status_code, match.group(1) if match else ""

    def is_logged_in(self) -> bool:
        response = self.http.get(self.url("/hub/api/user"), headers=self._api_headers(), timeout=30)
        return response.status_code == 200 and response.json().get("name") == self.name

    def _api_headers(self) -> dict[str, str]:
        return {"X-XSRFToken": self.http.cookies.get("_xsrf", path="/hub/") or ""}

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """A hub REST API call authenticated by this session's cookie (as JupyterLab does)."""
        headers = {**self._api_headers(), **kwargs.pop("headers", {})}
        return self.http.request(
            method, self.url(f"/hub/api{path}"), headers=headers, timeout=60, **kwargs
        )

    def form(self, path: str, data: dict[str, str]) -> requests.Response:
        """Post a hub form as a browser does: with the XSRF token of the hub's pages."""
        xsrf = self._xsrf("/hub/home")
        return self.http.post(self.url(path), data={**data, "_xsrf": xsrf}, timeout=60)

    def approve(self, username: str) -> None:
        """As an administrator, approve a signed-up user on the authorization page."""
        page = self.http.get(self.url("/hub/authorize"), timeout=30)
        page.raise_for_status()
        if _is_authorized_in_page(page.text, username):
            return
        self.decide(username, "approve").raise_for_status()
        page = self.http.get(self.url("/hub/authorize"), timeout=30)
        assert _is_authorized_in_page(page.text, username), f"{username} was not approved"

    def decide(self, username: str, action: str) -> requests.Response:
        """Post the approval form for `username` (approve, revoke or discard)."""
        xsrf = self._xsrf("/hub/home")
        return self.http.post(
            self.url(f"/hub/authorize/{username}"),
            data={"_xsrf": xsrf, "action": action},
            timeout=30,
        )

    def new_token(self, note: str = "tests", scopes: list[str] | None = None) -> str:
        body: dict[str, Any] = {"note": note, "expires_in": 3600}
        if scopes is not None:
            body["scopes"] = scopes
        response = self.api("POST", f"/users/{self.name}/tokens", json=body)
        response.raise_for_status()
        return response.json()["token"]

    def _server_path(self, server_name: str) -> str:
        """The hub API path of the default server ("") or of a named one."""
        if server_name:
            return f"/users/{self.name}/servers/{server_name}"
        return f"/users/{self.name}/server"

    def start_server(
        self, server_name: str = "", options: dict | None = None, wait: bool = True
    ) -> requests.Response:
        path = self._server_path(server_name)
        response = self.api("POST", path, json=options or {})
        if wait and response.status_code in (201, 202):
            self.wait_ready(server_name)
        return response

    def server_model(self, server_name: str = "") -> dict | None:
        user = self.api("GET", f"/users/{self.name}").json()
        return user.get("servers", {}).get(server_name)

    def wait_ready(self, server_name: str = "", timeout: float = 180) -> dict:
        """Wait for a server that is starting; fail at once, with the hub's log, when it is
        gone (the spawn failed), rather than waiting out `timeout`."""

        def ready() -> dict | None:
            model = self.server_model(server_name)
            if model is None:
                raise AssertionError(
                    f"{self.name}'s server {server_name!r} is not starting; the hub's log "
                    f"ends:\n{self.hub.log()[-4000:]}"
                )
            return model if model.get("ready") else None

        return wait_for(ready, timeout, f"{self.name}'s server {server_name!r} to be ready", 0.5)

    def stop_server(self, server_name: str = "", timeout: float = 60) -> None:
        path = self._server_path(server_name)
        response = self.api("DELETE", path)
        assert response.status_code in (202, 204), response.text
        wait_for(
            lambda: self.server_model(server_name) is None, timeout, f"{self.name}'s server to stop"
        )

    def server_url(self, server_name: str = "") -> str:
        suffix = f"{server_name}/" if server_name else ""
        return f"{self.hub.host_url(self.name, 'user')}/user/{self.name}/{suffix}"


class Lab:
    """A person's browser on their JupyterLab: the server's cookie and XSRF token."""

    def __init__(self, person: HubSession) -> None:
        self.person = person
        self.base = person.server_url()
        # Opening JupyterLab goes through the hub's OAuth and sets the server's cookies.
        page = person.http.get(self.base + "lab", timeout=120)
        assert page.status_code == 200, page.text[:300]

    @property
    def xsrf(self) -> str:
        for cookie in self.person.http.cookies:
            if cookie.name == "_xsrf" and cookie.path.startswith(f"/user/{self.person.name}"):
                return cookie.value
        raise AssertionError("the server set no _xsrf cookie")

    def get(self, path: str, **kwargs) -> requests.Response:
        """GET a route of the ECHOES server extension (<server>/echoes/<path>)."""
        return self.person.http.get(self.base + "echoes/" + path, timeout=120, **kwargs)

    def save_notebook(self, path: str, notebook: dict) -> requests.Response:
        """Save `notebook` at `path` of the server's files, as JupyterLab does."""
        return self.person.http.put(
            self.base + "api/contents/" + path,
            data=json.dumps({"type": "notebook", "content": notebook}),
            headers={"X-XSRFToken": self.xsrf, "Content-Type": "application/json"},
            timeout=60,
        )

    def send(self, method: str, path: str, body, **headers) -> requests.Response:
        """Send `body` (JSON-LD unless a Content-Type says otherwise) with the XSRF token."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/ld+json", "X-XSRFToken": self.xsrf, **headers}
        return self.person.http.request(
            method, self.base + "echoes/" + path, data=data, headers=headers, timeout=600
        )


def _is_authorized_in_page(html: str, username: str) -> bool:
    # Each signed-up user is a table row with id=<name>; approved rows have class "success".
    row = re.search(rf"<tr([^>]*)\bid=[\"']?{re.escape(username)}[\"']?[ >]", html)
    return bool(row and "success" in row.group(1))


class Kernel:
    """A real kernel on a user server, driven over the Jupyter websocket protocol."""

    def __init__(self, server_url: str, token: str, kernel_id: str | None = None) -> None:
        """Start a kernel, or connect to the running kernel `kernel_id`."""
        self.server_url = server_url.rstrip("/")
        self.headers = {"Authorization": f"token {token}"}
        if kernel_id is None:
            response = requests.post(
                f"{self.server_url}/api/kernels", headers=self.headers, json={}, timeout=60
            )
            response.raise_for_status()
            kernel_id = response.json()["id"]
        self.id = kernel_id
        ws_url = self.server_url.replace("http", "ws", 1) + f"/api/kernels/{self.id}/channels"
        self.ws = websocket.create_connection(
            ws_url, header=[f"{k}: {v}" for k, v in self.headers.items()], timeout=120
        )

    def execute(self, code: str, timeout: float = 120) -> str:
        """Run `code`; return its stdout and result text; raise with the traceback on error."""
        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "username": "test",
                        "session": uuid.uuid4().hex,
                        "msg_type": "execute_request",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False, "store_history": False},
                    "channel": "shell",
                }
            )
        )
        output: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self.ws.recv()
            if isinstance(frame, bytes):
                continue  # a message with binary buffers (widget state), never output
            msg = json.loads(frame)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                output.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                output.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                raise RuntimeError("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(output)
        raise TimeoutError(f"kernel did not finish {code!r} in {timeout}s")

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.ws.close()
        requests.delete(
            f"{self.server_url}/api/kernels/{self.id}", headers=self.headers, timeout=30
        )


class Terminal:
    """A real terminal on a user server (terminado over a websocket), as JupyterLab opens
    one: what a person types there runs in the shell the server starts."""

    def __init__(self, server_url: str, token: str) -> None:
        self.server_url = server_url.rstrip("/")
        self.headers = {"Authorization": f"token {token}"}
        response = requests.post(
            f"{self.server_url}/api/terminals", headers=self.headers, json={}, timeout=60
        )
        response.raise_for_status()
        self.name = response.json()["name"]
        ws_url = self.server_url.replace("http", "ws", 1) + f"/terminals/websocket/{self.name}"
        self.ws = websocket.create_connection(
            ws_url, header=[f"{k}: {v}" for k, v in self.headers.items()], timeout=120
        )

    def run(self, command: str, timeout: float = 300) -> tuple[int, str]:
        """Type `command`; its exit status and what the terminal showed until it ended."""
        marker = uuid.uuid4().hex
        # The typed line echoes `$?` literally: only the shell's own output has the number.
        self.ws.send(json.dumps(["stdin", f"{command}; echo {marker}-$?\r"]))
        shown = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            kind, *content = json.loads(self.ws.recv())
            if kind == "stdout":
                shown += content[0]
                ended = re.search(rf"{marker}-(\d+)", shown)
                if ended:
                    return int(ended.group(1)), shown[: ended.start()]
        raise TimeoutError(f"the terminal did not finish {command!r} in {timeout}s: {shown}")

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.ws.close()
        requests.delete(
            f"{self.server_url}/api/terminals/{self.name}", headers=self.headers, timeout=30
        )


def enter_app(hub: Hub, http: requests.Session, author: str, name: str) -> bool:
    """As the browser `http` of someone logged in to the hub: through the apps service's
    host (hub OAuth, the access check, a one-time ticket) to the app's host, which sets its
    viewer cookie; stops before the page renders. False when no ticket was given (the
    viewer may not open the app, or is not logged in)."""
    url = f"{hub.service_url('apps')}enter/{author}/{name}"
    response = http.get(url, allow_redirects=False, timeout=30)
    while response.is_redirect and "echoes-ticket=" not in response.headers["Location"]:
        location = urljoin(response.url, response.headers["Location"])
        response = http.get(location, allow_redirects=False, timeout=30)
    if not response.is_redirect:
        return False
    http.get(response.headers["Location"], allow_redirects=False, timeout=30)
    return True


def host_of(url: str) -> str:
    return urlparse(url).netloc
