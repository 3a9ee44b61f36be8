"""The apps service attacked through the real hub and proxy (issue 12, §2.4, §2.10, §3).

One author publishes an app shared with their group. Every route of the service's own
route table (`routes()`, so a new route is attacked too) is then called with every method
by people who must not change it: anonymous, another hub user, a user of another group,
the author's stolen cookies without the XSRF token, and the author's cookies with a bogus
`Authorization` header. Each route is called on every host it could answer on (see
origins.py): the service's (the gallery, the API, OAuth), the author's (the app itself),
another author's and the hub's. Where a route does not belong it is sent to its own host
or refused, never served. Each refusal is a 4xx with a JSON body (requests that do not
ask for HTML get JSON, browsers' page requests an HTML page), and afterwards the store
holds exactly what it held before: apps, shares and versions.

Then the checks one finding each: XSRF, the websockets' Origin and subprotocol, tokens in
query strings, what refusals tell strangers; and a schemathesis run against the OpenAPI
document the service serves (generated from its route table).

On the run's shared hub: the people and apps are this module's own; "what it held
before" is compared over everything the author sees and every snapshot on disk, which
nothing else changes while the module runs.
"""

from __future__ import annotations

import json
import struct
import uuid
from pathlib import Path

import pytest
import requests
import websocket
from requests.cookies import get_cookie_header
from schemathesis.generation.modes import GenerationMode

from echoes_hub.services.apps.handlers import routes
from echoes_hub.services.apps.origins import TICKET_ARGUMENT, VIEWER_COOKIE
from tests.hubclient import BrowserCookiePolicy, HubSession, enter_app
from tests.integration.conftest import add_user
from tests.security import METHODS, assert_refused, concrete_paths, run_schemathesis

pytestmark = pytest.mark.shared_hub

REPO = Path(__file__).resolve().parents[2]
POTTERY = REPO / "notebooks" / "apps" / "pottery-explorer.ipynb"
PREFIX = "/services/apps/"
APP = "secret-pottery"
KERNEL = str(uuid.uuid4())
V1 = "v1.kernel.websocket.jupyter.org"
#: What a program (not a browser page) accepts: errors come back as JSON.
JSON = {"Accept": "application/json"}
#: Routes anyone may read: they list only what the caller may open.
LISTINGS = {PREFIX, f"{PREFIX}api/apps", f"{PREFIX}api/openapi.json", f"{PREFIX}login"}


def service_origin(hub) -> str:
    return hub.host_url("apps", "service")


def service_xsrf(hub, person: HubSession) -> str:
    """The service's `_xsrf` cookie (on its own host), which its pages send back."""
    host = service_origin(hub).split("://", 1)[1].split(":", 1)[0]
    value = person.http.cookies.get("_xsrf", domain=host, path=PREFIX)
    assert value, "the gallery set no _xsrf cookie"
    return value


def log_in_to_apps(hub, person: HubSession) -> None:
    """Hub OAuth to the apps service, as a browser does from the gallery's "Log in" link;
    the gallery then sets the service's `_xsrf` cookie."""
    response = person.http.get(f"{hub.service_url('apps')}login", timeout=60)
    assert response.status_code == 200, response.text[:300]
    service_xsrf(hub, person)


def api(hub, path: str = "") -> str:
    return f"{hub.service_url('apps')}api/apps{path}"


def app_page(hub, author: str, name: str = APP) -> str:
    """The app's address, on its author's host."""
    return hub.app_url(author, name)


def put_app(hub, person: HubSession, token: str, name: str, share: str) -> dict:
    body = {"notebook": json.loads(POTTERY.read_text()), "share": share}
    response = requests.put(
        api(hub, f"/{person.name}/{name}"),
        json=body,
        headers={"Authorization": f"token {token}"},
        timeout=300,
    )
    assert response.status_code == 201 and response.json()["ok"], response.text[:500]
    return response.json()


