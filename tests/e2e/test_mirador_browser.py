"""Mirador, the IIIF viewer heritage people use, reads ECHOES: on a page served from an
origin other than the hub's, it opens the coins manifest from the IIIF service, shows the
image through the Image API and the public annotations made in ECHOES (posted through
the annotation service as a real user) in its annotation panel and on the image, each
region where it was drawn; a private annotation stays out.

Mirador is npm's `mirador` (its prebuilt UMD bundle), installed for the tests only by
`make install-dev` (tests/e2e/mirador/). The page is served by a plain HTTP server on
127.0.0.1, which is not one of the hub's hosts (localhost and *.localhost).
"""

from __future__ import annotations

import functools
import http.server
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.annotation_cases import note
from tests.hubclient import free_port_block, wait_for
from tests.integration.annotations_support import MEDIA_TYPE, new_person, wait_for_service

#: The module's own hub, not the run's shared one: the strokes on the photograph must be
#: this test's only, and other modules annotate the same canvas publicly.
pytestmark = pytest.mark.slow

MIRADOR = Path(__file__).resolve().parent / "mirador" / "node_modules" / "mirador" / "dist"
CANVAS = "https://heritage.echoes.invalid/images/coins/canvas/1"
#: Two public regions far apart (x, y, w, h in the photograph's 384 x 303 pixels).
REGIONS = {"the first coin, top left": (20, 20, 80, 60), "a coin below right": (250, 180, 100, 90)}
PRIVATE = "a private note nobody else sees"
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Mirador reads ECHOES</title></head>
<body style="margin:0">
<div id="viewer" style="position:absolute;top:0;left:0;width:1280px;height:800px"></div>
<script src="mirador.min.js"></script>
<script>
  const manifestId = new URLSearchParams(location.search).get("manifest");
  const window_ = {sideBarOpen: true, defaultSideBarPanel: "annotations",
                   highlightAllAnnotations: true, allowClose: false};
  window.mirador = Mirador.viewer({
    id: "viewer",
    windows: [{manifestId, ...window_}],
    window: window_,
    workspaceControlPanel: {enabled: false},
  });
