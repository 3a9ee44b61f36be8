"""The apps service attacked through the real hub and proxy (issue 12, §2.4, §2.10, §3).

One author publishes an app shared with their group. Every route of the service's own
route table (`routes()`, so a new route is attacked too) is then called with every method
by people who must not change it: anonymous, another hub user, a user of another group,
the author's stolen cookie without the XSRF token, and the author's cookie with a bogus
`Authorization` header. Each answer is a 4xx with a JSON body (requests that do not ask
for HTML get JSON, browsers' page requests an HTML page), and afterwards the store holds
exactly what it held before: apps, shares and versions.

Then the checks one finding each: XSRF, the websockets' Origin and subprotocol, tokens in
query strings, what refusals tell strangers; and a schemathesis run against openapi.yaml.
"""

from __future__ import annotations

import json
import struct
import uuid
from pathlib import Path

import pytest
import requests
import schemathesis
import websocket
import yaml
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from echoes_hub.services.apps.handlers import routes
from tests.hubclient import HubSession
from tests.integration.conftest import add_user
from tests.security import METHODS, assert_refused, concrete_paths

REPO = Path(__file__).resolve().parents[2]
POTTERY = REPO / "notebooks" / "apps" / "pottery-explorer.ipynb"
SPEC = REPO / "hub" / "services" / "apps" / "openapi.yaml"
PREFIX = "/services/apps/"
APP = "secret-pottery"
KERNEL = str(uuid.uuid4())
V1 = "v1.kernel.websocket.jupyter.org"
#: What a program (not a browser page) accepts: errors come back as JSON.
JSON = {"Accept": "application/json"}
#: Routes anyone may read: they list only what the caller may open.
LISTINGS = {PREFIX, f"{PREFIX}api/apps", f"{PREFIX}api/openapi.yaml", f"{PREFIX}login"}


def log_in_to_apps(person: HubSession) -> None:
    """Hub OAuth to the apps service, as a browser does from the gallery's "Log in" link;
    the gallery then sets the service's `_xsrf` cookie."""
    response = person.http.get(person.url(f"{PREFIX}login"), timeout=60)
    assert response.status_code == 200, response.text[:300]
    assert person.http.cookies.get("_xsrf", path=PREFIX), "the gallery set no _xsrf cookie"


def api(person: HubSession, path: str = "") -> str:
    return person.url(f"{PREFIX}api/apps{path}")


def app_page(person: HubSession, author: str, name: str = APP) -> str:
    return person.url(f"{PREFIX}{author}/{name}/")


def put_app(person: HubSession, token: str, name: str, share: str) -> dict:
    body = {"notebook": json.loads(POTTERY.read_text()), "share": share}
    response = requests.put(
        api(person, f"/{person.name}/{name}"),
        json=body,
        headers={"Authorization": f"token {token}"},
        timeout=300,
    )
    assert response.status_code == 201 and response.json()["ok"], response.text[:500]
    return response.json()


@pytest.fixture(scope="module")
def people(hub, admin):
    """The author (with a token), a member of the author's group, a stranger, and a
    member of another group; the author's app `APP` is shared with the author's group."""
    author, member = add_user(hub, admin, "sec-author"), add_user(hub, admin, "sec-member")
    stranger, outsider = add_user(hub, admin, "sec-other"), add_user(hub, admin, "sec-outsider")
    team, other_team = f"{author.name}-team", f"{outsider.name}-team"
    for group, person in ((team, member), (other_team, outsider)):
        assert admin.api("POST", f"/groups/{group}").status_code in (201, 409)
        response = admin.api("POST", f"/groups/{group}/users", json={"users": [person.name]})
        assert response.status_code == 200, response.text
    author.token = author.new_token()
    put_app(author, author.token, APP, f"group:{team}")
    for person in (author, member, stranger, outsider):
        log_in_to_apps(person)
    return {"author": author, "member": member, "stranger": stranger, "outsider": outsider}