@pytest.fixture(scope="module")
def people(hub, admin):
    """The author (with a token), a member of the author's group, a stranger, and a
    member of another group; the author's app `APP` is shared with the author's group,
    and the stranger has an app too (so their host is an author's host). Each has logged
    in to the service and tried to enter `APP` as a browser does: the author and the
    member hold the viewer cookie of the author's host, the others not."""
    author, member = add_user(hub, admin, "sec-author"), add_user(hub, admin, "sec-member")
    stranger, outsider = add_user(hub, admin, "sec-other"), add_user(hub, admin, "sec-outsider")
    team, other_team = f"{author.name}-team", f"{outsider.name}-team"
    for group, person in ((team, member), (other_team, outsider)):
        assert admin.api("POST", f"/groups/{group}").status_code in (201, 409)
        response = admin.api("POST", f"/groups/{group}/users", json={"users": [person.name]})
        assert response.status_code == 200, response.text
    author.token = author.new_token()
    put_app(hub, author, author.token, APP, f"group:{team}")
    put_app(hub, stranger, stranger.new_token(), "other-app", "hub")
    for person in (author, member, stranger, outsider):
        log_in_to_apps(hub, person)
        allowed = person in (author, member)
        assert enter_app(hub, person.http, author.name, APP) == allowed, person.name
    return {"author": author, "member": member, "stranger": stranger, "outsider": outsider}


def store_state(hub, author: HubSession) -> dict:
    """Everything an attack could change: every app with its share and versions (asked of
    the service as the author and the administrator) and the snapshot files on disk."""
    token = {"Authorization": f"token {author.token}"}
    listing = requests.get(api(hub), headers=token, timeout=30).json()["apps"]
    apps = {}
    for app in listing:
        detail = requests.get(
            api(hub, f"/{app['author']}/{app['name']}"), headers=token, timeout=30
        ).json()
        apps[(app["author"], app["name"])] = (app["share"], app["version"], detail.get("versions"))
    snapshots = hub.state_dir / "apps" / "snapshots"
    files = sorted(str(p.relative_to(snapshots)) for p in snapshots.rglob("*"))
    return {"apps": apps, "files": files}


def attack_paths(author: str) -> tuple[list[str], list[str]]:
    """Every route of the route table, filled in to aim at the author's app: those of the
    service's host, and those of the app itself (its author's host)."""
    candidates = {
        "author": [author],
        "name": [APP],
        # The app's page, one of its kernels' channels and Voila's rendering socket, Voila's
        # kernel shutdown.
        "path": [
            *("", f"api/kernels/{KERNEL}/channels", f"voila/query/{KERNEL}"),
            f"voila/api/shutdown/{KERNEL}",
        ],
    }
    on_authors_host, on_any_host = routes(PREFIX, "localhost")
    app_patterns = [pattern for pattern, *_ in on_authors_host.target]
    service, app = [], []
    for pattern, *_ in on_any_host.target:
        (app if pattern in app_patterns else service).extend(concrete_paths(pattern, candidates))
    assert service and app, (service, app)
    return service, app


def hosts(hub, people: dict) -> dict[str, str]:
    """Where the attacks are aimed: every host a request for the apps service reaches."""
    return {
        "service": service_origin(hub),
        "author": hub.host_url(people["author"].name, "app"),
        "another author": hub.host_url(people["stranger"].name, "app"),
        "hub": hub.url,
    }


def check_answer(hub, people: dict, host: str, path: str, response: requests.Response) -> None:
    """What each host must answer for `path`: on the service's host its own routes (the
    listings readable by all), the app only on its author's; anywhere else the request is
    sent to its own host or refused, never served."""
    author = people["author"].name
    service_routes, _ = attack_paths(author)
    page = f"{PREFIX}{author}/{APP}/"
    method, status = response.request.method, response.status_code
    location = response.headers.get("Location", "")
    assert TICKET_ARGUMENT not in location, location
    if method == "GET" and status in (200, 302):
        assert APP not in response.text, response.text[:300]
    if host == "hub" and method in ("GET", "HEAD"):
        # Old links to the service on the hub's host go to the service's host.
        assert status == 302 and location == service_origin(hub) + path, (status, location)
    elif host == "service" and path in service_routes and method == "GET":
        if path in LISTINGS and status in (200, 302):
            return  # readable by all, showing only what the caller may open
        if path == f"{PREFIX}enter/{author}/{APP}" and status == 302:
            # Not logged in: to the hub's OAuth (no ticket, checked above).
            assert location.startswith(f"{hub.url}/hub/api/oauth2/authorize?"), location
            return
        assert_refused(response, "")
    elif host in ("service", "another author") and path == page and method == "GET":
        # The app's page elsewhere (an old link): to its author's host.
        assert status == 302 and location == app_page(hub, author), (status, location)
    else:
        assert_refused(response, "")


