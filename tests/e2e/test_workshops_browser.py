"""The workshop in two browsers: an attendee who joined with a display name that is
markup clicks "I need help" in JupyterLab, and the trainer's live page shows the raised
hand, the name as text (its script never runs), and marks it handled."""

from __future__ import annotations

import os

import pytest

from echoes_data import recipe
from tests.e2e.conftest import log_in
from tests.integration.workshops_support import new_event, new_trainer

pytestmark = [
    pytest.mark.shared_hub,
    pytest.mark.skipif(os.geteuid() != 0, reason="servers run as other users only as root"),
]
NAME = "<script>window.pwned = 1</script>Eve"


def test_an_attendee_raises_a_hand_in_jupyterlab_and_the_trainers_page_shows_it(
    hub, admin, watched_page
):
    recipe.build(hub.state_dir / "heritage")  # JupyterLab's catalog panel reads it
    trainer = new_trainer(hub, admin)
    event = new_event(hub, trainer, title="Pottery, live")
    attendee = watched_page("workshop-attendee")
    page = attendee.page
    with attendee.step("join"):
        page.goto(event["join_url"])
        page.fill("input[name=code]", event["code"])
        page.fill("input[name=display_name]", NAME)
        page.click("button[type=submit], input[type=submit]")
        # The hub starts the server and opens JupyterLab, with the button for attendees.
        page.locator("#echoes-raise-hand").wait_for(timeout=240_000)
    with attendee.step("raise-hand"):
        page.locator("#echoes-raise-hand").click()
        page.get_by_text("Your hand is raised").wait_for(timeout=60_000)

    watcher = watched_page("workshop-trainer")
    live = watcher.page
    with watcher.step("live-page"):
        log_in(live, hub, trainer)
        live.goto(f"{hub.service_url('workshops')}events/{event['id']}")
        hand = live.locator(".raised-hand")
        hand.wait_for(timeout=60_000)
        assert NAME in hand.inner_text(), hand.inner_text()
        shown = live.locator("#attendees .display-name")
        assert shown.inner_text() == NAME
        assert live.locator("#attendees script, #hands script").count() == 0
        assert live.evaluate("window.pwned") is None
    with watcher.step("handled"):
        hand.get_by_role("button", name="Mark handled").click()
        live.locator(".raised-hand").wait_for(state="detached", timeout=30_000)
        assert "handled by" in live.locator("#attendees").inner_text()
    with attendee.step("seen"):
        # The server asks the service every 15 s; the page reads its answer.
        page.get_by_text("has seen your raised hand").wait_for(timeout=90_000)
