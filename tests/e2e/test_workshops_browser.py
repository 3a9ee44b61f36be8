"""The workshop in browsers: three attendees join at once in Chromium, each gets a
JupyterLab of their own with the trainer's materials; one, who joined with a display
name that is markup, clicks "I need help", and the trainer's live page shows the raised
hand, the name as text (its script never runs), and marks it handled."""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import log_in
from tests.integration.workshops_support import new_event, new_trainer, shell

pytestmark = [
    pytest.mark.shared_hub,
    pytest.mark.skipif(os.geteuid() != 0, reason="servers run as other users only as root"),
]
NAME = "<script>window.pwned = 1</script>Eve"


def account_of(page) -> str:
    """The hub account whose server the page shows (/user/<account>/lab)."""
    return page.url.split("/user/", 1)[1].split("/", 1)[0]


def test_three_attendees_join_at_once_and_the_trainers_page_shows_a_raised_hand(
    hub,
    admin,
    watched_page,
    data,  # the shared data: JupyterLab's catalog panel reads it
):
    trainer = new_trainer(hub, admin)
    trainer.start_server()
    shell(trainer, "mkdir -p pottery && echo 'Welcome to the course' > pottery/README.md")
    event = new_event(hub, trainer, title="Pottery, live", materials="pottery")
    attendees = [watched_page(f"workshop-attendee-{n}") for n in range(3)]
    # All three send the join form before any lab is up: their servers start together.
    for attendee, name in zip(attendees, [NAME, "Ada", "Bob"], strict=True):
        with attendee.step("join"):
            attendee.page.goto(event["join_url"])
            attendee.page.fill("input[name=code]", event["code"])
            attendee.page.fill("input[name=display_name]", name)
            # The step's screenshot is of the page the form leads to, once it is drawn:
            # one taken while the hub answers the post fails in Chromium.
            with attendee.page.expect_navigation(timeout=120_000):
                attendee.page.click("button[type=submit], input[type=submit]")
    for attendee in attendees:
        with attendee.step("lab"):
            # The hub starts the server and opens JupyterLab, with the button for
            # attendees, and the materials in the file browser.
            attendee.page.locator("#echoes-raise-hand").wait_for(timeout=240_000)
            attendee.page.locator(".jp-DirListing-itemName", has_text="pottery").wait_for(
                timeout=120_000
            )
    accounts = [account_of(attendee.page) for attendee in attendees]
    assert len(set(accounts)) == 3 and all(a.startswith("guest-") for a in accounts), accounts
    attendee, page = attendees[0], attendees[0].page
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
        shown = [name.inner_text() for name in live.locator("#attendees .display-name").all()]
        assert sorted(shown) == sorted([NAME, "Ada", "Bob"]), shown
        assert live.locator("#attendees script, #hands script").count() == 0
        assert live.evaluate("window.pwned") is None
    with watcher.step("handled"):
        hand.get_by_role("button", name="Mark handled").click()
        live.locator(".raised-hand").wait_for(state="detached", timeout=30_000)
        assert "handled by" in live.locator("#attendees").inner_text()
    with attendee.step("seen"):
        # The server asks the service every 15 s; the page reads its answer.
        page.get_by_text("has seen your raised hand").wait_for(timeout=90_000)
