"""The notebook widgets in users' real kernels, against the real annotation service.

Each person has their own user server and kernel. The test plays the browser: it sends
the widget the same comm message the front end's ``model.send`` sends (a ``comm_msg``
with ``{"method": "custom", "content": ...}``) after a drawn rectangle and a click on
Save, then checks the result through the service's HTTP API and in the widget's state.
The image is scikit-image's `coins` photograph, as the shared catalog's `images.coins`.
"""

from __future__ import annotations

import json
import uuid

import pytest

from echoes.annotations import AnnotationClient
from echoes.annotators import coins
from tests.hubclient import HubSession, Kernel
from tests.integration.annotations_support import service_url, wait_for_service
from tests.integration.conftest import add_user

pytestmark = pytest.mark.slow

# A rectangle drawn with Annotorious, as the browser sends it: in the image's pixels.
DRAWN = {"kind": "rect", "x": 100, "y": 50, "w": 80, "h": 60}
GROUP = "wid-curators"


class Person:
    """A hub user with a running server, a kernel on it, and an API client of their own."""

    def __init__(self, session: HubSession, service: str) -> None:
        self.session = session
        self.name = session.name
        assert session.start_server().status_code in (201, 202)
        self.kernel = Kernel(session.server_url(), session.new_token())
        self.api = AnnotationClient(url=service, token=session.new_token())

    def run(self, code: str) -> dict:
        """Run ``code`` in the kernel; it ends by printing one JSON document."""
        return json.loads(self.kernel.execute(code, timeout=180).strip().splitlines()[-1])

    def click(self, widget: str, content: dict) -> dict:
        """Send ``content`` as the front end of ``widget`` does; return the widget's state."""
        comm_id = self.run(f"print(json.dumps({widget}.model_id))")
        self.kernel.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": uuid.uuid4().hex,
                        "username": self.name,
                        "session": uuid.uuid4().hex,
                        "msg_type": "comm_msg",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {
                        "comm_id": comm_id,
                        "data": {"method": "custom", "content": content},
                    },
                    "channel": "shell",
                }
            )
        )
        # The kernel handles shell messages in order: this runs after the comm message.
        return self.state(widget)

    def state(self, widget: str) -> dict:
        return self.run(
            f"print(json.dumps({{k: v for k, v in {widget}.get_state().items()"
            " if k not in ('image', '_esm', '_css')}))"
        )

    def __enter__(self) -> Person:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kernel.close()


@pytest.fixture(scope="module")
def service(hub, data) -> str:
    wait_for_service(hub)
    return service_url(hub)


def person(hub, admin, service, prefix: str):
    """A user in the hub group GROUP, with an Annotator ``w`` on the coins in their kernel."""
    session = add_user(hub, admin, prefix)
    admin.api("POST", f"/groups/{GROUP}")
    reply = admin.api("POST", f"/groups/{GROUP}/users", json={"users": [session.name]})
    assert reply.status_code == 200, reply.text
    someone = Person(session, service)
    shown = someone.run(
        "import json\n"
        "from echoes.widgets import Annotator, AnnotationTable\n"
        "w = Annotator('images.coins')\n"
        "print(json.dumps([w.image[:8].hex(), w.canvas_id]))"
    )
    assert shown[0] == "89504e470d0a1a0a"  # the photograph goes to the browser as PNG
    #: The canvas the widget's annotations target: the one the hub's data's manifest names.
    someone.canvas = shown[1]
    assert someone.canvas == coins.canvas(hub.state_dir / "heritage")["id"]
    return someone


@pytest.fixture(scope="module")
def alice(hub, admin, service):
    with person(hub, admin, service, "wid-alice") as someone:
        yield someone


@pytest.fixture(scope="module")
def bob(hub, admin, service):
    with person(hub, admin, service, "wid-bob") as someone:
        yield someone


def rect(x: float, y: float, w: float, h: float) -> dict:
    return {"kind": "rect", "x": x, "y": y, "w": w, "h": h}


def save(text: str, visibility: str, region: dict | None = DRAWN, **extra) -> dict:
    """What the front end sends on Save; ``region`` None when nothing was drawn."""
    return {
        "action": "save",
        "id": None,
        "region": region,
        "text": text,
        "tags": "owl, silver",
        "motivation": "describing",
        "visibility": visibility,
        **extra,
    }


def mine(person: Person, text: str) -> dict:
    """The one annotation of ``person`` with ``text`` on the coins canvas, via the API."""
    found = [
        a
        for a in person.api.search(person.canvas, creator=person.name)
        if text in json.dumps(a.get("body"))
    ]
    assert len(found) == 1, found
    return found[0]