</script>
</body></html>
"""


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory) -> Iterator[str]:
    """Mirador's page on a plain HTTP server of its own origin (a thread of this process,
    shut down at the end)."""
    bundle = MIRADOR / "mirador.min.js"
    assert bundle.is_file(), f"{bundle} is missing: make install-dev installs Mirador"
    root = tmp_path_factory.mktemp("mirador")
    (root / "index.html").write_text(PAGE)
    (root / "mirador.min.js").symlink_to(bundle)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    port = free_port_block(1)
    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def manifest(hub, data) -> str:
    iiif = hub.service_url("iiif")
    wait_for(lambda: requests.get(iiif, timeout=5).status_code == 200, 120, "the IIIF service")
    return f"{iiif}presentation/images/coins/manifest.json"


def annotate(session: requests.Session, hub, text: str, xywh: tuple, visibility: str) -> str:
    annotation = note(
        text,
        target={
            "source": CANVAS,
            "selector": {"type": "FragmentSelector", "value": "xywh=" + ",".join(map(str, xywh))},
        },
        visibility=visibility,
    )
    reply = session.post(
        hub.service_url("annotations") + "containers/default/",
        json=annotation,
        headers={"Content-Type": MEDIA_TYPE},
    )
    assert reply.status_code == 201, reply.text
    return reply.headers["Location"]


def stroke(pixel: tuple) -> bool:
    """Mirador's stroke of an annotation (#00BFFF, #BF00FF when hovered, #FFFF00 when
    selected): the only saturated colour on the greyscale photograph."""
    return max(pixel[:3]) - min(pixel[:3]) > 100


def strokes(png: bytes) -> tuple[Image.Image, list[tuple[int, int]]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    data = image.load()
    return image, [(x, y) for y in range(height) for x in range(width) if stroke(data[x, y])]


def test_mirador_shows_our_public_annotations_where_they_were_drawn(
    hub, admin, browser, elsewhere, manifest, screenshots
):
    wait_for_service(hub)
    _, author = new_person(hub, admin, "mirador-author")
    for text, xywh in REGIONS.items():
        annotate(author, hub, text, xywh, "public")
    annotate(author, hub, PRIVATE, (150, 100, 40, 40), "private")

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    tiles = []  # the statuses of the image requests (events arrive during Playwright's waits)
    page.on(
        "response",
        lambda r: tiles.append(r.status) if "/image/3/" in r.url and "/default." in r.url else None,
    )
    try:
        page.goto(f"{elsewhere}/index.html?manifest={requests.utils.quote(manifest, safe='')}")
        # The annotation panel lists the public annotations' texts, never the private one.
        for text in REGIONS:
            page.get_by_text(text).first.wait_for(timeout=60_000)
        assert page.get_by_text(PRIVATE).count() == 0
        # Mirador's store holds the AnnotationPage it fetched from the annotation service.
        fetched = page.evaluate(
            """() => Object.values(window.mirador.store.getState().annotations)
                 .flatMap(pages => Object.values(pages)).map(p => p.json && p.json.items || [])
                 .flat().map(a => a.body.value)"""
        )
        assert sorted(fetched) == sorted(REGIONS)

        # On the image: the strokes of both regions, at the places the selectors say.
        viewer = page.locator(".openseadragon-canvas").first
        viewer.wait_for(timeout=30_000)

        def drawn():
            png = viewer.screenshot()
            image, found = strokes(png)
            xs = [x for x, _ in found]
            return (png, image, found) if found and max(xs) - min(xs) > 100 else None

        _, image, found = wait_for(drawn, 60, "Mirador drawing the annotations", 0.5)
        (screenshots / "mirador-coins-annotations.png").write_bytes(page.screenshot())
        assert tiles and all(status == 200 for status in tiles), tiles  # the Image API's
        (ax, ay, aw, ah), (bx, by, bw, bh) = REGIONS.values()
        left, right = min(x for x, _ in found), max(x for x, _ in found)
        top, bottom = min(y for _, y in found), max(y for _, y in found)
        # One scale both ways: the outer edges are region A's top left, B's bottom right.
        scale = (right - left) / (bx + bw - ax)
        assert abs((bottom - top) / (by + bh - ay) - scale) < 0.04 * scale
        # Each region's inner edges are where the scale puts them.
        for x_image, y_range in ((ax + aw, (ay, ay + ah)), (bx, (by, by + bh))):
            column = round(left + (x_image - ax) * scale)
            rows = range(
                round(top + (y_range[0] - ay) * scale) + 3,
                round(top + (y_range[1] - ay) * scale) - 3,
            )
            hits = sum(
                any(stroke(image.getpixel((c, r))) for c in range(column - 3, column + 4))
                for r in rows
            )
            assert hits > 0.8 * len(rows), (x_image, column, hits, len(rows))
        # Inside a region, away from its stroke, the photograph shows (no stroke there).
        inside = (round(left + (aw / 2) * scale), round(top + (ah / 2) * scale))
        assert not stroke(image.getpixel(inside))
        # The photograph is centred in the viewer: its middle is the viewer's middle.
        middle_x = left + (384 / 2 - ax) * scale
        middle_y = top + (303 / 2 - ay) * scale
        assert abs(middle_x - image.width / 2) < 0.05 * image.width
        assert abs(middle_y - image.height / 2) < 0.05 * image.height
        print(f"Mirador: scale {scale:.3f} screen px per image px, {len(tiles)} image requests")
    finally:
        page.close()


def test_mirador_zooms_deep_into_the_large_image_through_tiles(
    browser, elsewhere, manifest, screenshots
):
    """The 10800 x 5400 relief map: Mirador asks for small tiles at first, then, zoomed in
    on the Himalaya, for tiles of full-resolution regions (512 pixels of the file each),
    every one answered by the Image API."""
    relief = manifest.replace("/coins/", "/relief/")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    regions: list[tuple[int, int]] = []  # (region width, status) of each image request

    def width(response) -> int | None:
        """The width of the region an image request asks for (None: not one)."""
        if "/image/3/" not in response.url or "/default." not in response.url:
            return None
        region = response.url.split("/")[-4]
        return int(region.split(",")[2]) if region.count(",") == 3 else 10800

    page.on("response", lambda r: regions.append((width(r), r.status)) if width(r) else None)
    try:
        # Playwright delivers events while it waits, so the waits are its own.
        started = time.perf_counter()
        with page.expect_response(lambda r: width(r) is not None, timeout=60_000):
            page.goto(f"{elsewhere}/index.html?manifest={requests.utils.quote(relief, safe='')}")
        first = time.perf_counter() - started
        # As a person zooming on Mount Everest (86.9 E, 28.0 N; the map is equirectangular):
        # Mirador's own action (updateViewport), 40 times the zoom that shows the whole map.
        page.wait_for_function(
            "() => Object.values(window.mirador.store.getState().viewers)[0]?.zoom > 0"
        )
        with page.expect_response(lambda r: (width(r) or 10**9) <= 1024, timeout=60_000):
            page.evaluate(
                """() => {
                  const store = window.mirador.store;
                  const [windowId, viewer] = Object.entries(store.getState().viewers)[0];
                  store.dispatch({type: "mirador/UPDATE_VIEWPORT", windowId,
                                  payload: {x: 8007, y: 1860, zoom: viewer.zoom * 40}});
                }"""
            )
        page.wait_for_load_state("networkidle")
        (screenshots / "mirador-relief-deep-zoom.png").write_bytes(page.screenshot())
        assert all(status == 200 for _, status in regions), regions
        print(
            f"Mirador on the relief map: first image after {first:.1f} s, "
            f"{len(regions)} image requests, smallest region {min(w for w, _ in regions)} px"
        )
    finally:
        page.close()


def test_mirador_opens_a_coins_own_manifest_from_the_twins_service(
    hub, browser, elsewhere, manifest, screenshots
):
    """Coin 7's manifest (the twins service's): Mirador shows its label, the photograph
    through the Image API, and the coin's region as an annotation named after it."""
    twins = hub.service_url("twins")
    coin = f"{twins}objects/coins/7/manifest.json"
    wait_for(lambda: requests.get(coin, timeout=5).status_code == 200, 120, "the twins service")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    tiles = []
    page.on(
        "response",
        lambda r: tiles.append(r.status) if "/image/3/" in r.url and "/default." in r.url else None,
    )
    try:
        page.goto(f"{elsewhere}/index.html?manifest={requests.utils.quote(coin, safe='')}")
        page.get_by_text("Greek coin 7 from Pompeii").first.wait_for(timeout=60_000)
        page.get_by_text("Coin 7 in the photograph").first.wait_for(timeout=60_000)
        page.locator(".openseadragon-canvas").first.wait_for(timeout=30_000)
        page.wait_for_load_state("networkidle")
        (screenshots / "mirador-coin-7-manifest.png").write_bytes(page.screenshot())
        assert tiles and all(status == 200 for status in tiles), tiles
    finally:
        page.close()
