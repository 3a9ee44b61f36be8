"""Attacks on the hub's own pages and API, by anonymous visitors and by one user on another.

Every attack goes through the real proxy to a real `echoes up`: the login form, the
sign-up and approval forms, the REST API, the spawn and admin pages, and the users'
servers. Each one must be refused with a 4xx (JSON on /hub/api), and nothing may change.
Failed logins are limited per account and per client address (hub/throttle.py): other
loopback addresses (127.0.0.x) stand for other machines.
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from echoes_hub.auth import DEVICE_COOKIE, REFUSED
from tests.hubclient import Hub, HubSession, wait_for
from tests.integration.conftest import add_user, login_admin, unique_name

ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW = 3, 6, 20
#: Seconds after which a session or token is checked against its account's approval.
REFRESH = 5
THROTTLED = "Too many failed logins"


@pytest.fixture(scope="module")
def strict_hub(hub_factory_module) -> Hub:
    """A hub with small login limits (kept apart so its locks stop no other test) that
    checks sessions against approvals every few seconds."""
    return hub_factory_module(
        args=[
            f"--EchoesAuthenticator.allowed_failed_logins={ACCOUNT_LIMIT}",
            f"--EchoesAuthenticator.failed_logins_per_address={ADDRESS_LIMIT}",
            f"--EchoesAuthenticator.seconds_before_next_try={WINDOW}",
            f"--EchoesAuthenticator.auth_refresh_age={REFRESH}",
        ]
    )


@pytest.fixture(scope="module")
def strict_admin(strict_hub) -> HubSession:
    return login_admin(strict_hub)


def _logs_in(session: HubSession, password: str | None = None) -> bool:
    return session.login(password).status_code == 302


def _token_by_password(session: HubSession, password: str) -> requests.Response:
    """JupyterHub's API makes a token for a user name and password, no cookie needed."""
    auth = {"username": session.name, "password": password}
    return session.http.post(
        session.url(f"/hub/api/users/{session.name}/tokens"), json={"auth": auth}, timeout=60
    )


def test_an_account_is_locked_after_failed_logins_from_anywhere_but_its_owners_browser(
    strict_hub, strict_admin
):
    victim = add_user(strict_hub, strict_admin, "vic")  # logged in once from 127.0.0.1
    attacker = HubSession(strict_hub, victim.name, "", source="127.0.0.10")
    for guess in range(ACCOUNT_LIMIT - 1):
        assert not _logs_in(attacker, f"wrong-guess-{guess}")
    # The hub's API also takes a password for a token: its guesses count as well.
    assert _token_by_password(attacker, "wrong-guess").status_code == 403

    # The right password is refused now, from the attacker's address and from any other.
    status, message = attacker.login_error(victim.password)
    assert status == 429 and THROTTLED in message, (status, message)
    assert not attacker.is_logged_in()
    assert _token_by_password(attacker, victim.password).status_code == 403
    elsewhere = HubSession(strict_hub, victim.name, victim.password, source="127.0.0.11")
    assert elsewhere.login_error()[0] == 429

    # The owner's browser, which logged in before, is not locked out by the attacker.
    assert _logs_in(victim)

    # The lock passes with the window; polling attempts are refused, never counted.
    wait_for(lambda: _logs_in(attacker, victim.password), 3 * WINDOW, "the account lock to pass")
    assert attacker.is_logged_in()


