"""The server extension behind the JupyterLab extension (echoes.server), in a real user
server behind the real hub and proxy: the pass-through to the annotation service (the
server's token, the service's own status codes and JSON errors), publishing to the apps
service, the owner's hub groups, and that nobody else's cookie can use them.

What needs no hub (the catalog routes, the server's own checks and errors) is tested in
process: tests/unit/test_server_extension.py."""

from __future__ import annotations

import json

import pytest

from tests.hubclient import Kernel, Lab
from tests.integration.annotations_support import service_url, wait_for_service, with_token

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

MEDIA_TYPE = "application/ld+json"
#: A canvas to annotate: the pass-through does not look at what annotations target.
COINS_CANVAS = "https://heritage.echoes.invalid/images/coins/canvas/1"


def region_note(text: str, visibility: str = "private") -> dict:
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "describing",
        "visibility": visibility,
        "body": {"type": "TextualBody", "value": text, "format": "text/plain"},
        "target": {
            "type": "SpecificResource",
            "source": COINS_CANVAS,
            "selector": {
                "type": "FragmentSelector",
                "conformsTo": "http://www.w3.org/TR/media-frags/",
                "value": "xywh=12,20,40,44",
            },
        },
    }


@pytest.fixture(scope="module")
def lab_hub(hub, data):
    wait_for_service(hub)
    return hub


@pytest.fixture(scope="module")
def alice(lab_hub, admin):
    from tests.integration.conftest import add_user

    person = add_user(lab_hub, admin, "lab-alice")
    person.start_server()
    return Lab(person)


@pytest.fixture(scope="module")
def bob(lab_hub, admin):
    from tests.integration.conftest import add_user

    person = add_user(lab_hub, admin, "lab-bob")
    person.start_server()
    return Lab(person)


def test_annotation_pass_through_acts_as_the_server_owner(lab_hub, alice, bob):
    created = alice.send("POST", "annotations/containers/default/", region_note("A drachm"))
    assert created.status_code == 201, created.text
    annotation = created.json()
    assert annotation["creator"]["nickname"] == alice.person.name
    assert created.headers["ETag"] and created.headers["Location"] == annotation["id"]

    # The service itself, asked with alice's own token, holds it as hers.
    direct = with_token(alice.person).get(annotation["id"], timeout=30)
    assert direct.status_code == 200
    assert direct.json()["creator"]["nickname"] == alice.person.name
    assert direct.json()["target"]["selector"]["value"] == "xywh=12,20,40,44"

    # Searching through the pass-through finds it (query string passed on).
    found = alice.get("annotations/search", params={"target": COINS_CANVAS}).json()
    assert annotation["id"] in [a["id"] for a in found["items"]]

    # Private: bob's pass-through neither finds nor reads it.
    path = annotation["id"].split("/services/annotations/", 1)[1]
    theirs = bob.get("annotations/search", params={"target": COINS_CANVAS}).json()
    assert annotation["id"] not in [a["id"] for a in theirs["items"]]
    assert bob.get("annotations/" + path).status_code == 404

    # Edit with the ETag, through the pass-through (If-Match passed on).
    changed = {**direct.json(), "visibility": "public"}
    updated = alice.send(
        "PUT", "annotations/" + path, changed, **{"If-Match": direct.headers["ETag"]}
    )
    assert updated.status_code == 200, updated.text
    assert bob.get("annotations/" + path).status_code == 200

    # Bob may read it now but not change it: the service's 403 and message, unchanged.
    current = bob.get("annotations/" + path)
    refused = bob.send(
        "PUT", "annotations/" + path, current.json(), **{"If-Match": current.headers["ETag"]}
    )
    as_service = with_token(bob.person).put(
        annotation["id"],
        data=json.dumps(current.json()),
        headers={"Content-Type": MEDIA_TYPE, "If-Match": current.headers["ETag"]},
        timeout=30,
    )
    assert refused.status_code == as_service.status_code == 403
    assert refused.json() == as_service.json()
    assert bob.send("DELETE", "annotations/" + path, b"").status_code == 403
    assert alice.send("DELETE", "annotations/" + path, b"").status_code == 204


def test_bad_annotations_get_the_services_4xx_json(lab_hub, alice):
    token = with_token(alice.person)
    cases = [
        (b"{not json", MEDIA_TYPE),
        (json.dumps({**region_note("x"), "motivation": 42}).encode(), MEDIA_TYPE),
        (json.dumps(region_note("x")).encode(), "text/plain"),
    ]
    for body, kind in cases:
        through = alice.send(
            "POST", "annotations/containers/default/", body, **{"Content-Type": kind}
        )
        direct = token.post(
            service_url(lab_hub) + "containers/default/",
            data=body,
            headers={"Content-Type": kind},
            timeout=30,
        )
        assert 400 <= through.status_code < 500, through.text
        assert through.status_code == direct.status_code
        assert through.json() == direct.json() and through.json()["message"]