def store_state(hub, author: HubSession) -> dict:
    """Everything an attack could change: every app with its share and versions (asked of
    the service as the author and the administrator) and the snapshot files on disk."""
    token = {"Authorization": f"token {author.token}"}
    listing = requests.get(api(author), headers=token, timeout=30).json()["apps"]
    apps = {}
    for app in listing:
        detail = requests.get(
            api(author, f"/{app['author']}/{app['name']}"), headers=token, timeout=30
        ).json()
        apps[(app["author"], app["name"])] = (app["share"], app["version"], detail.get("versions"))
    snapshots = hub.state_dir / "apps" / "snapshots"
    files = sorted(str(p.relative_to(snapshots)) for p in snapshots.rglob("*"))
    return {"apps": apps, "files": files}


def attack_paths(author: str) -> list[str]:
    """Every route of the route table, filled in to aim at the author's app."""
    candidates = {
        "author": [author],
        "name": [APP],
        # The app's page, one of its kernels' channels, Voila's kernel shutdown.
        "path": ["", f"api/kernels/{KERNEL}/channels", f"voila/api/shutdown/{KERNEL}"],
    }
    paths = []
    for pattern, *_ in routes(PREFIX, "localhost")[-1].target:
        paths += concrete_paths(pattern, candidates)
    return paths


def attackers(people: dict) -> dict[str, tuple[requests.Session, dict, set[str]]]:
    """Name -> (session, extra headers, methods to try)."""
    author = people["author"]
    changes = {"POST", "PUT", "PATCH", "DELETE"}

    def with_cookies_of(person: HubSession) -> requests.Session:
        session = requests.Session()
        session.cookies.update(person.http.cookies)
        return session

    def own(person: HubSession) -> tuple[requests.Session, dict, set[str]]:
        # A user of their own: their cookie and a real token of theirs.
        return person.http, {"Authorization": f"token {person.new_token()}"}, set(METHODS)

    return {
        "anonymous": (requests.Session(), {}, set(METHODS)),
        "another user": own(people["stranger"]),
        "a user of another group": own(people["outsider"]),
        # A page elsewhere makes the author's browser send their cookies (and the _xsrf
        # cookie) but cannot read the token: only changes matter, reading is not possible.
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
    failures = []
    for who, (session, headers, methods) in attackers(people).items():
        for path in attack_paths(author.name):
            for method in sorted(methods):
                response = session.request(
                    method,
                    author.url(path),
                    headers={**JSON, **headers, "Content-Type": "application/json"},
                    data=body if method != "GET" else None,
                    allow_redirects=False,
                    timeout=60,
                )
                what = f"{who}: {method} {path}"
                if method == "GET" and path in LISTINGS and response.status_code in (200, 302):
                    # Readable by all, showing only what the caller may open.
                    assert APP not in response.text, what
                    continue
                try:
                    assert_refused(response, what)
                except AssertionError as e:
                    failures.append(str(e))
    assert not failures, "\n".join(failures)
    assert store_state(hub, author) == before


def test_a_bogus_authorization_header_does_not_make_a_cookie_a_token(hub, people):
    """§2.4: a change needs a real token or the cookie with JupyterHub's XSRF token."""
    author = people["author"]
    url = api(author, f"/{author.name}/{APP}")
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
    xsrf = author.http.cookies.get("_xsrf", path=PREFIX)
    accepted = author.http.patch(url, json={"share": share}, headers={"X-XSRFToken": xsrf})
    assert accepted.status_code == 200, accepted.text[:300]


def kernel_of(page: str) -> str:
    return page.split('"kernelId": "', 1)[1].split('"', 1)[0]


def channels_url(person: HubSession, author: str, kernel: str) -> str:
    return app_page(person, author).replace("http", "ws", 1) + f"api/kernels/{kernel}/channels"


def cookie_header(person: HubSession) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in person.http.cookies)


