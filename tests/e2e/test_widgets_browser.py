"""In JupyterLab in a real browser: a person runs a cell that shows the Annotator on the
coins photograph (OpenSeadragon and Annotorious, bundled: no network), draws a rectangle
with the mouse, describes it, saves, and the region annotation is in the annotation
service. Screenshots go to test-output/screenshots/.

On a hub of its own, not the run's shared one: the annotator shows every public annotation
of the coins photograph, and another module's public proposals would lie over this
person's (the click would select theirs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from echoes.annotations import AnnotationClient
from echoes.annotators import coins
from tests.e2e.conftest import log_in
from tests.integration.annotations_support import service_url, wait_for_service
from tests.integration.conftest import add_user

ANNOTATOR = "from echoes.widgets import Annotator\n\nAnnotator('images.coins')"
TABLE = (
    "import echoes\n"
    "from echoes.widgets import AnnotationTable\n\n"
    "pots = echoes.catalog().archaeometry.read().pottery_kilns.read()\n"
    "AnnotationTable(pots, source='archaeometry.pottery_kilns')"
)
POTTERY_KILNS = "urn:echoes:catalog:heritage/archaeometry/pottery_kilns"


def notebook(code: str) -> dict:
    cell = {"cell_type": "code", "metadata": {}, "source": code, "outputs": []}
    return {
        "cells": [{**cell, "execution_count": None}],
        "metadata": {
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def lab_user(hub, admin, data):
    """A person with a running server, the shared data built, and a token of theirs."""
    wait_for_service(hub)
    person = add_user(hub, admin, "wid-e2e")
    assert person.start_server().status_code in (201, 202)
    return person, person.new_token()


@contextmanager
def notebook_page(hub, browser, person, token: str, name: str, code: str) -> Iterator:
    """JupyterLab in the browser, logged in through the form, with a notebook of one cell
    holding ``code``, run once the kernel is there (before, a run would be lost)."""
    reply = requests.put(
        f"{person.server_url()}api/contents/{name}",
        headers={"Authorization": f"token {token}"},
        json={"type": "notebook", "content": notebook(code)},
        timeout=60,
    )
    assert reply.status_code in (200, 201), reply.text
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        log_in(page, hub, person)
        # ?reset: a fresh workspace, without the notebooks of earlier tests in other tabs.
        page.goto(f"{person.server_url()}lab/tree/{name}?reset", timeout=120_000)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
        page.locator(".jp-Notebook .jp-Cell .cm-content").first.click()
        page.keyboard.press("Shift+Enter")
        yield page
        assert "Traceback" not in page.locator(".jp-Notebook").inner_text()
    finally:
        context.close()


def test_a_rectangle_drawn_in_the_notebook_is_saved_as_a_region_annotation(
    hub, browser, screenshots, lab_user
):
    person, token = lab_user
    # The coins annotator's proposals, made for this person (shown apart, to accept).
    client = AnnotationClient(url=service_url(hub), token=token)
    data = hub.state_dir / "heritage"  # what the person's server reads
    assert len(coins.annotate(client, data_dir=data)) == 24

    with notebook_page(hub, browser, person, token, "annotate.ipynb", ANNOTATOR) as page:
        frame = page.locator(".echoes-annotator .echoes-stage[data-ready='true']")
        frame.wait_for(timeout=120_000)

        def at(x: float, y: float) -> tuple[float, float]:
            """Where a pixel of the photograph is on the page, as OpenSeadragon shows it."""
            point = frame.evaluate("(f, [x, y]) => f.echoesView.pagePoint(x, y)", [x, y])
            return point["x"], point["y"]

        # Rectangle tool, then a drag over the photograph (in its pixels: 50,40 to 130,100).
        page.click(".echoes-annotator .echoes-tool-rectangle")
        page.mouse.move(*at(50, 40))
        page.mouse.down()
        page.mouse.move(*at(90, 70), steps=4)
        page.mouse.move(*at(130, 100), steps=4)
        page.mouse.up()
        page.locator(".echoes-annotator .echoes-form-title", has_text="New region").wait_for(
            timeout=10_000
        )
        page.fill(".echoes-annotator textarea[name=text]", "An owl on the reverse")
        page.fill(".echoes-annotator input[name=tags]", "owl")
        page.select_option(".echoes-annotator select[name=visibility]", "public")
        page.click(".echoes-annotator button.echoes-save")
        page.locator(".echoes-annotator .echoes-status.echoes-ok").wait_for(timeout=60_000)
        assert page.locator(".echoes-annotator .echoes-status").inner_text() == "saved"
        page.locator(".echoes-annotator .echoes-key.echoes-yours", has_text="(1)").wait_for(
            timeout=30_000
        )

        # Accept a proposal: click it on the image (Move tool), then Accept; the verdict is
        # an `assessing` annotation by the person.
        page.click(".echoes-annotator .echoes-tool-move")
        shown = frame.evaluate(
            "f => f.echoesView.anno.getAnnotations().map(a => [a.id, a.target.selector.value])"
        )
        proposals = {
            a["id"]
            for a in client.search(coins.canvas(data)["id"])
            if a["creator"]["type"] == "Software"
        }
        boxes = {
            i: [float(n) for n in v.split("=")[-1].split(":")[-1].split(",")]
            for i, v in shown
            if i in proposals
        }
        # One in the lower half, away from the rectangle just drawn (it would be on top).
        proposal_id = next(i for i, box in boxes.items() if box[1] > 150)
        x, y, w, h = boxes[proposal_id]
        page.mouse.click(*at(x + w / 2, y + h / 2))
        page.click(".echoes-annotator button.echoes-accept")
        page.locator(".echoes-annotator .echoes-details", has_text="you accepted it").wait_for(
            timeout=60_000
        )
        # A reply in the thread under the proposal, sent by the kernel.
        page.click(".echoes-annotator button.echoes-reply-open")
        page.fill(".echoes-annotator .echoes-reply-form input", "Coin 13 is a bronze as")
        page.click(".echoes-annotator button.echoes-reply-send")
        page.locator(".echoes-annotator .echoes-reply", has_text="Coin 13 is a bronze as").wait_for(
            timeout=60_000
        )
        [reply] = client.search(proposal_id, motivation="replying")
        assert reply["creator"]["nickname"] == person.name
        page.screenshot(path=str(screenshots / "widgets-annotator.png"), full_page=True)
        [verdict] = client.search(proposal_id, motivation="assessing")
        assert verdict["creator"]["nickname"] == person.name
        assert verdict["body"]["value"] == "accepted"

        found = [
            a
            for a in client.search(coins.canvas(data)["id"], creator=person.name)
            if a["creator"]["type"] == "Person"
        ]
        assert len(found) == 1, json.dumps(found)
        stored = found[0]
        assert stored["creator"]["nickname"] == person.name
        assert stored["visibility"] == "public" and stored["motivation"] == "commenting"
        assert [b["value"] for b in stored["body"]] == ["An owl on the reverse", "owl"]
        # The rectangle in the photograph's pixels, as drawn (the mouse lands on whole
        # screen pixels: a pixel off at most).
        x, y, w, h = (int(n) for n in stored["target"]["selector"]["value"][5:].split(","))
        assert all(abs(a - b) <= 1 for a, b in zip([x, y, w, h], [50, 40, 80, 60], strict=True))


def test_ticked_rows_of_a_table_are_annotated(hub, browser, screenshots, lab_user):
    person, token = lab_user
    with notebook_page(hub, browser, person, token, "table.ipynb", TABLE) as page:
        table = page.locator(".echoes-table")
        table.locator("input[data-row='2']").wait_for(timeout=120_000)
        assert "page 1 of 3 (48 rows)" in table.locator(".echoes-pager").inner_text()
        table.locator("input[data-row='2']").check()
        table.locator("input[data-row='3']").check()
        assert table.locator("button.echoes-save").inner_text() == "Annotate 2 ticked rows"
        table.locator("textarea[name=text]").fill("Same kiln, by their chemistry")
        table.locator("select[name=visibility]").select_option("public")
        table.locator("button.echoes-save").click()
        table.locator(".echoes-status.echoes-ok").wait_for(timeout=60_000)
        assert table.locator(".echoes-status").inner_text() == "saved on 2 rows"
        table.locator(".echoes-note").first.wait_for(timeout=30_000)
        assert table.locator(".echoes-note").count() == 2  # one note on each row
        page.screenshot(path=str(screenshots / "widgets-table.png"), full_page=True)

    client = AnnotationClient(url=service_url(hub), token=token)
    [stored] = client.search(POTTERY_KILNS)
    assert stored["target"]["selector"]["value"] == "row=2-3"
    assert stored["creator"]["nickname"] == person.name
    assert stored["body"]["value"] == "Same kiln, by their chemistry"