def test_another_users_cookie_cannot_use_the_server_extension(alice, bob):
    other = bob.person.http
    url = alice.base + "echoes/"
    read = other.get(url + "catalog/tree", timeout=60, allow_redirects=False)
    assert read.status_code in (302, 403), read.status_code
    followed = other.get(url + "annotations/search", timeout=60)
    assert followed.status_code == 403 or "catalog" not in followed.text
    assert not followed.headers.get("Content-Type", "").startswith("application/ld+json")
    # Bob's cookie with bob's XSRF token cannot create an annotation as alice.
    write = other.post(
        url + "annotations/containers/default/",
        data=json.dumps(region_note("not yours")),
        headers={"Content-Type": MEDIA_TYPE, "X-XSRFToken": bob.xsrf},
        timeout=60,
        allow_redirects=False,
    )
    assert write.status_code in (302, 403)
    mine = alice.get("annotations/search", params={"q": "not yours"}).json()
    assert mine["items"] == []
    # Without an XSRF token, even alice's own cookie cannot write.
    forged = alice.person.http.post(
        url + "annotations/containers/default/",
        data=json.dumps(region_note("forged")),
        headers={"Content-Type": MEDIA_TYPE},
        timeout=60,
    )
    assert forged.status_code == 403


def test_publish_as_app_from_the_server(lab_hub, alice):
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": "print('published from JupyterLab')",
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    contents = alice.save_notebook("hello.ipynb", notebook)
    assert contents.status_code in (200, 201), contents.text
    body = {"path": "hello.ipynb", "name": "hello-lab", "share": "hub"}
    app = alice.send("POST", "apps/publish", body, **{"Content-Type": "application/json"})
    assert app.status_code in (200, 201), app.text
    assert app.json()["ok"] is True
    assert app.json()["url"].endswith(f"/services/apps/{alice.person.name}/hello-lab/")

    # The apps service's own refusal, passed on (the server's own checks of a publish
    # request are tested in process: tests/unit/test_server_extension.py).
    bad_name = alice.send("POST", "apps/publish", {**body, "name": "Bad Name"})
    assert bad_name.status_code == 400 and "Bad Name" in bad_name.json()["message"]

    # Re-published with no share or title (the dialog's fields left empty): both kept, and
    # the dialog finds them among the owner's apps.
    shared = {**body, "share": "public", "title": "Hello"}
    assert alice.send("POST", "apps/publish", shared).json()["share"] == "public"
    again = alice.send("POST", "apps/publish", {"path": "hello.ipynb", "name": "hello-lab"})
    assert (again.json()["version"], again.json()["share"], again.json()["title"]) == (
        3,
        "public",
        "Hello",
    )
    mine = alice.get("apps/mine").json()
    assert [(a["name"], a["share"]) for a in mine["apps"]] == [("hello-lab", "public")]
    assert mine["gallery"] == lab_hub.service_url("apps")


def test_echoes_publish_in_a_servers_terminal_needs_no_address_token_or_name(alice):
    """What the hub told the server (echoes.hub) is all the CLI needs: the apps service's
    address, the server's token and its owner."""
    kernel = Kernel(alice.person.server_url(), alice.person.new_token())
    try:
        done = kernel.execute(
            "import json, pathlib, subprocess, sys\n"
            "nb = {'cells': [], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}\n"
            "path = pathlib.Path('from-terminal.ipynb').resolve()\n"
            "path.write_text(json.dumps(nb))\n"
            "echoes = str(pathlib.Path(sys.executable).parent / 'echoes')\n"
            "for args in ([str(path)], ['--unpublish']):\n"
            "    run = subprocess.run([echoes, 'publish', *args, '--name', 'from-terminal'],"
            " capture_output=True, text=True)\n"
            "    print(run.returncode, run.stdout.strip(), run.stderr.strip())",
            timeout=600,
        )
    finally:
        kernel.close()
    published, unpublished = done.strip().splitlines()
    name = alice.person.name
    assert published.startswith(f"0 published {name}/from-terminal version 1"), done
    assert unpublished.startswith(f"0 unpublished {name}/from-terminal"), done


def test_me_names_the_owner_and_their_groups(admin, alice, bob):
    """The view offers "group:G" visibility for the groups the hub says the owner is in."""
    admin.api("POST", "/groups/lab-conservators")
    added = admin.api("POST", "/groups/lab-conservators/users", json={"users": [alice.person.name]})
    assert added.status_code == 200, added.text
    assert alice.get("me").json() == {"name": alice.person.name, "groups": ["lab-conservators"]}
    assert bob.get("me").json() == {"name": bob.person.name, "groups": []}


def test_the_server_lets_only_its_own_pages_frame_it_for_voilas_preview(alice):
    """JupyterHub's default, frame-ancestors 'none', left Voila's preview blank in
    JupyterLab; each server has its own host, so 'self' is the server's own pages."""
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    saved = alice.save_notebook("framed.ipynb", notebook)
    assert saved.status_code in (200, 201), saved.text
    for path in ("lab", "voila/render/framed.ipynb"):
        page = alice.person.http.get(alice.base + path, timeout=120)
        assert page.status_code == 200, (path, page.status_code)
        assert page.headers["Content-Security-Policy"] == "frame-ancestors 'self'", path
