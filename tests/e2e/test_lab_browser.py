"""In a real browser (Debian's chromium) on JupyterLab behind the real hub: the catalog
browser finds the coins photograph and inserts the code that loads it into a notebook,
which runs; the annotation view (OpenSeadragon and Annotorious) draws a rectangle and a
polygon with the mouse and saves them, moves one, filters proposals by confidence; the
service's HTTP API holds them with the right owner, selector and visibility; another user
sees them only when public, replies in a thread and, without reloading, sees new
annotations appear; an AI proposal is accepted. Screenshots go to test-output/screenshots/
(lab-catalog.png, lab-annotate.png)."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from skimage import data

from echoes.annotations import AnnotationClient, region
from echoes.annotators import coins
from echoes.widgets import images
from tests.e2e.conftest import log_in
from tests.hubclient import Kernel
from tests.integration.annotations_support import (
    service_pid,
    service_processes,
    service_url,
    wait_for_service,
    with_token,
)

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

IMAGE = (384, 303)  # the coins photograph, pixels


def open_lab(page, hub, person) -> None:
    """Log in and open the person's JupyterLab. Without a running server the login leads
    to the spawn page's sizes, as it leads a person: start the first (the default)."""
    log_in(page, hub, person)
    page.wait_for_url(lambda url: "/hub/login" not in url, timeout=60_000)
    if page.locator("#spawn_form").count():
        with page.expect_navigation(timeout=60_000):
            page.click("#spawn_form [type=submit]")
    page.goto(f"{hub.url}/user/{person.name}/lab", timeout=180_000)
    page.locator(".lm-TabBar-tab[data-id='echoes-catalog']").wait_for(timeout=180_000)


def screenshot(page, path) -> None:
    """A screenshot; JupyterLab asks no news or update question (our overrides.json)."""
    assert page.locator(".Toastify", has_text="Jupyter news").count() == 0
    page.screenshot(path=str(path))


def open_catalog(page) -> None:
    """The catalog browser's side panel, shown (clicking its tab again if layout
    restoration closed it meanwhile)."""
    panel = page.locator("#echoes-catalog")
    for _ in range(5):
        if panel.is_visible():
            return
        page.click(".lm-TabBar-tab[data-id='echoes-catalog']")
        try:
            panel.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeout:
            continue
    panel.wait_for(state="visible", timeout=5_000)


def open_coins_annotator(page, entry: str = "images.coins") -> None:
    """Annotate on the coins photograph's catalog entry (or on another, e.g. its manifest's),
    until the image is shown."""
    open_catalog(page)
    page.fill(".echoes-Catalog-search", "coins pompeii")
    page.locator(".echoes-Catalog-results").wait_for(timeout=60_000)
    page.click(f".echoes-Catalog-entry[data-path='{entry}']")
    page.locator(f".echoes-Entry[data-path='{entry}'] .echoes-Annotate").click()
    page.locator(".echoes-Annotator-frame[data-ready='true']").wait_for(timeout=60_000)


FRAME = ".echoes-Annotator-frame"


def on_page(page, x: float, y: float) -> tuple[float, float]:
    """Where a point of the image (its pixels) is on the page, as OpenSeadragon shows it
    now (the view keeps its ImageView on the frame: src/imageview.ts)."""
    point = page.locator(FRAME).evaluate(
        "(frame, [x, y]) => frame.echoesView.pagePoint(x, y)", [x, y]
    )
    return point["x"], point["y"]


def drawn(page) -> dict[str, dict]:
    """What Annotorious shows, by annotation id: its W3C selector (in image pixels)."""
    shown = page.locator(FRAME).evaluate(
        "frame => frame.echoesView.anno.getAnnotations().map(a => [a.id, a.target.selector])"
    )
    return dict(shown)


def xywh_of(selector: dict) -> list[float]:
    value = re.fullmatch(r"xywh=(?:pixel:)?([\d.]+),([\d.]+),([\d.]+),([\d.]+)", selector["value"])
    return [float(n) for n in value.groups()]


def pick(page, tool: str) -> None:
    page.click(f".echoes-Annotator-tools [data-tool='{tool}']")


def drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=4)
    page.mouse.move(*end, steps=4)
    page.mouse.up()


