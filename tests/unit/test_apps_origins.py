"""Where apps run and how a viewer's identity reaches an author's host (apps/origins.py)."""

from __future__ import annotations

import secrets

from echoes_hub.services.apps.origins import Origins


def origins() -> Origins:
    return Origins("http://localhost:8000", "/services/apps/", secrets.token_bytes(32))


def test_each_author_has_a_host_no_user_or_service_can_have():
    o = origins()
    assert o.app_url("ada", "pots") == "http://ada--app.localhost:8000/services/apps/ada/pots/"
    assert o.service_url("enter/ada/pots").startswith("http://apps--service.localhost:8000/")
    # A user named like an app host gets a hashed host of its own (JupyterHub's hook).
    assert o.app_host("ada") != o.app_host("ada--app") and "--app." in o.app_host("ada--app")


def test_a_ticket_names_its_viewer_once_and_for_its_author_only():
    o = origins()
    ticket = o.ticket("bob", "ada")
    assert o.redeem(ticket, "eve") is None  # another author's host
    assert o.redeem(ticket, "ada") == "bob"
    assert o.redeem(ticket, "ada") is None  # used
    assert origins().redeem(o.ticket("bob", "ada"), "ada") is None  # another secret
    assert o.redeem("bob", "ada") is None


def test_the_viewer_cookie_opens_its_authors_host_only():
    value = Origins.viewer_cookie("bob", "ada").encode()
    assert Origins.viewer_from_cookie(value, "ada") == "bob"
    assert Origins.viewer_from_cookie(value, "eve") is None
    assert Origins.viewer_from_cookie(None, "ada") is None