def attackers(people: dict) -> dict[str, tuple[requests.Session, dict, set[str]]]:
    """Name -> (session, extra headers, methods to try)."""
    author = people["author"]
    changes = {"POST", "PUT", "PATCH", "DELETE"}

    def with_cookies_of(person: HubSession) -> requests.Session:
        # As a browser sends them: each host gets its own cookies only.
        session = requests.Session()
        session.cookies.set_policy(BrowserCookiePolicy())
        session.cookies.update(person.http.cookies)
        return session

    def own(person: HubSession) -> tuple[requests.Session, dict, set[str]]:
        # A user of their own: their cookie and a real token of theirs.
        return person.http, {"Authorization": f"token {person.new_token()}"}, set(METHODS)

    return {
        "anonymous": (requests.Session(), {}, set(METHODS)),
        "another user": own(people["stranger"]),
        "a user of another group": own(people["outsider"]),
        # A page elsewhere makes the author's browser send their cookies (the service's
        # _xsrf cookie, the viewer cookie on the author's host) but cannot read the
        # token: only changes matter, reading is not possible.
        "stolen cookie, no XSRF token": (with_cookies_of(author), {}, changes),
        "bogus Authorization and a cookie": (
            with_cookies_of(author),
            {"Authorization": "token not-a-real-token"},
            changes,
        ),
    }


def test_every_route_refuses_every_attacker_and_nothing_changes(hub, people):
    author = people["author"]
    before = store_state(hub, author)
    assert (author.name, APP) in before["apps"]
    body = json.dumps({"share": "public", "notebook": json.loads(POTTERY.read_text())})
    paths = [p for group in attack_paths(author.name) for p in group]
    failures = []
    for who, (session, headers, methods) in attackers(people).items():
        for host, origin in hosts(hub, people).items():
            for path in paths:
                for method in sorted(methods):
                    response = session.request(
                        method,
                        origin + path,
                        headers={**JSON, **headers, "Content-Type": "application/json"},
                        data=body if method != "GET" else None,
                        allow_redirects=False,
                        timeout=60,
                    )
                    try:
                        check_answer(hub, people, host, path, response)
                    except AssertionError as e:
                        failures.append(f"{who}: {method} {origin}{path}: {e}")
    assert not failures, "\n".join(failures)
    assert store_state(hub, author) == before


def test_a_bogus_authorization_header_does_not_make_a_cookie_a_token(hub, people):
    """§2.4: a change needs a real token or the cookie with JupyterHub's XSRF token."""
    author = people["author"]
    url = api(hub, f"/{author.name}/{APP}")
    token = {"Authorization": f"token {author.token}"}
    share = requests.get(url, headers=token, timeout=30).json()["share"]
    refused = author.http.patch(
        url, json={"share": "public"}, headers={"Authorization": "token bogus", **JSON}
    )
    assert_refused(refused, "bogus token with the author's cookie")
    refused = author.http.patch(url, json={"share": "public"}, headers=JSON)
    assert_refused(refused, "the author's cookie without the XSRF token")
    assert requests.get(url, headers=token, timeout=30).json()["share"] == share
    # The browser's way works: the cookie with the service's XSRF token.
    xsrf = service_xsrf(hub, author)
    accepted = author.http.patch(url, json={"share": share}, headers={"X-XSRFToken": xsrf})
    assert accepted.status_code == 200, accepted.text[:300]


def kernel_of(page: str) -> str:
    return page.split('"kernelId": "', 1)[1].split('"', 1)[0]


def channels_url(origin: str, author: str, kernel: str) -> str:
    """A kernel's channels of the app's page, on the host `origin`."""
    path = f"{PREFIX}{author}/{APP}/api/kernels/{kernel}/channels"
    return origin.replace("http", "ws", 1) + path


def cookie_header(person: HubSession, url: str) -> str:
    """The cookies this person's browser sends to `url` (a websocket's, as http)."""
    request = requests.Request("GET", url.replace("ws", "http", 1))
    return get_cookie_header(person.http.cookies, request) or ""


def refused_handshake(url: str, cookies: str, origin: str) -> int:
    """The status a websocket handshake is refused with (a redirect, which fails it in a
    browser too, counts as 302); fails if the websocket opens."""
    try:
        ws = websocket.create_connection(
            url, header=[f"Cookie: {cookies}"], origin=origin, redirect_limit=0, timeout=30
        )
    except websocket.WebSocketBadStatusException as e:
        return e.status_code
    except websocket.WebSocketException as e:
        assert "Redirect limit exhausted" in str(e), e
        return 302
    ws.close()
    raise AssertionError(f"a websocket opened at {url} from {origin}")


