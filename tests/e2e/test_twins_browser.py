"""The twin page in a real browser (Debian's chromium) behind the real hub, as a museum
visitor and as a researcher in JupyterLab: anonymously, a coin's page shows its region
of the photograph (from the IIIF service) and the whole photograph with the region
outlined; a pottery sample's page shows the plot of its kiln's samples, and a related
link leads to another sample's page. In JupyterLab, the catalog browser's "Open digital
twin…" on the coins entry and the command palette's "Open digital twin" each open an
object's page in a main-area panel, framed from the twins service's host; the panel's
"Agree" on another person's interpretation opens the annotation service's form in a tab
of its own, logged in, and the answer recorded there shows in the panel; the panel's
"Image and its annotations" opens the coin's photograph in the annotation view
(OpenSeadragon, Annotorious), zoomed to the coin. Screenshots go to
test-output/screenshots/ (twin-*.png)."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.test_lab_browser import open_catalog, open_lab
from tests.hubclient import wait_for
from tests.integration.annotations_support import new_person
from tests.integration.test_twins_answers import interpretation_of, made
from tests.integration.test_twins_interpretations import depicts

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]


def loaded_images(page_or_frame, selector: str) -> list[int]:
    """The natural widths of the images ``selector`` finds (0: not loaded)."""
    return page_or_frame.locator(selector).evaluate_all("imgs => imgs.map(i => i.naturalWidth)")


def test_a_visitor_reads_a_coins_page_and_a_pottery_samples_plot_and_follows_a_related_link(
    twins, watched_page
):
    visitor = watched_page("twin-visitor")
    page = visitor.page
    with visitor.step("coin"):
        reply = page.goto(twins + "objects/coins/7")
        assert reply.status == 200
        assert page.locator("h1").inner_text() == "Greek coin 7 from Pompeii"
        page.locator("figure.region img").wait_for()
        page.wait_for_function(
            "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
        )
        [width] = loaded_images(page, "figure.region img")
        assert width == 42  # the region xywh=25,104,42,41, at its full size
        whole = page.locator("svg.whole")
        assert whole.is_visible() and whole.locator("rect.region").count() == 1
        assert page.locator("a", has_text="IIIF manifest").count() == 1
    with visitor.step("pottery"):
        page.goto(twins + "objects/pottery/GB1")
        plot = page.locator("svg.echoes-plot")
        assert plot.is_visible()
        assert plot.locator("circle.point").count() == 22  # kiln 1's samples
        assert plot.locator("circle.this").count() == 1
        assert "kiln 1 (Gloucester)" in page.locator("figure.group-plot figcaption").inner_text()
    with visitor.step("related"):
        link = page.locator(".related-links a", has_text="specimen GA1").first
        with page.expect_navigation():
            link.click()
        assert page.url == twins + "objects/pottery/GA1"
        assert page.locator("h1").inner_text() == "Romano-British pottery specimen GA1"
        assert page.locator("svg.echoes-plot circle.this").count() == 1


def test_jupyterlab_opens_twins_from_the_catalog_and_the_palette_and_agrees_in_a_panel(
    hub, admin, twins, new_user, watched_page
):
    person = new_user("twin")
    # Someone else's public interpretation of coin 7, for the panel's Agree.
    _, other = new_person(hub, admin, "twin-o")
    label = f"Athena {uuid.uuid4().hex[:6]}"
    theirs = made(
        other, hub, depicts("urn:echoes:object:coins/7", "urn:x:athena", label, visibility="public")
    )
    wait_for(lambda: interpretation_of(twins, theirs, "coins/7"), 60, "the interpretation")
    researcher = watched_page("twin-lab")
    page = researcher.page
    with researcher.step("catalog"):
        open_lab(page, hub, person)
        open_catalog(page)
        page.fill(".echoes-Catalog-search", "coins pompeii")
        page.locator(".echoes-Catalog-results").wait_for(timeout=60_000)
        page.click(".echoes-Catalog-entry[data-path='images.coins']")
        button = page.locator(".echoes-Entry[data-path='images.coins'] .echoes-OpenTwin")
        button.click(timeout=30_000)
        asked = page.locator(".jp-Dialog input")
        assert asked.input_value() == "coins/"
        asked.fill("coins/7")
        asked.press("Enter")
        # Each panel by its own id: another panel's frame may still be the visible one.
        frame = page.frame_locator("#echoes-twin-coins-7 iframe")
        assert frame.locator("h1").inner_text(timeout=30_000) == "Greek coin 7 from Pompeii"
        frame.locator("figure.region img").wait_for()
        tab = page.locator(".lm-TabBar-tab", has_text="Twin: coins/7")
        assert tab.count() == 1
    with researcher.step("palette"):
        page.keyboard.press("Control+Shift+C")
        page.locator(".lm-CommandPalette-input").fill("Open digital twin")
        page.locator(".lm-CommandPalette-item", has_text="Open digital twin").first.click()
        asked = page.locator(".jp-Dialog input")
        asked.fill("urn:echoes:object:pottery/GB1")
        asked.press("Enter")
        frame = page.frame_locator("#echoes-twin-pottery-GB1 iframe")
        heading = frame.locator("h1")
        assert heading.inner_text(timeout=30_000) == "Romano-British pottery specimen GB1"
        assert frame.locator("svg.echoes-plot circle.point").count() == 22
        # A related link navigates inside the panel.
        frame.locator(".related-links a", has_text="specimen GA1").first.click()
        frame.locator("h1", has_text="specimen GA1").wait_for(timeout=30_000)
    with researcher.step("agree"):
        tab.click()  # back to coin 7's panel
        frame = page.frame_locator("#echoes-twin-coins-7 iframe")
        article = frame.locator("article.interpretation", has_text=f"The head of {label}")
        assert article.locator(".agree").inner_text() == "0 agree"
        with page.expect_popup() as opened:
            article.locator("a.answer", has_text="Agree").click()
        form = opened.value  # a tab of its own, outside the panel's sandbox, logged in
        form.locator("button", has_text="Record my answer").wait_for(timeout=60_000)
        assert form.locator("input[name=verdict][value=agreed]").is_checked()
        assert f"The head of {label}" in form.locator("blockquote").inner_text()
        form.fill("textarea[name=text]", "The owl agrees")
        form.click("button:has-text('Record my answer')")
        form.locator("[role=status]", has_text="recorded").wait_for(timeout=30_000)
        form.close()
        wait_for(
            lambda: interpretation_of(twins, theirs, "coins/7")["agree"],
            60,
            "the agreement on the object",
        )
        page.locator("#echoes-twin-coins-7 iframe").evaluate("f => { f.src = f.src; }")
        article = frame.locator("article.interpretation", has_text=f"The head of {label}")
        assert article.locator(".agree").inner_text(timeout=30_000) == "1 agree"
        assert "The owl agrees" in article.locator(".replies").inner_text()
    with researcher.step("image"):
        page.locator(".echoes-TwinImage").click()
        view = page.locator(".echoes-Annotator-frame[data-ready='true']")
        view.wait_for(timeout=60_000)
        record = requests.get(
            f"{twins}objects/coins/7", headers={"Accept": "application/ld+json"}, timeout=30
        ).json()
        [point] = record["representation"][0]["digitally_shown_by"][0]["access_point"]
        x, y, w, h = (int(v) for v in point["id"].rpartition("xywh=")[2].split(","))

        def shown() -> list[float]:  # the image rectangle in view, in pixels
            return view.evaluate(
                """frame => {
                  const viewport = frame.echoesView.viewer.viewport;
                  const r = viewport.viewportToImageRectangle(viewport.getBounds(true));
                  return [r.x, r.y, r.width, r.height];
                }"""
            )

        def on_the_coin() -> bool:
            left, top, width, height = shown()
            inside = left <= x and top <= y and x + w <= left + width and y + h <= top + height
            return inside and width < 4 * w  # the coin, not the whole photograph (384 wide)

        wait_for(on_the_coin, 30, "the view zoomed to coin 7", 0.5)
