"""Fixtures for browser tests: Debian's Chromium driven by Playwright (never a browser
that Playwright downloads). Outside CI a missing Chromium skips; in CI it fails.

`hub` is as in tests/integration/conftest.py: the run's shared hub for modules marked
`shared_hub` (they make people of their own and look at nothing hub-wide), else the
module's own. `twins` (the twins service's URL, once it loaded the data build `data`) too."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hubclient import Hub, HubSession
from tests.integration.conftest import (  # noqa: F401 (fixtures shared with integration)
    admin,
    data,
    hub,
    hub_factory,
    hub_factory_module,
    in_ci,
    new_user,
    twins,
)

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One Chromium for the run (a launch takes seconds); every page has a context, so
    cookies, of its own."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if in_ci():
            pytest.fail(f"{CHROMIUM} is missing (make test installs Debian's chromium)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def log_in(page, at: Hub, person: HubSession) -> None:
    """Log in to the hub ``at`` through its login form in the browser page, as a person does."""
    page.goto(f"{at.url}/hub/login")
    page.fill("input[name=username]", person.name)
    page.fill("input[name=password]", person.password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def watched_page(browser, screenshots) -> Iterator:
    """`watched_page(name)`: a new browser page (its own context: its own cookies) whose
    steps fail on a traceback, a console error or an uncaught script error
    (tests/e2e/walkthrough.py, `Watched`); screenshots named after `name`."""
    from tests.e2e.walkthrough import Watched

    contexts = []

    def make(name: str) -> Watched:
        context = browser.new_context(viewport={"width": 1400, "height": 950})
        contexts.append(context)
        return Watched(context, name, screenshots)

    yield make
    for context in contexts:
        context.close()