def test_the_widget_shows_the_coins_photograph_to_its_user(alice):
    state = alice.state("w")
    assert state["user"] == alice.name
    assert (state["width"], state["height"]) == (384, 303)
    assert state["title"] == "Greek coins from Pompeii (photograph)"
    # The choices of visibility include the person's hub groups (read with the server's token).
    assert state["visibilities"] == ["private", "public", f"group:{GROUP}"]
    assert state["shapes"] == [] and state["status"]["kind"] != "error"


def test_a_drawn_rectangle_saved_in_the_widget_is_a_region_annotation_of_its_user(alice):
    state = alice.click("w", save("A worn owl", "public"))
    assert state["status"] == {"kind": "ok", "text": "saved"}

    stored = mine(alice, "A worn owl")
    assert stored["creator"] == {
        "id": f"urn:echoes:user:{alice.name}",
        "type": "Person",
        "nickname": alice.name,
    }
    assert stored["target"]["source"]["id"] == alice.canvas
    assert stored["target"]["selector"]["value"] == "xywh=100,50,80,60"
    assert stored["motivation"] == "describing" and stored["visibility"] == "public"
    assert [b["value"] for b in stored["body"]] == ["A worn owl", "owl", "silver"]

    [shape] = state["shapes"]
    assert shape["id"] == stored["id"] and shape["group"] == "yours" and shape["editable"]
    assert shape["box"] == [100, 50, 80, 60]

    # A private one, and a polygon (an SvgSelector).
    state = alice.click("w", save("A private hunch", "private", rect(260, 180, 40, 20)))
    assert state["status"]["kind"] == "ok"
    assert mine(alice, "A private hunch")["target"]["selector"]["value"] == "xywh=260,180,40,20"
    corners = [[10, 10], [60, 12], [40, 50]]
    state = alice.click("w", save("A worn edge", "private", {"kind": "polygon", "points": corners}))
    assert state["status"]["kind"] == "ok"
    selector = mine(alice, "A worn edge")["target"]["selector"]
    assert selector["type"] == "SvgSelector" and "10,10 60,12 40,50" in selector["value"]


def test_another_user_sees_public_annotations_and_not_private_ones(alice, bob):
    bob.run("w.refresh(); print(json.dumps(len(w.shapes)))")
    shapes = bob.state("w")["shapes"]
    texts = {s["text"]: s for s in shapes}
    assert "A worn owl" in texts and "A private hunch" not in texts
    owl = texts["A worn owl"]
    assert owl["group"] == "public" and owl["creator"] == alice.name and not owl["editable"]

    # Alice shares one with their group; Bob, a member, sees it among "your groups".
    alice.click("w", save("For the curators", f"group:{GROUP}", rect(120, 120, 18, 18)))
    bob.run("w.refresh(); print(json.dumps(len(w.shapes)))")
    shared = {s["text"]: s for s in bob.state("w")["shapes"]}["For the curators"]
    assert shared["group"] == "groups" and shared["visibility"] == f"group:{GROUP}"

    # Alice adds one; Bob's widget shows it at its next refresh (the browser's timer
    # sends the same message as the Refresh button).
    alice.click("w", save("Second owl", "public", rect(20, 20, 40, 40)))
    state = bob.click("w", {"action": "refresh"})
    assert "Second owl" in {s["text"] for s in state["shapes"]}


def test_changing_another_users_annotation_shows_the_services_refusal(alice, bob):
    owl = mine(alice, "A worn owl")
    state = bob.click("w", save("Bob was here", "public", id=owl["id"]))
    assert state["status"]["kind"] == "error"
    assert (
        "only the creator or an administrator may change this annotation"
        in (state["status"]["text"])
    )
    state = bob.click("w", {"action": "delete", "id": owl["id"]})
    assert state["status"]["kind"] == "error" and "403" in state["status"]["text"]
    # Nothing changed, and the kernel is still fine (no traceback went up).
    assert mine(alice, "A worn owl")["body"][0]["value"] == "A worn owl"
    state = bob.click("w", save("no rectangle", "public", region=None))
    assert state["status"] == {
        "kind": "error",
        "text": "draw a rectangle or a polygon on the image first",
    }
    state = bob.click("w", {"action": "explode"})
    assert state["status"] == {"kind": "error", "text": "unknown action 'explode'"}
    state = bob.click("w", {"action": "delete"})
    assert state["status"]["text"].startswith("The widget sent a bad request: KeyError")