def draw(page, left: float, top: float, right: float, bottom: float) -> tuple[int, ...]:
    """Draw a rectangle with the Rectangle tool from one corner to the other, given as
    fractions of the image; return the rectangle in image pixels that should be saved."""
    pick(page, "rectangle")
    x0, y0, x1, y1 = left * IMAGE[0], top * IMAGE[1], right * IMAGE[0], bottom * IMAGE[1]
    drag(page, on_page(page, x0, y0), on_page(page, x1, y1))
    page.locator(".echoes-Annotator-region", has_text=re.compile("^Rectangle x")).wait_for(
        timeout=10_000
    )
    x, y = round(x0), round(y0)
    return x, y, round(x1) - x, round(y1) - y


def draw_polygon(page, corners: list[tuple[float, float]]) -> None:
    """Draw a polygon with the Polygon tool: a click on each corner (image pixels), then
    on the first again to close it (Annotorious takes a click where the pointer moved to)."""
    pick(page, "polygon")
    for corner in [*corners, corners[0]]:
        page.mouse.move(*on_page(page, *corner), steps=4)
        page.mouse.down()
        page.mouse.up()
    page.locator(".echoes-Annotator-region", has_text=re.compile("^Polygon of")).wait_for(
        timeout=10_000
    )


def save(page, text: str, tags: str, visibility: str) -> None:
    page.fill(".echoes-Annotator-form textarea[name=text]", text)
    page.fill(".echoes-Annotator-form input[name=tags]", tags)
    page.select_option(".echoes-Annotator-form select[name=motivation]", "describing")
    page.select_option(".echoes-Annotator-form select[name=visibility]", visibility)
    page.click(".echoes-Annotator-form .echoes-Save")
    page.locator(".echoes-Item-text", has_text=text).wait_for(timeout=30_000)


def selector_of(annotation: dict) -> tuple[int, ...]:
    value = annotation["target"]["selector"]["value"]
    return tuple(int(n) for n in re.fullmatch(r"xywh=(\d+),(\d+),(\d+),(\d+)", value).groups())


def group_ids(page, group: str) -> set[str]:
    items = page.locator(f".echoes-Group-{group} > ul > .echoes-Item")
    return set(items.evaluate_all("items => items.map(i => i.dataset.id)"))


