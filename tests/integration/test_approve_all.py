"""Approving every pending sign-up at once on the administrator's page (issue 16: a class
of 30 should not need 30 clicks). On the run's shared hub: approving all approves the
sign-ups other modules left pending too (no module waits on one of those once it has
ended), and the count shown is checked against the one before this module's sign-ups."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.hubclient import HubSession
from tests.integration.conftest import add_user, unique_name

pytestmark = pytest.mark.shared_hub


def pending_shown(admin: HubSession) -> int:
    """How many pending sign-ups the administrator's page offers to approve at once."""
    page = admin.http.get(admin.url("/hub/authorize"), timeout=30)
    assert page.status_code == 200, page.text[:300]
    shown = re.search(r"Approve all (\d+) pending", page.text)
    return int(shown.group(1)) if shown else 0


def test_the_administrator_approves_every_pending_sign_up_at_once(hub, admin):
    before = pending_shown(admin)
    people = [HubSession(hub, unique_name("class"), f"pw-{uuid.uuid4().hex}") for _ in range(3)]
    for person in people:
        assert person.signup().status_code == 200
        assert person.login().status_code == 403  # not approved yet
    assert pending_shown(admin) == before + 3
    reply = admin.form("/hub/authorize-all", {})
    assert reply.status_code == 200, reply.text[:300]
    assert "Approve all" not in reply.text  # nobody left pending
    for person in people:
        person.login()
        assert person.is_logged_in(), f"{person.name} was not approved"


def test_only_an_administrator_approves_all_and_only_by_post(hub, admin):
    pending = HubSession(hub, unique_name("pending"), f"pw-{uuid.uuid4().hex}")
    assert pending.signup().status_code == 200
    person = add_user(hub, admin, "notadmin")
    assert person.form("/hub/authorize-all", {}).status_code == 403
    assert person.http.get(person.url("/hub/authorize-all"), timeout=30).status_code in (403, 405)
    assert admin.http.get(admin.url("/hub/authorize-all"), timeout=30).status_code == 405
    pending.login()
    assert not pending.is_logged_in()


def test_a_user_the_administrator_adds_gets_a_password_from_them_and_logs_in(hub, admin):
    """Issue 16: users added from the admin page could not log in (no sign-up record, so
    no password, and the admin's password page answered 404)."""
    person = HubSession(hub, unique_name("added"), f"pw-{uuid.uuid4().hex}")
    added = admin.api("POST", "/users", json={"usernames": [person.name]})
    assert added.status_code == 201, added.text
    page = admin.http.get(admin.url(f"/hub/change-password/{person.name}"), timeout=30)
    assert page.status_code == 200, page.text[:300]
    assert person.login_error()[0] == 403  # nobody knows its password yet
    changed = admin.form(
        f"/hub/change-password/{person.name}",
        {"new_password": person.password, "new_password_confirmation": person.password},
    )
    assert changed.status_code == 200 and "changed successfully" in changed.text, changed.text
    person.login()
    assert person.is_logged_in()
