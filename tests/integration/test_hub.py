"""The hub runs: accounts, approval, servers, kernels, isolation, culling (restarts:
test_hub_restart.py).

Every test talks to a real `echoes up` through its real proxy, as a person with a browser
(forms, cookies, XSRF) or as a program with a token.
"""

from __future__ import annotations

import os

import pytest
import requests

from echoes_hub.auth import REFUSED
from tests.hubclient import HubSession, Kernel, wait_for
from tests.integration.conftest import add_user, login_admin, unique_name

pytestmark = pytest.mark.shared_hub

AS_ROOT = os.geteuid() == 0


def test_first_run_prints_admin_password_once_and_stores_only_a_hash(hub):
    password = hub.admin_password()
    assert hub.log().count("One-time password") == 1
    stored = b"".join(p.read_bytes() for p in hub.state_dir.glob("*.sqlite"))
    assert password.encode() not in stored
    assert b"$2b$" in stored  # a bcrypt hash is what is kept


def test_signed_up_user_needs_approval_then_runs_code_in_lab(hub, admin):
    person = HubSession(hub, unique_name("ada"), "a-long-passphrase-1")
    assert person.signup().status_code == 200
    assert person.login_error() == (403, REFUSED)
    assert not person.is_logged_in(), "an unapproved user could log in"

    admin.approve(person.name)
    person.login()
    assert person.is_logged_in()

    response = person.start_server()
    assert response.status_code in (201, 202), response.text

    lab = person.http.get(person.server_url() + "lab", timeout=60)
    assert lab.status_code == 200
    assert lab.url.startswith(person.server_url() + "lab")
    assert "JupyterLab" in lab.text

    status = person.http.get(person.server_url() + "api/status", timeout=30)
    assert status.status_code == 200
    assert "started" in status.json()

    with Kernel(person.server_url(), person.new_token()) as kernel:
        assert kernel.execute("print(5 * 4)").strip() == "20"
        home = kernel.execute("import os; print(os.path.realpath(os.getcwd()))").strip()
        assert home == str((hub.state_dir / "homes" / person.name).resolve())
        if AS_ROOT:
            account = kernel.execute("import getpass; print(getpass.getuser())").strip()
            assert account == f"echoes-{person.name}"


def test_shared_data_is_readable_and_read_only(hub, new_user):
    data_dir = hub.state_dir / "heritage"
    (data_dir / "README.txt").write_text("shared heritage data\n")
    person = new_user("dora")
    person.start_server()
    with Kernel(person.server_url(), person.new_token()) as kernel:
        path = kernel.execute("import os; print(os.environ['ECHOES_DATA_DIR'])").strip()
        assert path == str(data_dir)
        text = kernel.execute(f"print(open({str(data_dir / 'README.txt')!r}).read())")
        assert "shared heritage data" in text
        if AS_ROOT:
            with pytest.raises(RuntimeError, match="PermissionError"):
                kernel.execute(f"open({str(data_dir / 'mine.txt')!r}, 'w')")
            assert not (data_dir / "mine.txt").exists()