def test_app_websockets_and_posts_accept_only_the_apps_own_origin(hub, people):
    """§2.10: a page elsewhere cannot open the app's kernel with the viewer's cookie, nor
    shut it down (Voila's page posts that with sendBeacon when it closes)."""
    member, author = people["member"], people["author"]
    page = member.http.get(app_page(member, author.name), timeout=240)
    assert page.status_code == 200, page.text[:300]
    url = channels_url(member, author.name, kernel_of(page.text))
    for origin in ("http://evil.example", "null", hub.url.replace("127.0.0.1", "localhost")):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(
                url, header=[f"Cookie: {cookie_header(member)}"], origin=origin, timeout=30
            )
        assert refused.value.status_code == 403, origin
    own = websocket.create_connection(
        url, header=[f"Cookie: {cookie_header(member)}"], origin=hub.url, timeout=30
    )
    own.close()
    shutdown = app_page(member, author.name) + f"voila/api/shutdown/{kernel_of(page.text)}"
    refused = member.http.post(shutdown, headers={"Origin": "http://evil.example", **JSON})
    assert_refused(refused, "a kernel shutdown posted from elsewhere")
    assert refused.status_code == 403
    accepted = member.http.post(shutdown, headers={"Origin": hub.url})
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
    page = member.http.get(app_page(member, author.name), timeout=240)
    ws = websocket.create_connection(
        channels_url(member, author.name, kernel_of(page.text)),
        header=[f"Cookie: {cookie_header(member)}"],
        origin=hub.url,
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
    assert requests.get(api(member) + f"?token={token}", timeout=30).status_code == 200
    # Through to the app's Voila: the viewer may open it.
    page = member.http.get(app_page(member, author.name) + f"?token={token}&x=1", timeout=240)
    assert page.status_code == 200, page.text[:300]
    logs = [hub.log_path, *(hub.state_dir / "apps" / "run").rglob("*.log")]
    assert len(logs) > 1, "no Voila log was found"
    for log in logs:
        assert token not in log.read_text(errors="replace"), f"the token is in {log}"


def test_refusals_tell_strangers_nothing_about_private_apps(hub, people):
    """§2.10: whether a private app exists is not told by its address: anonymous browsers
    are sent to the login either way, hub users get the same 404."""
    author, stranger = people["author"], people["stranger"]
    browser = {"Accept": "text/html,application/xhtml+xml"}
    answers = []
    for name in (APP, "no-such-app"):
        anonymous = requests.get(
            app_page(author, author.name, name), headers=browser, allow_redirects=False
        )
        location = anonymous.headers.get("Location", "").split("?")[0]
        answers.append((anonymous.status_code, location))
    assert answers[0] == answers[1] and answers[0][0] == 302, answers
    assert answers[0][1].endswith("/hub/api/oauth2/authorize"), answers
    bodies = []
    for name in (APP, "no-such-app"):
        for path in ("", "voila/static/voila.js", f"api/kernels/{KERNEL}/channels"):
            response = stranger.http.get(app_page(stranger, author.name, name) + path, headers=JSON)
            body = assert_refused(response, f"stranger: {name}/{path}")
            bodies.append((response.status_code, body["message"].replace(name, "NAME")))
    assert bodies[:3] == bodies[3:], bodies
    # A browser asking for a page gets a short page, with no detail.
    html = stranger.http.get(app_page(stranger, author.name), headers=browser)
    assert html.status_code == 404 and html.headers["Content-Type"].startswith("text/html")
    assert "Traceback" not in html.text


def spec_operations(spec: dict) -> list[str]:
    return [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if method != "parameters"
    ]


#: What schemathesis checks on every answer.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(SPEC.read_text())


def test_schemathesis_finds_no_5xx_and_every_answer_matches_the_schema(hub, people, spec):
    """The API as described in openapi.yaml, against the running service behind the hub,
    as a real user with a real token: no 5xx, every response as described. Not checked:
    that every schema-valid request is accepted (a notebook, a share, an OAuth code can
    be well-formed JSON or text and still wrong, a 400 naming the problem)."""
    author = people["author"]
    schema = schemathesis.openapi.from_dict(spec)
    schema.config.update(base_url=author.url(PREFIX.rstrip("/")))
    headers = {"Authorization": f"token {author.token}", **JSON}
    ran = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=100,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)
            ran.append(case.operation.label)

        run()
    assert len(set(ran)) == len(spec_operations(spec)), sorted(set(ran))
    assert len(ran) > 100, len(ran)
