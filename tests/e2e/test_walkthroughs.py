"""The walkthroughs: for each kind of user, the numbered steps the README or docs/ give
them, read from the document (tests/e2e/walkthrough.py) and done in Debian's Chromium on
a real hub, a screenshot at each step (test-output/screenshots/<who>-NN-<step>.png).
A step fails on a traceback, a console error, an uncaught script error or a server error
on the page, and when something the step names is not there."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import requests

from tests.e2e import walkthrough
from tests.e2e.test_apps_browser import KILNS
from tests.e2e.test_lab_browser import draw as draw_rectangle
from tests.e2e.test_lab_browser import save
from tests.e2e.walkthrough import BrowserTerminal, Step, Watched
from tests.hubclient import Hub, HubSession, Lab
from tests.integration.annotations_support import wait_for_service
from tests.notebooks import one_cell_notebook

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

README = "README.md"
REPRODUCE = "docs/reproduce.md"


def address(documented: str, hub: Hub, **names: str) -> str:
    """A documented address on this hub: its port, and people's names for `<author>`..."""
    url = documented.replace("localhost:8000", f"{hub.domain}:{hub.port}")
    for placeholder, name in names.items():
        url = url.replace(f"<{placeholder}>", name)
    assert "<" not in url, url
    return url


def exactly(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def choose(page, path: list[str]) -> None:
    """Open JupyterLab's menu path (`File`, `New`, `Terminal`), as a person clicks it."""
    page.locator(".lm-MenuBar-itemLabel", has_text=exactly(path[0])).click()
    for label in path[1:]:
        page.locator(".lm-Menu:visible .lm-Menu-itemLabel", has_text=exactly(label)).click()


def log_in_form(page, person: HubSession) -> None:
    page.fill("input[name=username]", person.name)
    page.fill("input[name=password]", person.password)
    page.click("input[type=submit], button[type=submit]")


def lab_is_open(page) -> None:
    page.locator(".lm-TabBar-tab[data-id='echoes-catalog']").wait_for(timeout=180_000)


@pytest.fixture(scope="module")
def walk_hub(hub, data) -> Hub:
    """The hub as `make up` leaves it: with the shared data built (without it every
    JupyterLab's catalog browser asks for a catalog that is not there, and is answered
    503) and the annotation service answering."""
    wait_for_service(hub)
    return hub


KILNS_OUTPUT = "Kilns of Roman Britain: 42"


def test_an_author_publishes_an_app_as_the_readme_says(walk_hub, new_user, watched_page):
    hub = walk_hub
    found = walkthrough.steps(README, "An author publishes an app")
    author, viewer = new_user("walk-author"), new_user("walk-viewer")
    author.start_server()
    notebook = next(code for code in found[0].code if code.endswith(".ipynb"))
    assert Lab(author).save_notebook(notebook, KILNS).status_code == 201
    name = notebook.removesuffix(".ipynb")
    me = watched_page("author")
    page = me.page
    gallery_url = address(found[4].command("http://apps--service"), hub)
    api = f"{gallery_url}api/apps/{author.name}/{name}"

    def log_in_and_open_the_notebook(step: Step) -> None:
        page.goto(address(step.command("http://localhost"), hub), timeout=120_000)
        log_in_form(page, author)
        lab_is_open(page)
        page.locator(".jp-DirListing-item", has_text=notebook).dblclick()
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)

    def publish_from_the_file_menu(step: Step) -> None:
        choose(page, step.menu("Publish as App…"))
        form = page.locator(".echoes-PublishForm")
        field, title, share, button = step.names
        assert form.get_by_label(field).input_value() == name
        refused = step.code[0]
        form.get_by_label(field).fill(refused)
        problem = form.locator(".echoes-PublishForm-problem")
        assert "lowercase letters" in step.text and "lowercase letters" in problem.inner_text()
        form.get_by_label(field).fill(name)
        assert problem.is_hidden()
        form.get_by_label(title).fill("Kiln map")
        form.get_by_label(share).select_option(label=step.code[1])
        page.locator(".jp-Dialog-button", has_text=exactly(button)).click()

    def the_address(step: Step) -> None:
        page.locator(".Toastify__toast", has_text=step.code[0]).wait_for(timeout=30_000)
        link = page.locator(".echoes-PublishResult a")
        link.wait_for(timeout=300_000)
        app_url = address(step.command("http://<author>"), hub, author=author.name)
        assert link.inner_text() == app_url
        with me.context.expect_page() as opened:
            link.click()
        app = me.current = opened.value
        app.get_by_text(KILNS_OUTPUT).wait_for(timeout=180_000)
        assert "print(" not in app.content()  # "without its code"

    def the_gallery_and_an_edit(step: Step) -> None:
        me.current.close()
        me.current = page
        page.locator(".jp-Dialog-button.jp-mod-accept").click()
        with me.context.expect_page() as opened:
            choose(page, step.menu("Apps Gallery"))
        gallery = me.current = opened.value
        card = gallery.locator(f"[data-app='{author.name}/{name}']")
        card.wait_for(timeout=120_000)
        assert f"Logged in as {author.name}" in gallery.inner_text("body")
        edit, title, save = step.names
        card.locator("summary", has_text=exactly(edit)).click()
        card.get_by_label(title).fill("Kilns of Kent")
        card.get_by_role("button", name=save, exact=True).click()
        gallery.locator(
            f"[data-app='{author.name}/{name}'] h2", has_text="Kilns of Kent"
        ).wait_for()

    other = watched_page("author-viewer")
    anonymous = watched_page("author-anonymous")

    def another_user_and_anonymous(step: Step) -> None:
        with other.step("hub-login"):
            other.page.goto(f"{hub.url}/hub/login", timeout=120_000)
            log_in_form(other.page, viewer)
            other.page.wait_for_load_state()
        with other.step("gallery"):
            other.page.goto(gallery_url, timeout=120_000)
            other.page.get_by_role("link", name=step.names[0], exact=True).click()
            assert f"Logged in as {viewer.name}" in other.page.inner_text("body")
        with other.step("app"):
            other.page.click(f"[data-app='{author.name}/{name}'] h2 a")
            other.page.get_by_text(KILNS_OUTPUT).wait_for(timeout=180_000)
        with anonymous.step("gallery"):
            anonymous.page.goto(gallery_url, timeout=120_000)
            anonymous.page.locator(f"[data-app='{author.name}/{name}']").wait_for()
            assert "You see the public apps" in anonymous.page.inner_text("body")
        with anonymous.step("app"):
            anonymous.page.click(f"[data-app='{author.name}/{name}'] h2 a")
            anonymous.page.get_by_text(KILNS_OUTPUT).wait_for(timeout=180_000)

    def a_new_version_from_a_terminal(step: Step) -> None:
        me.current = page
        terminal = BrowserTerminal(page)
        choose(page, step.menu("Terminal"))
        status, shown = terminal.run(step.command("echoes publish"))
        assert status == 0, shown
        app = requests.get(api, timeout=60).json()
        assert (app["version"], app["title"], app["share"]) == (2, "Kilns of Kent", "public")

    def unpublish(step: Step) -> None:
        [gallery] = [p for p in me.context.pages if p.url.startswith(gallery_url)]
        me.current = gallery
        gallery.reload()
        edit, button = step.names
        gallery.on("dialog", lambda dialog: dialog.accept())
        card = gallery.locator(f"[data-app='{author.name}/{name}']")
        card.locator("summary", has_text=exactly(edit)).click()
        card.get_by_role("button", name=button, exact=True).click()
        card.wait_for(state="detached")
        assert requests.get(api, timeout=60).status_code == 404

    actions = [
        log_in_and_open_the_notebook,
        publish_from_the_file_menu,
        the_address,
        the_gallery_and_an_edit,
        another_user_and_anonymous,
        a_new_version_from_a_terminal,
        unpublish,
    ]
    for step, action in walkthrough.walk(found, actions):
        with me.step(action.__name__.replace("_", "-")):
            action(step)