def test_users_cannot_reach_each_others_servers_or_resources(hub, admin, new_user):
    alice, bob = new_user("alice"), new_user("bob")
    alice.start_server()
    bob.start_server()
    bob_token = bob.new_token()
    alice_token = alice.new_token()

    # Alice's browser session on Bob's server and his hub resources.
    lab = alice.http.get(bob.server_url() + "lab", timeout=60)
    assert lab.status_code in (403, 404)
    assert alice.http.get(bob.server_url() + "api/status", timeout=30).status_code in (403, 404)
    assert alice.api("GET", f"/users/{bob.name}").status_code in (403, 404)
    assert alice.api("DELETE", f"/users/{bob.name}/server").status_code in (403, 404)
    assert alice.api("POST", f"/users/{bob.name}/tokens", json={}).status_code in (403, 404)

    # Alice's token on Bob's server API, contents and kernels.
    headers = {"Authorization": f"token {alice_token}"}
    for path in ["api/status", "api/contents", "api/kernels"]:
        response = requests.get(bob.server_url() + path, headers=headers, timeout=30)
        assert response.status_code in (403, 404), (path, response.status_code)
    response = requests.post(bob.server_url() + "api/kernels", headers=headers, timeout=30)
    assert response.status_code in (403, 404)
    response = requests.get(
        f"{hub.url}/hub/api/users/{bob.name}/tokens", headers=headers, timeout=30
    )
    assert response.status_code in (403, 404)

    # Bob's own token works, so the refusals above are about who asks.
    response = requests.get(
        bob.server_url() + "api/status", headers={"Authorization": f"token {bob_token}"}, timeout=30
    )
    assert response.status_code == 200

    if AS_ROOT:
        # On disk too: Alice's code cannot read Bob's home.
        (hub.state_dir / "homes" / bob.name / "secret.txt").write_text("bob's notes")
        with Kernel(alice.server_url(), alice_token) as kernel:
            bob_file = hub.state_dir / "homes" / bob.name / "secret.txt"
            with pytest.raises(RuntimeError, match="PermissionError"):
                kernel.execute(f"open({str(bob_file)!r}).read()")


def test_approval_needs_an_administrator_a_post_and_its_xsrf_token(hub, admin, new_user):
    applicant = HubSession(hub, unique_name("eve"), "a-long-passphrase-2")
    applicant.signup()
    # A plain link (GET), a POST without the form's token, or another user: all refused.
    assert admin.http.get(hub.url + f"/hub/authorize/{applicant.name}").status_code == 405
    no_token = admin.http.post(
        hub.url + f"/hub/authorize/{applicant.name}", data={"action": "approve"}
    )
    assert no_token.status_code == 403
    assert new_user("mallory").decide(applicant.name, "approve").status_code == 403
    assert applicant.login_error() == (403, REFUSED)

    assert admin.decide(applicant.name, "dance").status_code == 400
    admin.approve(applicant.name)
    applicant.login()
    assert applicant.is_logged_in()

    # Revoked: the next login is refused.
    assert admin.decide(applicant.name, "revoke").status_code == 200
    late = HubSession(hub, applicant.name, applicant.password)
    assert late.login_error() == (403, REFUSED)
    assert not late.is_logged_in()


def test_every_refused_login_gets_the_same_answer(hub, admin):
    """Wrong password, no such account, unapproved account with the right password or a
    wrong one: one status, one message, so the page tells nothing about the account."""
    applicant = HubSession(hub, unique_name("una"), "a-long-passphrase-3")
    applicant.signup()
    attempts = [
        HubSession(hub, admin.name, "not-the-password"),
        HubSession(hub, "nobody-here", "whatever-123"),
        HubSession(hub, applicant.name, applicant.password),
        HubSession(hub, applicant.name, "not-the-password"),
    ]
    for attempt in attempts:
        assert attempt.login_error() == (403, REFUSED), attempt.name
        assert not attempt.is_logged_in()


def test_named_servers_are_allowed(hub, new_user):
    person = new_user("nina")
    response = person.start_server("analysis")
    assert response.status_code in (201, 202), response.text
    lab = person.http.get(person.server_url("analysis") + "lab", timeout=60)
    assert lab.status_code == 200
    status = person.http.get(person.server_url("analysis") + "api/status", timeout=30)
    assert status.status_code == 200
    person.stop_server("analysis")


def test_idle_culler_stops_idle_servers_and_named_server_limit_holds(hub_factory):
    hub = hub_factory(
        args=[
            "--EchoesHub.cull_idle_timeout=10",
            "--EchoesHub.cull_every=3",
            "--EchoesHub.named_server_limit=1",
        ]
    )
    admin = login_admin(hub)
    person = add_user(hub, admin, "idle")
    assert person.start_server("first").status_code in (201, 202)
    over_limit = person.start_server("second", wait=False)
    assert over_limit.status_code == 400
    assert "maximum of 1 named servers" in over_limit.json()["message"]

    wait_for(lambda: person.server_model("first") is None, 120, "the culler to stop the server")
    assert "idle-culler" in hub.log()