def test_an_address_is_locked_after_failed_logins_to_any_accounts(strict_hub, strict_admin):
    people = [add_user(strict_hub, strict_admin, f"p{i}") for i in range(4)]
    # Below each account's limit, but together the address's limit.
    per_account = ADDRESS_LIMIT // 3
    assert per_account < ACCOUNT_LIMIT
    sprayer = "127.0.0.20"
    for person in people[:3]:
        for guess in range(per_account):
            attempt = HubSession(strict_hub, person.name, "", source=sprayer)
            assert not _logs_in(attempt, f"wrong-{guess}")

    # Another account's right password from that address is refused, whatever the
    # client claims its address is.
    fourth = people[3]
    from_sprayer = HubSession(strict_hub, fourth.name, fourth.password, source=sprayer)
    status, message = from_sprayer.login_error()
    assert status == 429 and THROTTLED in message, (status, message)
    for header in ["X-Forwarded-For", "X-Real-Ip"]:
        spoofing = HubSession(strict_hub, fourth.name, fourth.password, source=sprayer)
        spoofing.http.headers[header] = "10.20.30.40"
        assert spoofing.login_error()[0] == 429, header

    # Well-behaved people elsewhere are not held, not even those whose accounts were tried.
    for person in (fourth, people[0]):
        assert _logs_in(HubSession(strict_hub, person.name, person.password, "127.0.0.21"))

    wait_for(lambda: _logs_in(from_sprayer), 3 * WINDOW, "the address lock to pass")


def test_revoking_an_approval_ends_the_accounts_servers_sessions_and_tokens(
    strict_hub, strict_admin
):
    person = add_user(strict_hub, strict_admin, "revo")
    person.start_server()
    token = {"Authorization": f"token {person.new_token()}"}

    def token_works() -> bool:
        reply = requests.get(f"{strict_hub.url}/hub/api/user", headers=token, timeout=30)
        return reply.status_code == 200

    assert person.is_logged_in() and token_works()
    assert strict_admin.decide(person.name, "revoke").status_code == 200
    model = strict_admin.api("GET", f"/users/{person.name}").json()
    assert model["servers"] == {}, "the revoked account's server still runs"
    wait_for(
        lambda: not person.is_logged_in() and not token_works(),
        10 * REFRESH,
        "the revoked account's session and token to end",
    )
    assert HubSession(strict_hub, person.name, person.password).login_error()[0] == 403


# The attack matrix. Placeholders: {victim} (Alice), {attacker}, {group} (Alice's group),
# {applicant} (a sign-up waiting for approval), {token} (one of Alice's token ids).
#: The hub's pages and forms: (method, path, form, whose). "others" are refused to anyone
#: but their owner or an administrator; "own" (a person's own pages) and "public" (sign-up)
#: are refused to anonymous visitors and without the XSRF token only.
# fmt: off
PAGES = [
    ("POST", "/hub/login", {"username": "{victim}", "password": "guess-123"}, "own"),
    ("POST", "/hub/signup", {"username": "intruder", "signup_password": "pw-1234567",
                             "signup_password_confirmation": "pw-1234567"}, "public"),
    ("POST", "/hub/change-password", {"old_password": "guess-123", "new_password": "pw-owned-12",
                                      "new_password_confirmation": "pw-owned-12"}, "own"),
    ("GET", "/hub/token", None, "own"),
    ("GET", "/hub/authorize", None, "others"),
    ("POST", "/hub/authorize/{applicant}", {"action": "approve"}, "others"),
    ("POST", "/hub/authorize/{victim}", {"action": "revoke"}, "others"),
    ("GET", "/hub/change-password/{victim}", None, "others"),
    ("POST", "/hub/change-password/{victim}",
     {"new_password": "pw-owned-12", "new_password_confirmation": "pw-owned-12"}, "others"),
    ("GET", "/hub/admin", None, "others"),
    ("GET", "/hub/spawn/{victim}", None, "others"),
    ("POST", "/hub/spawn/{victim}", {}, "others"),
    ("POST", "/hub/spawn/{victim}/other", {}, "others"),
    ("GET", "/hub/spawn-pending/{victim}", None, "others"),
]
# fmt: on
#: The hub's REST API routes: (method, path under /hub/api, JSON body).
API = [
    ("GET", "/users", None),
    ("POST", "/users", {"usernames": ["intruder"]}),
    ("GET", "/users/{victim}", None),
    ("PATCH", "/users/{victim}", {"admin": True}),
    ("PATCH", "/users/{attacker}", {"admin": True}),
    ("DELETE", "/users/{victim}", None),
    ("POST", "/users/{victim}/server", {}),
    ("DELETE", "/users/{victim}/server", None),
    ("POST", "/users/{victim}/servers/other", {}),
    ("GET", "/users/{victim}/tokens", None),
    ("POST", "/users/{victim}/tokens", {"note": "stolen"}),
    ("GET", "/users/{victim}/tokens/{token}", None),
    ("DELETE", "/users/{victim}/tokens/{token}", None),
    ("POST", "/users/{victim}/activity", {"last_activity": "2020-01-01T00:00:00Z"}),
    ("GET", "/groups", None),
    ("GET", "/groups/{group}", None),
    ("POST", "/groups/{group}/users", {"users": ["{attacker}"]}),
    ("DELETE", "/groups/{group}/users", {"users": ["{victim}"]}),
    ("DELETE", "/groups/{group}", None),
    ("POST", "/groups/intruders", {}),
    ("GET", "/shares/{victim}", None),
    ("POST", "/shares/{victim}/", {"user": "{attacker}"}),
    ("POST", "/share-codes/{victim}/", {}),
    ("GET", "/users/{victim}/shared", None),
    ("GET", "/proxy", None),
    ("POST", "/proxy", None),
    ("POST", "/shutdown", None),
]
#: Alice's server, through the proxy: (method, path under the server, JSON body).
SERVER = [
    ("GET", "lab", None),
    ("GET", "api/status", None),
    ("GET", "api/contents", None),
    ("GET", "api/contents/secret.txt", None),
    ("PUT", "api/contents/owned.txt", {"type": "file", "format": "text", "content": "owned"}),
    ("DELETE", "api/contents/secret.txt", None),
    ("GET", "files/secret.txt", None),
    ("GET", "api/kernels", None),
    ("POST", "api/kernels", {}),
    ("GET", "api/sessions", None),
    ("GET", "echoes/me", None),
]