def open_page(hub, person: HubSession, author: str) -> str:
    """Open the app's page as this person's browser (entered beforehand): its kernel's id."""
    page = person.http.get(app_page(hub, author), timeout=240)
    assert page.status_code == 200, page.text[:300]
    return kernel_of(page.text)


def test_app_websockets_and_posts_accept_only_the_apps_own_origin(hub, people):
    """§2.10: a page elsewhere cannot open the app's kernel with the viewer's cookie, nor
    shut it down (Voila's page posts that with sendBeacon when it closes). Elsewhere is
    every origin but the author's host: the hub's, the service's, another author's, an
    opaque one (`null`) and a foreign one. Nor does the kernel open on another host."""
    member, author, stranger = people["member"], people["author"], people["stranger"]
    kernel = open_page(hub, member, author.name)
    own = hub.host_url(author.name, "app")
    url = channels_url(own, author.name, kernel)
    cookies = cookie_header(member, url)
    assert VIEWER_COOKIE in cookies, cookies
    elsewhere = [
        hub.url,
        service_origin(hub),
        hub.host_url(stranger.name, "app"),
        "null",
        "http://evil.example",
    ]
    for origin in elsewhere:
        assert refused_handshake(url, cookies, origin) == 403, origin
    websocket.create_connection(url, header=[f"Cookie: {cookies}"], origin=own).close()
    for host in (hub.url, service_origin(hub), hub.host_url(stranger.name, "app")):
        other = channels_url(host, author.name, kernel)
        status = refused_handshake(other, cookie_header(member, other), own)
        assert 300 <= status < 500, (host, status)

    path = f"{PREFIX}{author.name}/{APP}/voila/api/shutdown/{kernel}"
    for origin in elsewhere:
        refused = member.http.post(own + path, headers={"Origin": origin, **JSON})
        assert_refused(refused, f"a kernel shutdown posted from {origin}")
        assert refused.status_code == 403
    for host in (hub.url, service_origin(hub), hub.host_url(stranger.name, "app")):
        refused = member.http.post(host + path, headers={"Origin": own, **JSON})
        assert_refused(refused, f"a kernel shutdown posted to {host}")
    accepted = member.http.post(own + path, headers={"Origin": own})
    assert accepted.status_code == 204, accepted.text[:300]


def v1_message(msg_type: str, msg_id: str) -> bytes:
    """A kernel message in the v1 websocket framing that JupyterLab and Voila's JS use."""
    header = {"msg_id": msg_id, "msg_type": msg_type, "session": "s", "username": ""}
    header["version"] = "5.3"
    content = {"code": "open('/tmp/pwned', 'w')", "silent": False} if "execute" in msg_type else {}
    parts = [b"shell", *(json.dumps(p).encode() for p in (header, {}, {}, content))]
    offsets, position = [], 8 * (len(parts) + 2)
    for part in parts:
        offsets.append(position)
        position += len(part)
    offsets.append(position)
    table = struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets)
    return table + b"".join(parts)


def v1_parent_id(frame: bytes) -> str:
    count = struct.unpack_from("<Q", frame)[0]
    offsets = struct.unpack_from(f"<{count}Q", frame, 8)
    return json.loads(frame[offsets[2] : offsets[3]]).get("msg_id", "")


def test_the_kernel_websocket_speaks_the_subprotocol_browsers_ask_for(hub, people):
    """§2.10: Voila's JS asks for v1.kernel.websocket.jupyter.org; the handshake answers
    it (before, it failed), and Voila still drops code in that framing."""
    member, author = people["member"], people["author"]
    own = hub.host_url(author.name, "app")
    url = channels_url(own, author.name, open_page(hub, member, author.name))
    ws = websocket.create_connection(
        url,
        header=[f"Cookie: {cookie_header(member, url)}"],
        origin=own,
        subprotocols=[V1],
        timeout=30,
    )
    try:
        assert ws.getsubprotocol() == V1
        ws.send_binary(v1_message("execute_request", "x1"))
        ws.send_binary(v1_message("kernel_info_request", "k1"))
        replies = set()
        while "k1" not in replies:
            frame = ws.recv()
            assert isinstance(frame, bytes), frame[:200]
            replies.add(v1_parent_id(frame))
        assert "x1" not in replies, "the kernel ran code a viewer sent"
    finally:
        ws.close()