ANALYSIS = one_cell_notebook(
    "import echoes\n"
    "pots = echoes.catalog().archaeometry.read().pottery_kilns.read()\n"
    "print(len(pots), 'pots')"
)


def heading_command(document: str, starting: str) -> str:
    """The command a section of `document` is headed by (`## `echoes run NOTEBOOK [...]``),
    without its optional parts."""
    text = (walkthrough.ROOT / document).read_text()
    [command] = re.findall(rf"^#+ `({re.escape(starting)}[^`]*)`", text, flags=re.M)
    return re.sub(r" \[[^\]]*\]", "", command)


def in_a_terminal(me: Watched, hub: Hub, person: HubSession, menu: list[str]) -> BrowserTerminal:
    """Log in, open JupyterLab and a terminal in it through the documented menu path."""
    terminal = BrowserTerminal(me.page)
    me.page.goto(f"{hub.url}/hub/login", timeout=120_000)
    log_in_form(me.page, person)
    me.page.goto(f"{person.server_url()}lab", timeout=180_000)
    lab_is_open(me.page)
    choose(me.page, menu)
    return terminal


def test_a_reviewer_reproduces_a_published_run_as_docs_reproduce_says(
    walk_hub, new_user, admin, watched_page
):
    hub = walk_hub
    found = walkthrough.steps(
        REPRODUCE, "Reviewers: re-executing a published notebook (admin workflow)"
    )
    alice, rita = new_user("walk-alice"), new_user("walk-rita")
    alice.start_server()
    rita.start_server()
    names = {"<state>": str(hub.state_dir), "alice": alice.name, "rita": rita.name}

    def documented(text: str) -> str:
        for name, real in names.items():
            text = text.replace(name, real)
        return text

    copy = found[0].command("install ")
    published_notebook = Path(copy.split()[-1])
    notebook = published_notebook.name.replace(".out.ipynb", ".ipynb")
    assert Lab(alice).save_notebook(notebook, ANALYSIS).status_code == 201
    author = watched_page("reviewer-author")
    with author.step("author-runs"):
        terminal_menu = found[3].menu("Terminal")
        shell = in_a_terminal(author, hub, alice, terminal_menu)
        run = heading_command(REPRODUCE, "echoes run ").replace("NOTEBOOK", notebook)
        status, shown = shell.run(run)
        assert status == 0, shown

    me = watched_page("reviewer")
    record = found[0].code[found[0].code.index(copy) + 1]  # "(same for `...run.json`)"
    token = admin.new_token("walkthrough")

    def publish(step: Step) -> None:
        for name in (published_notebook.name, record):
            done = subprocess.run(
                documented(copy.replace(published_notebook.name, name)), shell=True
            )
            assert done.returncode == 0
        assert (hub.state_dir / "published" / alice.name / record).exists()

    def an_account_in_the_group(step: Step) -> None:
        calls = [c for c in step.code if c.startswith("POST /hub/api/")]
        [body] = [json.loads(documented(c)) for c in step.code if c.startswith("{")]
        assert len(calls) == 2, step.code
        for call in calls:
            path = call.removeprefix("POST ")
            reply = requests.post(
                f"{hub.url}{path}",
                headers={"Authorization": f"token {token}"},
                json=body if path.endswith("/users") else None,
                timeout=60,
            )
            assert reply.status_code in (200, 201) or "already exists" in reply.text, reply.text
        group = requests.get(
            f"{hub.url}/hub/api/groups/reviewers",
            headers={"Authorization": f"token {token}"},
            timeout=60,
        ).json()
        assert rita.name in group["users"], group

    def the_pinned_environment(step: Step) -> None:
        assert "locally" in step.text  # local servers: one environment, the record says which
        kept = json.loads((hub.state_dir / "published" / alice.name / record).read_text())
        assert kept["environment"]["identity"], kept["environment"]

    reviewer_shell: list[BrowserTerminal] = []

    def re_execute(step: Step) -> None:
        reviewer_shell.append(in_a_terminal(me, hub, rita, step.menu("Terminal")))
        status, shown = reviewer_shell[0].run(documented(step.command("echoes reproduce")))
        assert status == 0, shown
        output = step.command("echoes reproduce").split("-o ")[1].removeprefix("~/")
        assert "report.html" in step.code
        me.current = me.context.new_page()
        me.current.goto(f"{rita.server_url()}files/{output}/report.html", timeout=60_000)
        assert "reproduces" in me.current.inner_text("body")

    def cite(step: Step) -> None:
        me.current.close()
        me.current = me.page
        command = documented(step.command("echoes crate"))
        status, shown = reviewer_shell[0].run(command)
        assert status == 0, shown
        crate = command.split("-o ")[1].split()[0].removeprefix("~/")
        assert (hub.state_dir / "homes" / rita.name / crate).stat().st_size > 0

    actions = [publish, an_account_in_the_group, the_pinned_environment, re_execute, cite]
    for step, action in walkthrough.walk(found, actions):
        with me.step(action.__name__.replace("_", "-")):
            action(step)


