"""A real hub started over an annotation store written the old way: the annotations made on
``urn:echoes:canvas:images/coins`` show on the coins' IIIF canvas, found through the
service's HTTP API, with their history; a restart moves nothing again."""

from __future__ import annotations

import pytest

from echoes.annotators import coins
from echoes_data import recipe
from echoes_hub.services.annotations.migrate import BY
from echoes_hub.services.annotations.permissions import Viewer
from echoes_hub.services.annotations.service import DEFAULT_CONTAINER, Annotations
from echoes_hub.services.annotations.store import Store
from tests.hubclient import Hub, make_state_dir, stop_hubs, wait_for
from tests.integration.annotations_support import service_url, wait_for_service, with_token
from tests.integration.conftest import STATE_ROOT, login_admin

pytestmark = pytest.mark.slow

OLD = "urn:echoes:canvas:images/coins"
MOVED = "annotations moved from old canvas IRIs to IIIF canvases"


def note(text: str, target) -> dict:
    return {
        "type": "Annotation",
        "motivation": "describing",
        "visibility": "private",
        "body": {"type": "TextualBody", "value": text},
        "target": target,
    }


def old_region(x: int) -> dict:
    """A region as the views and entry_canvas made it before issue 14."""
    return {
        "type": "SpecificResource",
        "source": {
            "id": OLD,
            "type": "Canvas",
            "partOf": [{"id": "urn:echoes:catalog:heritage/images/coins", "type": "Manifest"}],
        },
        "selector": {
            "type": "FragmentSelector",
            "conformsTo": "http://www.w3.org/TR/media-frags/",
            "value": f"xywh={x},20,30,40",
        },
    }


def write_old_store(hub: Hub) -> dict[str, str]:
    """The store file of the hub's state folder, written by the service's own code as it
    stored the old views' annotations; the uid of each by its text."""
    store = Store(f"sqlite:///{hub.state_dir / 'annotations.sqlite'}")
    try:
        store.create_schema()
        store.ensure_container(DEFAULT_CONTAINER, "echoes", "Everyone's annotations")
        service = Annotations(store, "http://localhost/services/annotations/")
        admin = Viewer("admin", admin=True)
        made = {
            "A worn owl": service.create(
                admin, DEFAULT_CONTAINER, note("A worn owl", old_region(10))
            ),
            "The whole tray": service.create(admin, DEFAULT_CONTAINER, note("The whole tray", OLD)),
            "A pot": service.create(
                admin, DEFAULT_CONTAINER, note("A pot", "urn:echoes:catalog:heritage/x")
            ),
        }
        edited = service.replace(
            admin,
            DEFAULT_CONTAINER,
            made["A worn owl"].uid,
            note("A worn owl", old_region(12)),
            service.etag(made["A worn owl"]),
        )
        assert edited.revision == 2
        return {text: record.uid for text, record in made.items()}
    finally:
        store.close()


def test_annotations_on_the_old_canvas_iri_show_on_the_iiif_canvas_after_start():
    hub = Hub(make_state_dir(STATE_ROOT))
    try:
        canvas = coins.canvas(recipe.build(hub.state_dir / "heritage"))
        uids = write_old_store(hub)
        hub.start()
        wait_for_service(hub)
        api = with_token(login_admin(hub))
        url = service_url(hub)

        def on(target: str) -> dict[str, dict]:
            reply = api.get(url + "search", params={"target": target}, timeout=30)
            assert reply.status_code == 200, reply.text
            return {a["body"]["value"]: a for a in reply.json()["items"]}

        shown = on(canvas["id"])
        assert sorted(shown) == ["A worn owl", "The whole tray"]
        assert shown["A worn owl"]["target"]["source"] == canvas
        assert shown["A worn owl"]["target"]["selector"]["value"] == "xywh=12,20,30,40"
        assert shown["The whole tray"]["target"] == canvas["id"]
        assert on(OLD) == {}
        assert sorted(on(canvas["partOf"][0]["id"])) == ["A worn owl"]  # by its manifest

        owl = f"{url}containers/{DEFAULT_CONTAINER}/{uids['A worn owl']}"
        assert api.get(owl, timeout=30).headers["ETag"] == f'"{uids["A worn owl"]}.3"'
        history = api.get(f"{owl}/revisions", timeout=30).json()["items"]
        assert [(r["action"], r["by"]) for r in history] == [
            ("create", "admin"),
            ("update", "admin"),
            ("migrate", BY),
        ]
        assert history[1]["doc"]["target"]["source"]["id"] == OLD  # as it was said
        pot = api.get(f"{url}containers/{DEFAULT_CONTAINER}/{uids['A pot']}", timeout=30)
        assert pot.headers["ETag"] == f'"{uids["A pot"]}.1"'  # not an image: untouched
        assert f"2 {MOVED}" in hub.log()

        # Started again, the service finds nothing left to move.
        hub.stop()
        hub.start()
        wait_for(lambda: f"0 {MOVED}" in hub.log(), 120, "the restarted service's migration")
        wait_for_service(hub)
        again = api.get(f"{owl}/revisions", timeout=30).json()["items"]
        assert len(again) == 3
    finally:
        stop_hubs([hub])