def close_to(found: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    return all(abs(a - b) <= 1 for a, b in zip(found, expected, strict=True))


def canvas_of(hub) -> dict:
    """The photograph's IIIF canvas in the hub's shared data (what the view targets)."""
    return coins.canvas(hub.state_dir / "heritage")


def on_canvas(session: requests.Session, hub) -> dict[str, dict]:
    canvas = canvas_of(hub)["id"]
    reply = session.get(service_url(hub) + "search", params={"target": canvas}, timeout=30)
    assert reply.status_code == 200, reply.text
    return {
        a["body"][0]["value"] if isinstance(a["body"], list) else a["body"]["value"]: a
        for a in reply.json()["items"]
        if a.get("motivation") != "assessing"
    }


@pytest.fixture(scope="module")
def lab_hub(hub, data):
    wait_for_service(hub)
    return hub


def test_catalog_browser_annotation_view_and_a_second_user(lab_hub, new_user, browser, screenshots):
    hub = lab_hub
    alice, bob = new_user("lab-e2e-alice"), new_user("lab-e2e-bob")
    alice.start_server()
    bob.start_server()
    alice_api, bob_api = with_token(alice), with_token(bob)
    # The AI annotator proposes one region per coin, on alice's behalf, public.
    client = AnnotationClient(url=service_url(hub), token=alice_api.headers["Authorization"][6:])
    proposals = coins.annotate(client, visibility="public", data_dir=hub.state_dir / "heritage")
    assert len(proposals) >= 20

    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    try:
        open_lab(page, hub, alice)
        open_catalog(page)
        page.locator(".echoes-Catalog-theme").first.wait_for(timeout=60_000)
        page.fill(".echoes-Catalog-search", "coins pompeii")
        results = page.locator(".echoes-Catalog-results")
        results.wait_for(timeout=60_000)
        assert results.inner_text().startswith("2 entries")
        page.click(".echoes-Catalog-entry[data-path='images.coins']")
        entry = page.locator(".echoes-Entry[data-path='images.coins']")
        entry.locator("[data-fact='licence']").wait_for(timeout=60_000)
        assert "No-Known-Copyright" in entry.locator("[data-fact='licence']").inner_text()
        assert "Brooklyn Museum" in entry.locator("[data-fact='citation']").inner_text()
        page.locator(".echoes-Preview-image").wait_for(timeout=60_000)
        page.wait_for_function(
            "() => document.querySelector('.echoes-Preview-image').naturalWidth === 384"
        )
        screenshot(page, screenshots / "lab-catalog.png")

        # Insert code: a new notebook gets the cell; run it in a real kernel.
        entry.locator(".echoes-Insert").click()
        cell = page.locator(".jp-Notebook .jp-Cell.jp-mod-active")
        cell.locator("text=echoes.catalog().images.read().coins.read()").wait_for(timeout=120_000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
            timeout=120_000
        )
        cell.locator(".cm-content").click()
        page.keyboard.press("Shift+Enter")
        output = page.locator(".jp-Notebook .jp-OutputArea-output", has_text="array(")
        output.first.wait_for(timeout=120_000)
        assert "Traceback" not in page.locator(".jp-Notebook").inner_text()

        # "Publish as App" from the notebook's context menu: the dialog, then the address.
        page.locator(".jp-Notebook .jp-Cell").first.click(button="right")
        page.locator(".lm-Menu-itemLabel", has_text="Publish as App").click()
        page.fill(".echoes-PublishForm input[name=name]", "coins-lab")
        page.locator(".jp-Dialog-button.jp-mod-accept").click()
        link = page.locator(".echoes-PublishResult a")
        link.wait_for(timeout=300_000)
        assert link.inner_text() == hub.app_url(alice.name, "coins-lab")
        page.locator(".jp-Dialog-button.jp-mod-accept").click()

        # The annotation view of the photograph, with the proposals drawn apart.
        open_coins_annotator(page)
        software = page.locator(".echoes-Group-software > ul > .echoes-Item")
        software.first.wait_for(timeout=30_000)
        assert software.count() == len(proposals)
        # Every proposal drawn (with, on this shared hub, others' public regions of the
        # same canvas: other tests' users annotate it too).
        page.wait_for_function(
            f"ids => {{ const shown = new Set(document.querySelector('{FRAME}')"
            ".echoesView.anno.getAnnotations().map(a => a.id));"
            " return ids.every(id => shown.has(id)); }",
            arg=sorted(proposals),
        )
        assert group_ids(page, "software") == set(proposals) <= set(drawn(page))

        # Proposals filtered by confidence: the slider leaves out the less confident.
        least = sorted(
            p["confidence"]
            for p in alice_api.get(
                service_url(hub) + "search", params={"target": canvas_of(hub)["id"]}, timeout=30
            ).json()["items"]
            if p["id"] in proposals
        )[len(proposals) // 2]
        page.locator(".echoes-Threshold input").fill(str(least))
        kept = [p for p in proposals if p in group_ids(page, "software")]
        assert 0 < len(kept) < len(proposals)
        shown = set(drawn(page))
        assert set(kept) <= shown and not (set(proposals) - set(kept)) & shown
        page.locator(".echoes-Threshold input").fill("0")
        assert software.count() == len(proposals)
        # Motivations in plain words.
        assert "Identification" in software.first.locator(".echoes-Item-facts").inner_text()

        private_rect = draw(page, 0.05, 0.05, 0.25, 0.30)
        save(page, "A worn coin, private note", "coin, worn", "private")
        public_rect = draw(page, 0.55, 0.60, 0.80, 0.95)
        save(page, "Two overlapping coins", "coin, overlap", "public")
        corners = [(150, 20), (230, 30), (200, 90), (160, 70)]
        draw_polygon(page, corners)
        save(page, "An irregular fragment", "", "public")
        assert len(group_ids(page, "yours")) == 3
        assert group_ids(page, "yours") <= set(drawn(page))

        # Edit your own. A change made elsewhere meanwhile is refused: the service's message.
        form_text = ".echoes-Annotator-form textarea[name=text]"
        yours = page.locator(".echoes-Group-yours")
        yours.locator(".echoes-Item", has_text="private note").locator(".echoes-Edit").click()
        page.wait_for_function(
            f"() => document.querySelector('{form_text}').value === 'A worn coin, private note'"
        )
        stored = on_canvas(alice_api, hub)["A worn coin, private note"]
        before = alice_api.get(stored["id"], timeout=30)
        elsewhere = {**before.json(), "body": {"type": "TextualBody", "value": "Changed elsewhere"}}
        headers = {"Content-Type": "application/ld+json", "If-Match": before.headers["ETag"]}
        changed = alice_api.put(stored["id"], json=elsewhere, headers=headers, timeout=30)
        assert changed.status_code == 200, changed.text
        stale = alice_api.put(stored["id"], json=elsewhere, headers=headers, timeout=30)
        assert stale.status_code == 412
        page.fill(form_text, "A worn coin, edited")
        page.click(".echoes-Annotator-form .echoes-Save")
        refusal = page.locator(".echoes-Message.echoes-Message-error")
        refusal.wait_for(timeout=30_000)
        assert refusal.inner_text().startswith(stale.json()["message"])
        page.click(".echoes-Annotator-form .echoes-Cancel")
        item = yours.locator(".echoes-Item", has_text="Changed elsewhere")
        item.wait_for(timeout=30_000)
        item.locator(".echoes-Edit").click()
        page.wait_for_function(
            f"() => document.querySelector('{form_text}').value === 'Changed elsewhere'"
        )
        page.fill(form_text, "A worn coin, edited")
        page.click(".echoes-Annotator-form .echoes-Save")
        yours.locator(".echoes-Item-text", has_text="A worn coin, edited").wait_for(timeout=30_000)

        # Move your own after drawing: select it, drag it; saved as an edit (If-Match).
        page.click(".echoes-Annotator-form .echoes-Cancel")
        pick(page, "move")
        moved = yours.locator(".echoes-Item", has_text="Two overlapping coins")
        moved.locator(".echoes-Edit").click()
        page.locator(".echoes-Annotator-region", has_text="drag it").wait_for(timeout=30_000)
        x, y, w, h = public_rect
        drag(
            page, on_page(page, x + w / 2, y + h / 2), on_page(page, x + w / 2 - 20, y + h / 2 - 10)
        )
        page.locator(".echoes-Annotator-region", has_text="moved").wait_for(timeout=10_000)
        page.click(".echoes-Annotator-form .echoes-Save")
        page.locator(".echoes-Message", has_text="Annotation updated.").wait_for(timeout=30_000)
        public_rect = (x - 20, y - 10, w, h)

        # Delete your own.
        draw(page, 0.40, 0.05, 0.50, 0.20)
        save(page, "To be deleted", "", "private")
        yours.locator(".echoes-Item", has_text="To be deleted").locator(".echoes-Delete").click()
        yours.locator(".echoes-Item", has_text="To be deleted").wait_for(
            state="detached", timeout=30_000
        )
        assert "To be deleted" not in on_canvas(alice_api, hub)

        # Accept the first proposal: an `assessing` reply by alice, as AnnotationClient.accept.
        page.locator(".echoes-Group-software .echoes-Accept").first.click()
        page.locator(".echoes-Group-software .echoes-Verdict").first.wait_for(timeout=30_000)
        screenshot(page, screenshots / "lab-annotate.png")

        # The service's HTTP API: both are alice's, with the drawn rectangles.
        mine = on_canvas(alice_api, hub)
        private, public = mine["A worn coin, edited"], mine["Two overlapping coins"]
        fragment = mine["An irregular fragment"]["target"]["selector"]
        assert fragment["type"] == "SvgSelector"
        saved = re.search(r'points="([^"]+)"', fragment["value"]).group(1).split()
        # The mouse lands on whole screen pixels: a corner may be a pixel off.
        assert close_to(
            tuple(int(n) for point in saved for n in point.split(",")),
            tuple(n for corner in corners for n in corner),
        ), saved
        assert private["id"] == stored["id"]
        assert private["creator"]["nickname"] == public["creator"]["nickname"] == alice.name
        assert private["visibility"] == "private" and public["visibility"] == "public"
        assert close_to(selector_of(private), private_rect), (selector_of(private), private_rect)
        assert close_to(selector_of(public), public_rect), (selector_of(public), public_rect)
        assert public["modified"] != public["created"]  # moved: an edit of the same one
        assert [b["value"] for b in public["body"] if b.get("purpose") == "tagging"] == [
            "coin",
            "overlap",
        ]
        verdicts = alice_api.get(
            service_url(hub) + "search", params={"motivation": "assessing"}, timeout=30
        ).json()["items"]
        assert any(v["target"] == proposals[0] for v in verdicts), verdicts

        # Bob, through the API: the public one, not the private one.
        theirs = on_canvas(bob_api, hub)
        assert "Two overlapping coins" in theirs
        assert "A worn coin, edited" not in theirs
    except Exception:
        page.screenshot(path=str(screenshots / "lab-failure-alice.png"))
        raise
    finally:
        context.close()

    # Bob, in his own JupyterLab: the same, and a new public note appears without reload.
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    searches: list[str] = []
    page.on("request", lambda r: "/annotations/search?" in r.url and searches.append(r.url))
    try:
        open_lab(page, hub, bob)
        open_coins_annotator(page)
        public_list = page.locator(".echoes-Group-public")
        public_list.locator(".echoes-Item-text", has_text="Two overlapping coins").wait_for(
            timeout=30_000
        )
        assert "A worn coin" not in page.locator(".echoes-Annotator-lists").inner_text()
        assert page.locator(".echoes-Group-public .echoes-Edit").count() == 0
        added = client.annotate(
            {
                "type": "SpecificResource",
                "source": canvas_of(hub)["id"],
                "selector": {
                    "type": "FragmentSelector",
                    "conformsTo": "http://www.w3.org/TR/media-frags/",
                    "value": "xywh=percent:25,50,10,20",
                },
            },
            "Added while bob looks",
            "commenting",
            visibility="public",
        )
        public_list.locator(".echoes-Item-text", has_text="Added while bob looks").wait_for(
            timeout=30_000
        )
        # Every poll searched the canvas; bob's own verdicts were read once, not every poll.
        polls = [u for u in searches if "target=" in u]
        verdict_reads = [u for u in searches if "motivation=assessing" in u]
        assert len(polls) >= 2, searches
        assert len(verdict_reads) == 1 and f"creator={bob.name}" in verdict_reads[0], searches
        # A percent: region is drawn in pixels of the photograph, as the notebook widget does.
        shown = xywh_of(drawn(page)[added["id"]])
        assert shown == pytest.approx([96, 151.5, 38.4, 60.6]), shown

        # The keyboard: Tab to a listed annotation, Enter selects its shape on the image.
        item = public_list.locator(f".echoes-Item[data-id='{added['id']}']")
        item.focus()
        page.keyboard.press("Enter")
        page.wait_for_function(
            f"() => document.querySelector('{FRAME}').echoesView.anno.getSelected()"
            f".some(a => a.id === {json.dumps(added['id'])})"
        )

        # Bob replies to alice's public note: the reply is shown under it, in a thread.
        note = public_list.locator(".echoes-Item", has_text="Two overlapping coins")
        note.locator(".echoes-ReplyOpen").click()
        note.locator(".echoes-ReplyForm input").fill("They are two asses of Nero")
        note.locator(".echoes-ReplySend").click()
        note.locator(".echoes-Reply", has_text="They are two asses of Nero").wait_for(
            timeout=30_000
        )
        assert bob.name in note.locator(".echoes-Reply").inner_text()
        screenshot(page, screenshots / "lab-annotate-second-user.png")
    except Exception:
        page.screenshot(path=str(screenshots / "lab-failure-bob.png"))
        raise
    finally:
        context.close()

    # The reply in the service: W3C `replying`, targeting alice's annotation, by bob.
    [reply] = bob_api.get(
        service_url(hub) + "search", params={"target": public["id"]}, timeout=30
    ).json()["items"]
    assert reply["motivation"] == "replying" and reply["visibility"] == "public"
    assert reply["creator"]["nickname"] == bob.name


def test_a_region_made_as_the_notebook_suggests_shows_from_the_image_and_its_manifest(
    lab_hub, new_user, browser, screenshots
):
    """notebooks/coin_segmentation.ipynb has people annotate a region of the canvas of the
    published IIIF manifest; made so in the person's kernel, it shows in the annotation view
    of the photograph, and Annotate on the manifest's entry shows that image with it."""
    hub = lab_hub
    person = new_user("lab-e2e-iiif")
    assert person.start_server().status_code in (201, 202)
    published = json.loads((hub.state_dir / "heritage/images/coins/manifest.json").read_text())
    kernel = Kernel(person.server_url(), person.new_token())
    try:
        made = json.loads(
            kernel.execute(
                "import json\n"
                "from echoes import annotations as ann\n"
                "on_canvas = ann.entry_canvas('images.coins')\n"
                "target = ann.region(on_canvas, 30, 40, 50, 60)\n"
                "made = ann.annotate(target, 'coin 1', 'describing')\n"
                "print(json.dumps(made))",
                timeout=180,
            )
        )
    finally:
        kernel.close()
    assert made["target"]["source"]["id"] == published["items"][0]["id"]

    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    try:
        open_lab(page, hub, person)
        open_coins_annotator(page, "images.coins_manifest")  # the image shows
        page.locator(f".echoes-Item[data-id='{made['id']}']").wait_for(timeout=30_000)
        assert page.locator(".lm-TabBar-tab.lm-mod-current", has_text="Annotate: coins").count()
        screenshot(page, screenshots / "lab-annotate-manifest.png")
        # The photograph's own entry opens that same view: the same annotations.
        page.locator(".echoes-Catalog-entry[data-path='images.coins']").click()
        page.locator(".echoes-Entry[data-path='images.coins'] .echoes-Annotate").click()
        assert page.locator(".echoes-Annotator").count() == 1
        page.locator(f".echoes-Item[data-id='{made['id']}']").wait_for(timeout=30_000)
    except Exception:
        page.screenshot(path=str(screenshots / "lab-failure-manifest.png"))
        raise
    finally:
        context.close()


def test_the_view_shows_the_large_image_in_tiles_of_the_hubs_iiif_service(
    lab_hub, new_user, browser, screenshots
):
    """Annotate on the 10800 x 5400 relief map: the view reads the image's info.json from
    the hub's IIIF service and, zoomed in, asks it for tiles of full-resolution regions,
    never for the whole file."""
    hub = lab_hub
    person = new_user("lab-e2e-deepzoom")
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    asked: list[tuple[str, int]] = []  # (url, status) of the image requests
    page.on(
        "response",
        lambda r: (
            asked.append((r.url, r.status)) if "/image/3/" in r.url or "/image/" in r.url else None
        ),
    )

    def widest_region() -> int:
        """The width of the widest region the tile requests asked for since the last clear."""
        widths = [10800]
        for url, _status in asked:
            region = url.split("/")[-4] if "/default." in url else ""
            if region.count(",") == 3:
                widths.append(int(region.split(",")[2]))
        return min(widths)

    try:
        open_lab(page, hub, person)
        open_catalog(page)
        page.fill(".echoes-Catalog-search", "relief")
        page.click(".echoes-Catalog-entry[data-path='images.relief']")
        page.locator(".echoes-Entry[data-path='images.relief'] .echoes-Annotate").click()
        page.locator(".echoes-Annotator-frame[data-ready='true']").wait_for(timeout=60_000)
        assert any(url.endswith("/info.json") and "iiif--service." in url for url, _ in asked)
        # Zoomed in as far as OpenSeadragon goes, on the Himalaya (86.9 E, 28.0 N).
        with page.expect_response(
            lambda r: "/default." in r.url and widest_region() <= 1024, timeout=60_000
        ):
            page.locator(FRAME).evaluate(
                """frame => {
                  const viewport = frame.echoesView.viewer.viewport;
                  const point = viewport.imageToViewportCoordinates(8007, 1860);
                  viewport.zoomTo(viewport.getMaxZoom(), point, true);
                  viewport.panTo(point, true);
                }"""
            )
        page.wait_for_load_state("networkidle")
        screenshot(page, screenshots / "lab-annotate-deep-zoom.png")
        assert asked and all(status == 200 for _, status in asked), asked
        whole = [url for url, _ in asked if "/catalog/image/" in url]
        assert not whole, whole  # the 10800 x 5400 file itself was never fetched
    except Exception:
        page.screenshot(path=str(screenshots / "lab-failure-deep-zoom.png"))
        raise
    finally:
        context.close()


def draw_before(hub, person) -> AnnotationClient:
    """The person's annotation "Drawn before" on the coins, made through the service
    with the client it returns."""
    client = AnnotationClient(
        url=service_url(hub), token=with_token(person).headers["Authorization"][6:]
    )
    client.annotate(region(canvas_of(hub), 20, 30, 40, 40), "Drawn before", "describing")
    return client


def test_the_annotation_view_says_when_its_server_stops_and_the_page_recovers(
    lab_hub, new_user, browser, screenshots
):
    """The person's server stops while the annotation view is open, and starts again (from
    the hub's home page, or another tab). The view says so in words and keeps polling; the
    question "restart it?" closes by itself when the server answers, and, since the new
    server does not know the old page's login, the page offers to reload; after that the
    view shows the annotations again. No script error on the way (it was `TypeError:
    e.items is not iterable`, and the old tab stayed on the question)."""
    hub = lab_hub
    carol = new_user("lab-e2e-carol")
    draw_before(hub, carol)
    carol.start_server()
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    message = page.locator(".echoes-Annotator .echoes-Message")
    drawn = page.locator(".echoes-Annotator .echoes-Item-text", has_text="Drawn before")
    try:
        open_lab(page, hub, carol)
        open_coins_annotator(page)
        drawn.wait_for(timeout=30_000)

        carol.stop_server()
        page.locator(".echoes-Message-error", has_text="Your server is not answering").wait_for(
            timeout=60_000
        )
        assert "Trying again" in message.inner_text()
        assert drawn.is_visible()  # what was shown stays
        question = page.locator(".jp-Dialog", has_text="Your server is not answering")
        question.wait_for(timeout=60_000)
        screenshot(page, screenshots / "lab-annotate-server-stopped.png")

        carol.start_server()
        carol.wait_ready()
        back = page.locator(".jp-Dialog", has_text="Your server is running again")
        back.wait_for(timeout=60_000)
        assert question.count() == 0  # it closed by itself
        assert page.locator(".jp-Dialog", has_text="Server unavailable").count() == 0
        page.locator(".echoes-Message-error", has_text="reload the page").wait_for(timeout=30_000)
        screenshot(page, screenshots / "lab-annotate-server-back.png")

        back.locator(".jp-Dialog-button", has_text="Reload").click()
        page.locator(".lm-TabBar-tab[data-id='echoes-catalog']").wait_for(timeout=180_000)
        open_coins_annotator(page)
        drawn.wait_for(timeout=30_000)
        assert message.inner_text() == ""
        assert page.locator(".jp-Dialog").count() == 0
        assert errors == []
    except Exception:
        page.screenshot(path=str(screenshots / "lab-failure-carol.png"))
        raise
    finally:
        context.close()


def test_the_annotation_view_recovers_by_itself_when_the_annotation_service_is_back(
    lab_hub, new_user, browser, screenshots
):
    """The annotation service goes away while the view is open (its supervisor paused, so
    that it is not started again at once) and comes back: the view says so in words, keeps
    what it showed, and shows new annotations again without a reload."""
    hub = lab_hub
    dave = new_user("lab-e2e-dave")
    client = draw_before(hub, dave)
    dave.start_server()
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    message = page.locator(".echoes-Annotator .echoes-Message")
    items = page.locator(".echoes-Annotator .echoes-Item-text")
    tether = next(pid for pid, cmd in service_processes(hub).items() if "services.tether" in cmd)
    paused = False
    try:
        open_lab(page, hub, dave)
        open_coins_annotator(page)
        items.filter(has_text="Drawn before").wait_for(timeout=30_000)

        os.kill(tether, signal.SIGSTOP)
        paused = True
        os.kill(service_pid(hub), signal.SIGKILL)
        page.locator(
            ".echoes-Message-error", has_text="The annotation service is not answering"
        ).wait_for(timeout=60_000)
        assert "Trying again" in message.inner_text()
        assert items.filter(has_text="Drawn before").is_visible()
        screenshot(page, screenshots / "lab-annotate-service-gone.png")

        os.kill(tether, signal.SIGCONT)
        paused = False
        wait_for_service(hub)
        client.annotate(region(canvas_of(hub), 90, 30, 40, 40), "Drawn after", "describing")
        items.filter(has_text="Drawn after").wait_for(timeout=30_000)
        page.wait_for_function(
            "() => document.querySelector('.echoes-Annotator .echoes-Message').textContent === ''"
        )
        assert errors == []
    except Exception:
        page.screenshot(path=str(screenshots / "lab-failure-dave.png"))
        raise
    finally:
        if paused:
            os.kill(tether, signal.SIGCONT)
        context.close()


#: A page of another site that uses Annotorious on its own, as its authors document it
#: (createOSDAnnotator with the W3C adapter on an OpenSeadragon viewer). The libraries come
#: from the notebook widget's bundle, which exports them.
ANNOTORIOUS_PAGE = """<!doctype html>
<html><head><link rel="stylesheet" href="annotator.css"></head>
<body><div id="osd" style="width: 768px; height: 606px"></div>
<script type="module">
import { OpenSeadragon, createOSDAnnotator, W3CImageFormat } from "./annotator.js";
const viewer = OpenSeadragon({
  element: document.getElementById("osd"),
  tileSources: { type: "image", url: "coins.png" },
  showNavigationControl: false,
  gestureSettingsMouse: { clickToZoom: false },
});
const anno = createOSDAnnotator(viewer, {
  adapter: W3CImageFormat(CANVAS), drawingEnabled: true, drawingMode: "drag",
});
Object.assign(window, { viewer, anno, OpenSeadragon });
viewer.addHandler("open", () => { document.body.dataset.open = "true"; });
</script></body></html>"""
ANNOTORIOUS_SITE = "http://annotorious.invalid/"


def annotorious_page(context, canvas: str, site: str = ANNOTORIOUS_SITE):
    """ANNOTORIOUS_PAGE at ``site``, its files answered by the browser context itself
    (no server to start): the page, the bundle and its styles (Annotorious's among them:
    without them its drawing layer is not over the image), the coins photograph, whose
    annotations target ``canvas``."""
    static = Path(__file__).resolve().parents[2] / "extensions" / "echoes" / "widgets" / "static"
    files = {
        "index.html": ("text/html", ANNOTORIOUS_PAGE.replace("CANVAS", json.dumps(canvas))),
        "annotator.js": ("text/javascript", (static / "annotator.js").read_bytes()),
        "annotator.css": ("text/css", (static / "annotator.css").read_bytes()),
        "coins.png": ("image/png", images.png_bytes(data.coins())[0]),
    }

    def answer(route) -> None:
        name = route.request.url.removeprefix(site).split("?")[0]
        if name not in files:
            route.fulfill(status=404, body="")
            return
        kind, body = files[name]
        route.fulfill(status=200, content_type=kind, body=body)

    context.route(f"{site}**", answer)


def test_an_annotation_page_written_by_annotorious_is_imported_and_shown_where_drawn(
    lab_hub, new_user, browser, screenshots
):
    """Annotorious itself (on another site, in Chromium) draws a rectangle and a polygon
    with the mouse on the coins photograph and writes them as W3C annotations; the page of
    them goes through the annotation service's import route; our view shows both, on the
    regions Annotorious drew."""
    hub = lab_hub
    erin = new_user("lab-e2e-erin")
    erin.start_server()
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    canvas = canvas_of(hub)["id"]
    try:
        annotorious_page(context, canvas)
        page.goto(ANNOTORIOUS_SITE + "index.html")
        page.locator("body[data-open='true']").wait_for(timeout=30_000)

        def at(x: float, y: float) -> tuple[float, float]:
            point = page.evaluate(
                """([x, y]) => {
                  const p = viewer.viewport.imageToViewerElementCoordinates(
                    new OpenSeadragon.Point(x, y));
                  const box = viewer.element.getBoundingClientRect();
                  return [box.left + p.x, box.top + p.y];
                }""",
                [x, y],
            )
            return point[0], point[1]

        drag(page, at(40, 30), at(120, 100))
        page.wait_for_function("() => anno.getAnnotations().length === 1")
        page.evaluate(
            "anno.cancelSelected(); anno.setDrawingMode('click'); anno.setDrawingTool('polygon')"
        )
        corners = [(200, 150), (300, 160), (280, 260), (210, 240)]
        for corner in [*corners, corners[0]]:
            page.mouse.move(*at(*corner), steps=4)
            page.mouse.down()
            page.mouse.up()
        page.wait_for_function("() => anno.getAnnotations().length === 2")
        # A comment on each, through Annotorious's API, as its editors do.
        written = page.evaluate(
            """() => {
              for (const [n, a] of anno.getAnnotations().entries()) {
                anno.updateAnnotation({ ...a, body: [
                  { type: "TextualBody", purpose: "commenting", value: `Annotorious ${n + 1}` },
                ] });
              }
              return { "@context": "http://www.w3.org/ns/anno.jsonld",
                       type: "AnnotationPage", items: anno.getAnnotations() };
            }"""
        )
    finally:
        context.close()
    (screenshots.parent / "annotorious-page.json").write_text(json.dumps(written, indent=2))
    rect, polygon = written["items"]
    assert rect["target"]["selector"]["type"] == "FragmentSelector", rect
    assert polygon["target"]["selector"]["type"] == "SvgSelector", polygon
    assert all(a["target"]["source"] == canvas for a in written["items"])

    client = AnnotationClient(
        url=service_url(hub), token=with_token(erin).headers["Authorization"][6:]
    )
    imported = client.import_collection(written)
    assert len(imported) == 2

    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    try:
        open_lab(page, hub, erin)
        open_coins_annotator(page)
        yours = page.locator(".echoes-Group-yours")
        yours.locator(".echoes-Item-text", has_text="Annotorious 2").wait_for(timeout=30_000)
        assert group_ids(page, "yours") == set(imported)
        shown = drawn(page)
        by_text = {
            text: shown[iri]
            for iri, text in (
                (i, page.locator(f".echoes-Item[data-id='{i}'] .echoes-Item-text").inner_text())
                for i in imported
            )
        }
        assert close_to(
            tuple(round(n) for n in xywh_of(by_text["Annotorious 1"])),
            tuple(round(n) for n in xywh_of(rect["target"]["selector"])),
        )
        assert close_to(
            tuple(round(n) for n in xywh_of(by_text["Annotorious 1"])), (40, 30, 80, 70)
        )
        points = re.search(r'points="([^"]+)"', by_text["Annotorious 2"]["value"]).group(1)
        assert close_to(
            tuple(round(float(n)) for n in re.split(r"[ ,]", points)),
            tuple(n for corner in corners for n in corner),
        ), points
        screenshot(page, screenshots / "lab-annotate-annotorious-import.png")
    except Exception:
        page.screenshot(path=str(screenshots / "lab-failure-erin.png"))
        raise
    finally:
        context.close()