def test_tokens_in_query_strings_are_not_logged(hub, people):
    """§2.10: neither the service's log (in the hub's) nor the app's Voila log gets them."""
    member, author = people["member"], people["author"]
    token = member.new_token()
    assert requests.get(api(hub) + f"?token={token}", timeout=30).status_code == 200
    # Through to the app's Voila: the viewer (who entered it) may open it.
    page = member.http.get(app_page(hub, author.name) + f"?token={token}&x=1", timeout=240)
    assert page.status_code == 200, page.text[:300]
    logs = [hub.log_path, *(hub.state_dir / "apps" / "run").rglob("*.log")]
    assert len(logs) > 1, "no Voila log was found"
    for log in logs:
        assert token not in log.read_text(errors="replace"), f"the token is in {log}"


#: Addresses of an app: its page, one of its assets, a kernel's channels.
APP_PATHS = ("", "voila/static/voila.js", f"api/kernels/{KERNEL}/channels")


def test_refusals_tell_strangers_nothing_about_private_apps(hub, people):
    """§2.10: whether a private app exists is not told by its address: anonymous browsers
    are sent to the login either way (through the service's enter/), hub users who may
    not open it get the same 404, on the author's host and on the service's."""
    author, stranger = people["author"], people["stranger"]
    browser = {"Accept": "text/html,application/xhtml+xml"}
    answers = []
    for name in (APP, "no-such-app"):
        anonymous = requests.Session()
        first = anonymous.get(
            app_page(hub, author.name, name), headers=browser, allow_redirects=False
        )
        second = anonymous.get(first.headers.get("Location", ""), allow_redirects=False)
        answers.append(
            [
                (r.status_code, r.headers.get("Location", "").split("?")[0].replace(name, "NAME"))
                for r in (first, second)
            ]
        )
    assert answers[0] == answers[1], answers
    (first, entry), (second, login) = answers[0]
    assert (first, second) == (302, 302), answers
    assert entry == f"{hub.service_url('apps')}enter/{author.name}/NAME", answers
    assert login == f"{hub.url}/hub/api/oauth2/authorize", answers
    bodies = []
    for name in (APP, "no-such-app"):
        assert not enter_app(hub, stranger.http, author.name, name)
        enter = f"{hub.service_url('apps')}enter/{author.name}/{name}"
        addresses = [app_page(hub, author.name, name) + path for path in APP_PATHS] + [enter]
        for url in addresses:
            response = stranger.http.get(url, headers=JSON)
            body = assert_refused(response, f"stranger: {url}")
            bodies.append((response.status_code, body["message"].replace(name, "NAME")))
    assert bodies[: len(bodies) // 2] == bodies[len(bodies) // 2 :], bodies
    # A browser asking for a page gets a short page, with no detail.
    html = stranger.http.get(app_page(hub, author.name), headers=browser)
    assert html.status_code == 404 and html.headers["Content-Type"].startswith("text/html")
    assert "Traceback" not in html.text


def spec_operations(spec: dict) -> list[str]:
    return [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if method != "parameters"
    ]


@pytest.fixture(scope="module")
def spec(hub) -> dict:
    reply = requests.get(f"{hub.service_url('apps')}api/openapi.json", timeout=30)
    assert reply.status_code == 200, reply.text[:300]
    return reply.json()


def test_schemathesis_finds_no_5xx_and_every_answer_matches_the_schema(hub, people, spec):
    """The API as the service describes it, against the running service on its own host
    behind the hub, as a real user with a real token: no 5xx, every response as
    described. Not checked: that every schema-valid request is accepted (a notebook, a
    share, an OAuth code can be well-formed JSON or text and still wrong, a 400 naming
    the problem)."""
    author = people["author"]
    headers = {"Authorization": f"token {author.token}", **JSON}
    run = run_schemathesis(
        spec,
        headers,
        100,
        modes=[GenerationMode.POSITIVE],
        base_url=hub.service_url("apps").rstrip("/"),
    )
    assert not run.failures, "\n\n".join(run.failures)
    assert len(run.reached) == len(spec_operations(spec)), sorted(run.reached)
    assert run.requests > 100, run.requests
