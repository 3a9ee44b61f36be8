"""The apps service's handlers in process (tests/inprocess.py): the real application,
store and HTTP; only "who is calling" is given, through the service base's seam. Every
refusal is the base's JSON, ``{"error", "message"}``, and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from echoes_hub.services.apps.service import AppsApp
from echoes_hub.services.base.settings import CONFIG_VARIABLE
from tests.inprocess import InProcess


@pytest.fixture
def api(tmp_path, monkeypatch) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)  # the hub starts the service in its state folder
    monkeypatch.setenv("JUPYTERHUB_API_URL", "http://127.0.0.1:1/hub/api")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t" * 32)
    monkeypatch.setenv(CONFIG_VARIABLE, json.dumps({"EchoesApps": {"cull_every": 3600}}))
    app = AppsApp()
    app.initialize([])

    async def make_web_app(port: int):
        await app.open()
        return app.make_web_app()

    server = InProcess(make_web_app, close=app.close)
    try:
        yield f"http://127.0.0.1:{server.port}/services/apps/api/"
    finally:
        server.stop()


def test_refusals_are_the_base_json_and_change_nothing(api):
    ann, bob = InProcess.session("ann"), InProcess.session("bob")
    answers = [
        (requests.put(f"{api}apps/ann/pots", json={"notebook": {}}), 401, "Unauthorized"),
        (bob.put(f"{api}apps/ann/pots", json={"notebook": {}}), 403, "NotAllowed"),
        (ann.put(f"{api}apps/ann/pots", json={"notebook": 1}), 400, "InvalidRequest"),
        (ann.put(f"{api}apps/ann/pots", data=b"{"), 400, "InvalidRequest"),
        (ann.put(f"{api}apps/ann/Bad%20Name", json={}), 400, "InvalidRequest"),
        (ann.patch(f"{api}apps/ann/pots", json={"share": "hub"}), 404, "NotFound"),
        (ann.get(f"{api}apps/ann/pots"), 404, "NotFound"),
    ]
    for reply, status, error in answers:
        assert reply.status_code == status, (reply.request.method, reply.text)
        assert reply.headers["Content-Type"].startswith("application/json")
        body = reply.json()
        assert body["error"] == error and body["message"], body
        assert "status" not in body  # the apps' own {status, message} is gone
    assert ann.get(f"{api}apps").json() == {"apps": []}


def test_the_description_is_generated_and_served(api):
    spec = requests.get(f"{api}openapi.json").json()
    assert spec["components"]["schemas"]["Error"]["required"] == ["error", "message"]
    assert set(spec["paths"]["/api/apps/{author}/{name}"]) == {"get", "put", "patch", "delete"}


NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_republishing_keeps_the_title_description_and_share_it_is_not_sent(api):
    ann = InProcess.session("ann")
    first = {"notebook": NOTEBOOK, "title": "Pots", "description": "Kilns", "share": "public"}
    assert ann.put(f"{api}apps/ann/pots", json=first).status_code == 201
    again = ann.put(f"{api}apps/ann/pots", json={"notebook": NOTEBOOK})
    assert again.status_code == 201, again.text
    app = again.json()
    assert (app["version"], app["title"], app["description"], app["share"]) == (
        2,
        "Pots",
        "Kilns",
        "public",
    )
    # Anonymous visitors still see it: a public app stays public.
    assert [a["name"] for a in requests.get(f"{api}apps").json()["apps"]] == ["pots"]
    # What is sent changes it; an empty description clears it.
    changed = ann.put(f"{api}apps/ann/pots", json={**first, "share": "hub", "description": ""})
    assert (changed.json()["share"], changed.json()["description"]) == ("hub", "")


def test_a_new_app_is_open_to_hub_users_and_titled_by_its_notebook_or_name(api):
    ann = InProcess.session("ann")
    titled = {**NOTEBOOK, "metadata": {"title": "Kiln map"}}
    made = ann.put(f"{api}apps/ann/kilns", json={"notebook": titled}).json()
    assert (made["share"], made["title"]) == ("hub", "Kiln map")
    assert ann.put(f"{api}apps/ann/bare", json={"notebook": NOTEBOOK}).json()["title"] == "bare"


def test_the_author_edits_title_description_and_share_without_a_new_version(api):
    ann, bob = InProcess.session("ann"), InProcess.session("bob")
    assert ann.put(f"{api}apps/ann/pots", json={"notebook": NOTEBOOK}).status_code == 201
    change = {"title": "Pots of Kent", "description": "Sherds", "share": "public"}
    edited = ann.patch(f"{api}apps/ann/pots", json=change)
    assert edited.status_code == 200, edited.text
    assert {k: edited.json()[k] for k in (*change, "version")} == {**change, "version": 1}
    for bad in ({}, {"title": ""}, {"title": 3}, {"share": "everyone"}, {"description": None}):
        refused = ann.patch(f"{api}apps/ann/pots", json=bad)
        assert refused.status_code == 400 and refused.json()["message"], (bad, refused.text)
    assert bob.patch(f"{api}apps/ann/pots", json={"title": "Mine"}).status_code == 403
    assert {k: ann.get(f"{api}apps/ann/pots").json()[k] for k in change} == change


def test_the_gallery_offers_log_in_to_anonymous_visitors_and_edits_to_the_author(api):
    gallery = api.removesuffix("api/")
    ann, bob = InProcess.session("ann"), InProcess.session("bob")
    shared = {"notebook": NOTEBOOK, "title": "Pots", "share": "public"}
    assert ann.put(f"{api}apps/ann/pots", json=shared).status_code == 201
    anonymous = requests.get(gallery).text
    assert "Log in</a> to see the apps shared with you" in anonymous
    assert "Edit or unpublish" not in anonymous
    as_bob = bob.get(gallery).text
    assert "Log in" not in as_bob and "Logged in as <b>bob</b>" in as_bob
    assert 'data-app="ann/pots"' in as_bob and "Edit or unpublish" not in as_bob
    as_ann = ann.get(gallery).text
    assert 'data-edit="/services/apps/api/apps/ann/pots"' in as_ann