def test_its_user_edits_and_deletes_their_own_annotation(alice):
    hunch = mine(alice, "A private hunch")
    moved = rect(0, 0, 10, 10)
    state = alice.click("w", save("Not a hunch any more", "public", moved, id=hunch["id"]))
    assert state["status"] == {"kind": "ok", "text": "saved your changes"}
    changed = mine(alice, "Not a hunch any more")
    assert changed["id"] == hunch["id"] and changed["visibility"] == "public"
    assert changed["target"]["selector"]["value"] == "xywh=0,0,10,10"

    state = alice.click("w", {"action": "delete", "id": hunch["id"]})
    assert state["status"] == {"kind": "ok", "text": "deleted"}
    assert hunch["id"] not in {a["id"] for a in alice.api.search(alice.canvas)}


def test_a_region_made_as_coin_segmentation_suggests_shows_in_the_widget(hub, alice):
    """notebooks/coin_segmentation.ipynb: a coin's region on the canvas of the published
    IIIF manifest, made with echoes.annotations in the person's kernel."""
    published = json.loads((hub.state_dir / "heritage/images/coins/manifest.json").read_text())
    made = alice.run(
        "from echoes import annotations as ann\n"
        "on_canvas = ann.entry_canvas('images.coins')\n"
        "made = ann.annotate(ann.region(on_canvas, 30, 40, 50, 60), 'coin 1', 'identifying')\n"
        "print(json.dumps(made))"
    )
    assert made["target"]["source"]["id"] == published["items"][0]["id"]
    state = alice.click("w", {"action": "refresh"})
    [shape] = [s for s in state["shapes"] if s["id"] == made["id"]]
    assert shape["box"] == [30, 40, 50, 60] and shape["group"] == "yours"


def test_software_proposals_are_shown_apart_and_accepted_or_rejected(alice):
    alice.run(
        "from echoes.annotators import coins\nprint(json.dumps(len(coins.annotate(w.client))))"
    )
    state = alice.click("w", {"action": "refresh"})
    proposals = [s for s in state["shapes"] if s["group"] == "software"]
    assert len(proposals) == 24 and all(not s["editable"] for s in proposals)
    first, second = proposals[0], proposals[1]

    state = alice.click("w", {"action": "accept", "id": first["id"]})
    assert state["status"] == {"kind": "ok", "text": "accepted"}
    state = alice.click("w", {"action": "reject", "id": second["id"]})
    verdicts = {s["id"]: s["verdict"] for s in state["shapes"] if s["group"] == "software"}
    assert verdicts[first["id"]] == "accepted" and verdicts[second["id"]] == "rejected"
    [assessment] = alice.api.search(first["id"], motivation="assessing")
    assert assessment["creator"]["nickname"] == alice.name
    assert assessment["body"]["value"] == "accepted"


def test_rows_of_a_table_are_annotated_and_shown_to_others(alice, bob):
    source = "urn:echoes:catalog:heritage/archaeometry/pottery_kilns"
    code = (
        "import echoes\n"
        "pots = echoes.catalog().archaeometry.read().pottery_kilns.read()\n"
        "t = AnnotationTable(pots, source='archaeometry.pottery_kilns')\n"
        "print(json.dumps([t.source, t.total, len(t.rows)]))"
    )
    assert alice.run(code) == [source, 48, 20]
    content = {
        "action": "save",
        "rows": [3, 2, 4, 7],
        "text": "same kiln?",
        "tags": "",
        "motivation": "questioning",
        "visibility": "public",
    }
    state = alice.click("t", content)
    assert state["status"] == {"kind": "ok", "text": "saved on 4 rows"}
    [stored] = alice.api.search(source)
    assert [t["selector"]["value"] for t in stored["target"]] == ["row=2-4", "row=7"]
    assert stored["creator"]["nickname"] == alice.name

    bob.run(code)
    rows = {r["row"]: r["notes"] for r in bob.state("t")["rows"]}
    assert [n["text"] for n in rows[3]] == ["same kiln?"] and rows[5] == []
    assert rows[7][0]["group"] == "public" and rows[7][0]["creator"] == alice.name
    state = bob.click("t", {"action": "page", "page": 2})
    assert state["page"] == 2 and [r["row"] for r in state["rows"]][:1] == [41]

    # Bob cannot delete Alice's row annotation; Alice can.
    state = bob.click("t", {"action": "delete", "id": stored["id"]})
    assert state["status"]["kind"] == "error" and "403" in state["status"]["text"]
    state = alice.click("t", {"action": "delete", "id": stored["id"]})
    assert state["status"] == {"kind": "ok", "text": "deleted"}
    assert alice.api.search(source) == []
    assert all(r["notes"] == [] for r in state["rows"])