def _fill(text: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        text = text.replace("{" + key + "}", value)
    return text


def _filled(value, names: dict[str, str]):
    if isinstance(value, str):
        return _fill(value, names)
    if isinstance(value, list):
        return [_filled(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, names) for k, v in value.items()}
    return value


def _assert_refused(response: requests.Response, what: str, json_body: bool) -> None:
    assert 400 <= response.status_code < 500, (
        f"{what}: {response.status_code} {response.text[:300]}"
    )
    if json_body:
        assert response.headers.get("Content-Type", "").startswith("application/json"), what
        assert response.json().get("message"), what


def _attack_pages(session: HubSession, names: dict[str, str], who: str, xsrf: bool) -> None:
    """Every page as `who`: with the XSRF token of a logged-in browser (anonymous if the
    session never logged in), or without one (only what changes something)."""
    anonymous = not session.http.cookies.get("jupyterhub-hub-login")
    for method, path, data, whose in PAGES:
        if (xsrf and not anonymous and whose != "others") or (xsrf and whose == "public"):
            continue
        if not xsrf and method == "GET":
            continue
        url = session.url(_fill(path, names))
        what = f"{who}: {method} {path}"
        if method == "GET":
            response = session.http.get(url, allow_redirects=False, timeout=60)
            if anonymous and response.status_code == 302:  # pages send visitors to log in
                assert "/hub/login" in response.headers["Location"], what
                continue
        elif xsrf:
            response = session.form(_fill(path, names), _filled(data, names))
        else:
            response = session.http.post(url, data=_filled(data, names), timeout=60)
        _assert_refused(response, what, json_body=False)


def _attack_api(session: HubSession, names: dict[str, str], who: str, **headers) -> None:
    for method, path, body in API:
        response = session.api(method, _fill(path, names), json=_filled(body, names), **headers)
        _assert_refused(response, f"{who}: {method} /hub/api{path}", json_body=True)


def _state(hub: Hub, admin: HubSession, alice: HubSession) -> dict:
    """What the attacks must not change, as the administrator sees it."""
    users = admin.api("GET", "/users").json()
    groups = admin.api("GET", "/groups").json()
    tokens = admin.api("GET", f"/users/{alice.name}/tokens").json()["api_tokens"]
    return {
        "users": sorted((u["name"], u["admin"], sorted(u["groups"])) for u in users),
        "servers": {u["name"]: {n: s["started"] for n, s in u["servers"].items()} for u in users},
        "groups": sorted((g["name"], sorted(g["users"])) for g in groups),
        "tokens": sorted(t["id"] for t in tokens),
        "routes": sorted(admin.api("GET", "/proxy").json()),
        "shares": admin.api("GET", f"/shares/{alice.name}").json()["items"],
        "approval": admin.http.get(hub.url + "/hub/authorize", timeout=30).text.count("success"),
        "alice's files": sorted(p.name for p in (hub.state_dir / "homes" / alice.name).iterdir()),
    }


@pytest.fixture(scope="module")
def people(hub, admin):
    """Alice (group a-team, server running, a token, a file), Bob (no group), Carol
    (group b-team), and a sign-up waiting for approval."""
    alice, bob, carol = (add_user(hub, admin, n) for n in ("alice", "bob", "carol"))
    for group, member in ((unique_name("a-team"), alice), (unique_name("b-team"), carol)):
        assert admin.api("POST", f"/groups/{group}").status_code == 201
        admin.api(
            "POST", f"/groups/{group}/users", json={"users": [member.name]}
        ).raise_for_status()
        member.group = group
    alice.start_server()
    (hub.state_dir / "homes" / alice.name / "secret.txt").write_text("alice's notes")
    alice.token = alice.new_token("alice's")
    applicant = HubSession(hub, unique_name("appl"), "a-long-passphrase-4")
    applicant.signup()
    token_id = admin.api("GET", f"/users/{alice.name}/tokens").json()["api_tokens"][0]["id"]
    names = {
        "victim": alice.name,
        "group": alice.group,
        "applicant": applicant.name,
        "token": token_id,
    }
    return alice, bob, carol, names


def test_anonymous_visitors_get_nothing_from_the_hub(hub, admin, people):
    alice, _, _, names = people
    before = _state(hub, admin, alice)
    anonymous = HubSession(hub, "anonymous", "")
    names = {**names, "attacker": "anonymous"}
    _attack_pages(anonymous, names, "anonymous", xsrf=True)
    _attack_api(anonymous, names, "anonymous")
    assert _state(hub, admin, alice) == before


@pytest.mark.parametrize("attacker", ["bob", "carol"], ids=["other user", "other group"])
def test_another_user_gets_nothing_of_alices_on_the_hub(hub, admin, people, attacker):
    alice, bob, carol, names = people
    session = {"bob": bob, "carol": carol}[attacker]
    before = _state(hub, admin, alice)
    names = {**names, "attacker": session.name}
    _attack_pages(session, names, attacker, xsrf=True)
    _attack_api(session, names, attacker)
    # The same with a token of the attacker's instead of the browser session.
    token = HubSession(hub, session.name, "")
    _attack_api(
        token,
        names,
        f"{attacker}'s token",
        headers={"Authorization": f"token {session.new_token()}"},
    )
    assert _state(hub, admin, alice) == before


def test_a_stolen_cookie_without_the_xsrf_token_changes_nothing(hub, admin, people):
    """A request another site makes the victim's browser send carries the cookie but not
    the XSRF token: every change is refused, for a user and for the administrator."""
    alice, _, _, names = people
    before = _state(hub, admin, alice)
    for victim in (alice, admin):
        names_now = {**names, "victim": victim.name, "attacker": victim.name}
        _attack_pages(victim, names_now, f"{victim.name}'s cookie", xsrf=False)
        for method, path, body in API:
            if method == "GET":
                continue  # reading: the other site cannot see the answer (same-origin policy)
            response = victim.http.request(
                method,
                victim.url("/hub/api" + _fill(path, names_now)),
                json=_filled(body, names_now),
                timeout=60,
            )
            _assert_refused(response, f"cookie, no XSRF: {method} {path}", json_body=True)
    assert _state(hub, admin, alice) == before
    assert alice.login().status_code == 302, "Alice's password changed"


def test_another_user_cannot_read_change_or_drive_alices_server(hub, admin, people):
    alice, bob, _, _ = people
    before = _state(hub, admin, alice)
    bob.start_server()
    bob_token = bob.new_token()
    server = alice.server_url()
    # Bob's browser (his cookie, through the hub's OAuth) and Bob's token.
    for who, send in [
        ("bob's cookie", lambda m, url, body: bob.http.request(m, url, json=body, timeout=60)),
        (
            "bob's token",
            lambda m, url, body: requests.request(
                m, url, json=body, headers={"Authorization": f"token {bob_token}"}, timeout=60
            ),
        ),
    ]:
        for method, path, body in SERVER:
            response = send(method, server + path, body)
            _assert_refused(response, f"{who}: {method} {path}", json_body=path.startswith("api/"))
            assert "alice's notes" not in response.text
    # Bob's token on the hub: start, stop, or make tokens for Alice's server.
    headers = {"Authorization": f"token {bob_token}"}
    for method, path in [("DELETE", "/server"), ("POST", "/servers/other"), ("POST", "/tokens")]:
        response = requests.request(
            method,
            f"{hub.url}/hub/api/users/{alice.name}{path}",
            headers=headers,
            json={},
            timeout=60,
        )
        _assert_refused(response, f"bob's token: {method} {path}", json_body=True)
    bob.stop_server()
    after = _state(hub, admin, alice)
    assert after == before
    # Alice's server still works for Alice, with her file as it was.
    reply = requests.get(
        server + "api/contents/secret.txt",
        headers={"Authorization": f"token {alice.token}"},
        timeout=30,
    )
    assert reply.status_code == 200 and reply.json()["content"] == "alice's notes"


def test_users_may_find_the_annotation_service_but_not_read_how_it_runs(hub, people):
    _, bob, _, _ = people
    model = json.dumps(bob.api("GET", "/services/annotations").json())
    assert "annotations--service" in model or "127.0.0.1" in model  # found
    assert "database" not in model and "sqlite" not in model  # not how it runs


def test_a_name_the_proxy_cannot_route_is_refused_at_sign_up(hub, admin):
    """configurable-http-proxy answers 500 for /user/constructor/ (its routes are plain
    JavaScript objects): nobody may be called that."""
    person = HubSession(hub, "constructor", f"pw-{uuid.uuid4().hex}")
    signup = person.signup()
    assert signup.status_code == 200 and "Something went wrong" in signup.text
    assert "constructor" not in admin.http.get(hub.url + "/hub/authorize").text


def test_passwords_longer_than_bcrypt_reads_are_refused_not_a_server_error(hub, admin):
    """bcrypt 5 raises on passwords over 72 bytes; the forms must answer, not fail."""
    long = "é" * 40  # 80 bytes
    person = HubSession(hub, unique_name("long"), long)
    signup = person.signup()
    assert signup.status_code == 200 and "Something went wrong" in signup.text
    assert person.name not in admin.http.get(hub.url + "/hub/authorize").text
    assert person.login_error() == (403, REFUSED)
    assert HubSession(hub, admin.name, long).login_error() == (403, REFUSED)


def _change_password(session: HubSession, current: str) -> requests.Response:
    new = "a-new-passphrase-9"
    form = {"old_password": current, "new_password": new, "new_password_confirmation": new}
    return session.form("/hub/change-password", form)


def test_an_open_session_cannot_guess_the_password_without_limit(strict_hub, strict_admin):
    """The change-password form checks the current password: its failures count as failed
    logins, and a long one is refused, not a server error."""
    person = add_user(strict_hub, strict_admin, "sess")
    stranger = HubSession(strict_hub, person.name, "", source="127.0.0.30")
    # The session left open, in another browser (no device cookie of the account's).
    for cookie in person.http.cookies:
        if cookie.name != DEVICE_COOKIE:
            stranger.http.cookies.set_cookie(cookie)
    for guess in range(ACCOUNT_LIMIT):
        reply = _change_password(stranger, "é" * 40 if guess == 0 else f"wrong-{guess}")
        assert reply.status_code == 200 and "incorrect" in reply.text, reply.status_code
    assert _change_password(stranger, person.password).status_code == 429
    assert _logs_in(HubSession(strict_hub, person.name, person.password, "127.0.0.31")) is False