def draw(page) -> str:
    """In the open view, the person draws a region on the photograph with the mouse
    (Annotorious's Rectangle tool), describes it, chooses who sees it and saves it; its text."""
    text = "A coin drawn in the walkthrough"
    draw_rectangle(page, 0.2, 0.25, 0.45, 0.55)
    save(page, text, "coin", "private")
    return text


def test_a_scientist_finds_loads_and_annotates_as_the_readme_says(walk_hub, new_user, watched_page):
    hub = walk_hub
    found = walkthrough.steps(README, "A scientist's first analysis")
    scientist = new_user("walk-scientist")
    scientist.start_server()
    me = watched_page("scientist")
    page = me.page
    entry_path: list[str] = []

    def log_in(step: Step) -> None:
        page.goto(address(step.command("http://localhost"), hub), timeout=120_000)
        log_in_form(page, scientist)
        lab_is_open(page)

    def the_catalog(step: Step) -> None:
        tab = page.locator(f".lm-TabBar-tab[title='{step.names[0]}']")
        assert tab.count() == 1, f"no side bar tab {step.names[0]!r}"
        panel = page.locator("#echoes-catalog")
        if not panel.is_visible():
            tab.click()
        words, path = step.code
        page.fill(".echoes-Catalog-search", words)
        page.locator(".echoes-Catalog-results").wait_for(timeout=60_000)
        page.click(f".echoes-Catalog-entry[data-path='{path}']")
        entry = page.locator(f".echoes-Entry[data-path='{path}']")
        for fact in ("licence", "citation"):
            assert fact in step.text
            entry.locator(f"[data-fact='{fact}']").wait_for(timeout=60_000)
        page.locator(".echoes-Preview-image").wait_for(timeout=60_000)
        entry_path.append(path)

    def insert_and_run(step: Step) -> None:
        entry = page.locator(f".echoes-Entry[data-path='{entry_path[0]}']")
        entry.get_by_role("button", name=step.names[0], exact=True).click()
        cell = page.locator(".jp-Notebook .jp-Cell.jp-mod-active")
        cell.locator("text=.read()").first.wait_for(timeout=120_000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
            timeout=120_000
        )
        cell.locator(".cm-content").click()
        page.keyboard.press(step.code[0])
        output = page.locator(".jp-Notebook .jp-OutputArea-output", has_text="array(")
        output.first.wait_for(timeout=120_000)

    def search_in_code(step: Step) -> None:
        page.locator(".jp-Notebook .jp-Cell.jp-mod-active .cm-content").click()
        page.keyboard.type(step.code[0])
        page.keyboard.press("Shift+Enter")
        hits = page.locator(".jp-Notebook .jp-OutputArea-output", has_text="catalog entr")
        hits.first.wait_for(timeout=120_000)
        assert entry_path[0] in hits.first.inner_text()

    def annotate(step: Step) -> None:
        entry = page.locator(f".echoes-Entry[data-path='{entry_path[0]}']")
        entry.get_by_role("button", name=step.names[0], exact=True).click()
        page.locator(".echoes-Annotator-frame[data-ready='true']").wait_for(timeout=60_000)
        text = draw(page)
        yours = page.locator(".echoes-Group-yours .echoes-Item-text", has_text=text)
        yours.wait_for(timeout=30_000)

    actions = [log_in, the_catalog, insert_and_run, search_in_code, annotate]
    for step, action in walkthrough.walk(found, actions):
        with me.step(action.__name__.replace("_", "-")):
            action(step)
