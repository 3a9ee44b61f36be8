"""In Chromium: content that one person controls, opened by another, acts as nobody but
itself (issue 12, finding 2.1).

An author publishes an app whose page runs an attacking script, and a user serves the same
script from their own server (an HTML file, and a notebook rendered by Voila there). The
script tries everything its viewer's browser could do for it: read the viewer's private
annotations (fetch, and a same-origin iframe of the annotation service), change the share
of the viewer's own app through the apps API, open /hub/token, take its XSRF token and make
an API token of the viewer's, and read document.cookie, each on the page's own origin and
on every origin of the hub. It writes what it got into the page. The viewers are another
user and the administrator. The app must still work (its widget answers through the
kernel); the script must get nothing, and the hub's API must show that nothing changed.

Setup goes through each service's loopback address with tokens (what a program does), so
this file runs unchanged against a hub that serves everything on one origin: it fails
there, which is what the finding was.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from echoes.annotations import AnnotationClient
from tests.e2e.conftest import log_in
from tests.hubclient import HubSession

pytestmark = pytest.mark.shared_hub

REPORT = "#attack-report[data-done='true']"

#: The attack. VICTIM and VICTIM_APP are filled in: a targeted attack knows its victim.
SCRIPT = """
(async () => {
  const victim = VICTIM, victimApp = VICTIM_APP;
  const port = location.port ? ':' + location.port : '';
  const bases = [...new Set([location.origin, 'http://localhost' + port,
    'http://127.0.0.1' + port, 'http://annotations--service.localhost' + port,
    'http://apps--service.localhost' + port])].filter((b) => b.startsWith('http'));
  const report = {origin: location.origin, cookie: ''};
  try {
    report.cookie = document.cookie;
    // Cookie tossing: a cookie for every host of the hub, to shadow the hub's own.
    document.cookie = '_xsrf=tossed; Domain=localhost; Path=/';
    document.cookie = 'jupyterhub-session-id=tossed; Domain=localhost; Path=/';
  } catch (e) { /* a sandboxed page has no cookies */ }
  const text = async (response) => response.status + ' ' + (await response.text());
  const attempt = async (label, act) => {
    try { report[label] = await act(); } catch (e) { report[label] = 'refused: ' + e; }
  };
  const search = '/services/annotations/search?creator=urn:echoes:user:' + victim;
  for (const base of bases) {
    await attempt('fetch ' + base, async () =>
      text(await fetch(base + search, {credentials: 'include'})));
    await attempt('frame ' + base, () => new Promise((resolve) => {
      const frame = document.createElement('iframe');
      frame.src = base + search;
      frame.onload = () => {
        try { resolve('read: ' + frame.contentDocument.body.innerText); }
        catch (e) { resolve('refused: ' + e); }
      };
      frame.onerror = () => resolve('refused: error');
      setTimeout(() => resolve('refused: no answer'), 15000);
      document.body.appendChild(frame);
    }));
    await attempt('share ' + base, async () => text(await fetch(
      base + '/services/apps/api/apps/' + victim + '/' + victimApp,
      {method: 'PATCH', credentials: 'include', body: JSON.stringify({share: 'public'}),
       headers: {'Authorization': 'token stolen', 'Content-Type': 'application/json'}})));
    await attempt('token ' + base, async () => {
      const page = await (await fetch(base + '/hub/token', {credentials: 'include'})).text();
      const xsrf = (page.match(/xsrf_token: "([^"]+)"/) || [])[1] || '';
      return text(await fetch(base + '/hub/api/users/' + victim + '/tokens', {
        method: 'POST', credentials: 'include', body: JSON.stringify({note: 'stolen'}),
        headers: {'X-XSRFToken': xsrf, 'Content-Type': 'application/json'}}));
    });
  }
  const out = document.getElementById('attack-report');
  out.textContent = JSON.stringify(report);
  out.dataset.done = 'true';
})();
"""


def attack_html(victim: str, victim_app: str) -> str:
    script = SCRIPT.replace("VICTIM_APP", json.dumps(victim_app)).replace(
        "VICTIM", json.dumps(victim)
    )
    return f'<pre id="attack-report"></pre><script>{script}</script>'


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": source}  # fmt: skip


def attack_notebook(victim: str, victim_app: str) -> dict:
    widget = (
        "import ipywidgets as w\n"
        "button, label = w.Button(description='Press'), w.Label('not pressed')\n"
        "button.on_click(lambda _: setattr(label, 'value', 'pressed'))\n"
        "display(w.VBox([button, label]))"
    )
    attack = f"from IPython.display import HTML\nHTML({attack_html(victim, victim_app)!r})"
    return {
        "cells": [code_cell(widget), code_cell(attack)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def service_address(admin: HubSession, name: str) -> str:
    """A service's loopback address, from the hub's API, for setup with tokens."""
    model = admin.api("GET", f"/services/{name}").json()
    return model["url"].rstrip("/") + model["prefix"]


def publish(apps: str, person: HubSession, token: str, name: str, notebook: dict, share: str):
    response = requests.put(
        f"{apps}api/apps/{person.name}/{name}",
        json={"notebook": notebook, "share": share, "title": name},
        headers={"Authorization": f"token {token}"},
        timeout=300,
    )
    assert response.status_code == 201 and response.json()["ok"], response.text[:500]
    return response.json()


class Victim:
    """A viewer with something to lose: a private annotation, an app shared with nobody
    else, and the right to make API tokens."""

    def __init__(self, hub, admin: HubSession, person: HubSession, apps: str) -> None:
        self.person, self.admin = person, admin
        self.token = person.new_token("victim setup")
        self.secret = f"SECRET-{uuid.uuid4().hex}"
        client = AnnotationClient(url=service_address(admin, "annotations"), token=self.token)
        client.annotate("urn:echoes:catalog:heritage/secret", self.secret)
        assert self.secret in json.dumps(client.search())  # it is there, and private
        self.apps, self.app = apps, f"mine-{uuid.uuid4().hex[:6]}"
        notebook = {**attack_notebook("x", "y"), "cells": [code_cell("print('mine')")]}
        publish(apps, person, self.token, self.app, notebook, f"user:{person.name}")

    def token_notes(self) -> list[str]:
        reply = self.admin.api("GET", f"/users/{self.person.name}/tokens")
        return sorted(t["note"] or "" for t in reply.json()["api_tokens"])

    def assert_nothing_taken(self, report: str) -> None:
        assert self.secret not in report, f"the script read a private annotation: {report}"
        assert '"token":' not in report, f"the script got an API token: {report}"
        assert "stolen" not in self.token_notes(), "the script made an API token"
        app = requests.get(
            f"{self.apps}api/apps/{self.person.name}/{self.app}",
            headers={"Authorization": f"token {self.token}"},
            timeout=30,
        ).json()
        assert app["share"] == f"user:{self.person.name}", "the script changed a share"
        # A user's page may see that server's own XSRF cookie (it is on that server's
        # host already); never a cookie of the hub, a service or an app.
        cookies = json.loads(report)["cookie"]
        for name in ("jupyterhub", "echoes-app-viewer"):
            assert name not in cookies, f"the script read the cookie {name}: {cookies}"


def run_attack(browser, hub, viewer: HubSession, url: str, widget: bool, keep: Path) -> str:
    """Open `url` as `viewer` in a fresh browser; return the script's report (also kept,
    with a screenshot, as `keep`.json and .png)."""
    context = browser.new_context()
    page = context.new_page()
    try:
        log_in(page, hub, viewer)
        page.goto(url, timeout=240_000)
        if "/hub/api/oauth2/authorize" in page.url:  # someone else's server: confirm once
            page.get_by_role("button", name="Authorize").click(timeout=240_000)
        if widget:  # the app works: its widget answers through the kernel
            page.get_by_role("button", name="Press").click(timeout=120_000)
            page.get_by_text("pressed", exact=True).wait_for(timeout=60_000)
        page.locator(REPORT).wait_for(state="attached", timeout=120_000)
        report = page.locator(REPORT).text_content()
        keep.with_suffix(".json").write_text(report)
        hubs = context.cookies([f"{hub.url}/hub/", hub.service_url("annotations")])
        assert not [c for c in hubs if c["value"] == "tossed"], "a cookie was tossed"
        page.screenshot(path=str(keep.with_suffix(".png")), full_page=True)
        return report
    finally:
        context.close()


def test_an_apps_script_gets_nothing_of_its_viewer_or_the_admin(
    hub, admin, new_user, browser, screenshots
):
    apps = service_address(admin, "apps")
    author, viewer = new_user("attacker"), new_user("victim")
    author_token = author.new_token()
    for person in (viewer, admin):
        victim = Victim(hub, admin, person, apps)
        app = publish(
            apps,
            author,
            author_token,
            f"attack-{person.name}",
            attack_notebook(person.name, victim.app),
            "hub",
        )
        keep = screenshots / f"origins-app-{'admin' if person is admin else 'user'}"
        report = run_attack(browser, hub, person, urljoin(hub.url, app["url"]), True, keep)
        victim.assert_nothing_taken(report)
        assert json.loads(report)["cookie"] == "", "an app's script read a cookie"
    # The viewers came in with tickets (hub share): none of them was written to the log.
    assert "echoes-ticket=" not in hub.log()


def test_a_users_html_gets_nothing_of_whoever_opens_it(hub, admin, new_user, browser, screenshots):
    apps = service_address(admin, "apps")
    owner, guest = new_user("html-owner"), new_user("html-guest")
    share = admin.api("POST", f"/shares/{owner.name}/", json={"user": guest.name})
    assert share.status_code == 200, share.text
    assert owner.start_server().status_code in (201, 202)
    server = urljoin(hub.url, owner.server_model()["url"])  # as the hub gives it
    owner_token = owner.new_token()
    for person in (guest, admin):
        victim = Victim(hub, admin, person, apps)
        html = attack_html(person.name, victim.app)
        notebook = attack_notebook(person.name, victim.app)
        files = {
            "attack.html": ("file", "text", html),
            "attack.ipynb": ("notebook", "json", notebook),
        }
        for name, (kind, form, content) in files.items():
            reply = requests.put(
                f"{server}api/contents/{name}",
                json={"type": kind, "format": form, "content": content},
                headers={"Authorization": f"token {owner_token}"},
                timeout=30,
            )
            assert reply.status_code in (200, 201), reply.text
        for path, widget in (("files/attack.html", False), ("voila/render/attack.ipynb", True)):
            keep = (
                screenshots
                / f"origins-{path.split('/')[0]}-{'admin' if person is admin else 'user'}"
            )
            report = run_attack(browser, hub, person, server + path, widget, keep)
            victim.assert_nothing_taken(report)


def test_the_hub_logs_nobody_in_on_another_host(hub, new_user):
    """The hub's pages answer on the hub's host only: a login on a user's host would leave
    hub cookies where that user's pages run."""
    owner = new_user("host-owner")
    for host in (hub.host_url(owner.name, "user"), hub.host_url("attacker", "app")):
        page = requests.get(f"{host}/hub/login?next=/hub/token", allow_redirects=False)
        assert page.status_code == 302, page.text[:300]
        assert page.headers["Location"] == f"{hub.url}/hub/login?next=/hub/token"
        login = requests.post(
            f"{host}/hub/login", data={"username": owner.name, "password": owner.password}
        )
        assert login.status_code == 403 and "answers at" in login.json()["message"]
        assert not login.cookies, "the hub set a cookie on another host"
    # On its own host the hub still answers, and old service links go to their hosts.
    assert requests.get(f"{hub.url}/hub/login", timeout=30).status_code == 200
    old = requests.get(f"{hub.url}/services/apps/?x=1", allow_redirects=False, timeout=30)
    assert old.status_code == 302 and old.headers["Location"] == hub.service_url("apps") + "?x=1"
