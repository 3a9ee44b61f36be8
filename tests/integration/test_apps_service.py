"""Published apps through the real hub and proxy: publish with the CLI, open as each kind
of viewer, republish, unpublish, a broken notebook, and what viewers cannot reach.

On the run's shared hub (its people and apps are its own), but for the app that never
renders: that one needs a hub whose pages time out within seconds, and reads its log.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import websocket

from tests.hubclient import HubSession, Kernel, Lab, enter_app
from tests.integration.conftest import add_user, login_admin
from tests.notebooks import one_cell_notebook

pytestmark = pytest.mark.shared_hub

REPO = Path(__file__).resolve().parents[2]
POTTERY = REPO / "notebooks" / "apps" / "pottery-explorer.ipynb"
ECHOES = str(Path(sys.executable).parent / "echoes")
TITLE = "Romano-British pottery"
AS_ROOT = os.geteuid() == 0


def publish(
    hub, person: HubSession, notebook: Path, name: str, share: str, token=None, options=()
) -> subprocess.CompletedProcess:
    """`echoes publish` as an author runs it (`options`: more of its arguments)."""
    return subprocess.run(
        [
            *(ECHOES, "publish", str(notebook), "--name", name, "--share", share),
            *("--hub", hub.url, "--token", token or person.new_token(), *options),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


def publish_notebook(
    hub, person: HubSession, notebook: dict, folder: Path, name: str, share: str
) -> subprocess.CompletedProcess:
    """Write `notebook` to `folder`/<name>.ipynb and publish it as app `name`: it must
    publish (exit 0, the trial run passed)."""
    path = folder / f"{name}.ipynb"
    path.write_text(json.dumps(notebook))
    result = publish(hub, person, path, name, share)
    assert result.returncode == 0, result.stderr
    return result


def app_url(hub, author: str, name: str) -> str:
    """An app's address: on its author's host (<author>--app.localhost)."""
    return hub.app_url(author, name)


def renders(http: requests.Session, url: str) -> bool:
    """True when the app's page renders for this browser session (following hub OAuth
    on the apps service's host and the ticket back to the app's host)."""
    response = http.get(url, headers={"Accept": "text/html"}, timeout=180)  # as a browser
    return response.status_code == 200 and TITLE in response.text


def opens(hub, http: requests.Session, author: str, name: str) -> bool:
    """True when this session gets through the app's access check: one of Voila's assets
    (every request to the app's address is checked the same way, the page included)."""
    if http.cookies:  # a hub user: enter the app as a browser would have
        enter_app(hub, http, author, name)
    response = http.get(app_url(hub, author, name) + "voila/static/voila.js", timeout=180)
    assert response.status_code in (200, 404), response.text[:300]
    return response.status_code == 200


def shell_message(msg_type: str, msg_id: str, content: dict) -> str:
    """A message to the kernel's shell channel in the legacy websocket framing (JSON text)."""
    header = {"msg_id": msg_id, "msg_type": msg_type, "session": "s", "username": ""}
    header["version"] = "5.3"
    message = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
    return json.dumps({**message, "channel": "shell"})


def assert_viewer_cannot_execute(url: str, page: str) -> None:
    """The page's own kernel: an execute_request sent through the app's address is dropped
    (a kernel_info_request sent after it is answered, the execute_request never)."""
    kernel_id = page.split('"kernelId": "', 1)[1].split('"', 1)[0]
    ws = websocket.create_connection(
        url.replace("http", "ws", 1) + f"api/kernels/{kernel_id}/channels", timeout=10
    )
    try:
        code = {"code": "open('/tmp/pwned', 'w')", "silent": False}
        ws.send(shell_message("execute_request", "x1", code))
        ws.send(shell_message("kernel_info_request", "k1", {}))
        replies = set()
        while "k1" not in replies:
            msg = json.loads(ws.recv())
            replies.add(msg.get("parent_header", {}).get("msg_id"))
        assert "x1" not in replies, "the kernel ran code a viewer sent"
    finally:
        ws.close()


@pytest.fixture(scope="module")
def people(hub, admin):
    author = add_user(hub, admin, "app-author")
    member = add_user(hub, admin, "app-member")
    stranger = add_user(hub, admin, "app-other")
    group = f"{author.name}-team"
    assert admin.api("POST", f"/groups/{group}").status_code in (201, 409)
    response = admin.api("POST", f"/groups/{group}/users", json={"users": [member.name]})
    assert response.status_code == 200, response.text
    return author, member, stranger, group


def test_each_share_mode_opens_for_exactly_whom_it_should(hub, admin, people):
    author, member, stranger, group = people
    result = publish(hub, author, POTTERY, "pottery-shared", "public")
    assert result.returncode == 0, result.stderr
    url = app_url(hub, author.name, "pottery-shared")
    assert renders(requests.Session(), url), "a public app does not render for anonymous"
    assert renders(member.http, url)
    api = f"{hub.service_url('apps')}api/apps/{author.name}/pottery-shared"
    token = {"Authorization": f"token {author.new_token()}"}
    cases = {
        "public": {"anonymous": True, "member": True, "stranger": True},
        "hub": {"anonymous": False, "member": True, "stranger": True},
        f"group:{group}": {"anonymous": False, "member": True, "stranger": False},
        f"user:{member.name}": {"anonymous": False, "member": True, "stranger": False},
    }
    for share, expected in cases.items():
        response = requests.patch(api, json={"share": share}, headers=token, timeout=30)
        assert response.status_code == 200 and response.json()["share"] == share
        anonymous = requests.Session()
        app = (author.name, "pottery-shared")
        seen = {
            "anonymous": opens(hub, anonymous, *app),
            "member": opens(hub, member.http, *app),
            "stranger": opens(hub, stranger.http, *app),
        }
        assert seen == expected, f"share {share}: {seen}"
        assert opens(hub, author.http, *app), "the author cannot open their own app"
        assert opens(hub, admin.http, *app), "an administrator cannot open the app"
        if not expected["anonymous"]:
            # Anonymous browsers are sent to log in on the apps service's host (then the
            # hub's login), never shown the app.
            first = anonymous.get(
                url, headers={"Accept": "text/html"}, allow_redirects=False, timeout=30
            )
            assert first.status_code == 302
            assert first.headers["Location"].startswith(f"{hub.service_url('apps')}enter/")
            second = anonymous.get(first.headers["Location"], allow_redirects=False, timeout=30)
            assert "/hub/api/oauth2/authorize" in second.headers["Location"]
        listing = requests.get(f"{hub.service_url('apps')}api/apps", timeout=30).json()
        listed = {(a["author"], a["name"]) for a in listing["apps"]}
        assert ((author.name, "pottery-shared") in listed) == expected["anonymous"]
        gallery = stranger.http.get(hub.service_url("apps"), timeout=30).text
        assert (f"{author.name}/pottery-shared" in gallery) == expected["stranger"]


def test_viewers_reach_no_jupyter_api_and_cannot_execute_code(hub, people):
    author, _member, _, _ = people
    assert publish(hub, author, POTTERY, "pottery-locked", "public").returncode == 0
    url = app_url(hub, author.name, "pottery-locked")
    page = requests.get(url, timeout=240)
    assert page.status_code == 200
    for path in [
        "api/contents",
        "api/kernels",
        "api/sessions",
        "api/terminals",
        "voila/api/contents/",
        "voila/tree",
        "app.ipynb",
        "voila/files/app.ipynb",
        "api/kernelspecs",
        "lab",
    ]:
        response = requests.get(url + path, timeout=30)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert "import" not in response.text
    assert requests.post(url + "api/kernels", timeout=30).status_code in (403, 404, 405)
    assert_viewer_cannot_execute(url, page.text)


def test_author_cannot_be_impersonated_and_bad_input_is_refused(hub, people):
    author, member, _, _ = people
    token = member.new_token()
    api = f"{hub.service_url('apps')}api/apps"
    headers = {"Authorization": f"token {token}"}
    body = {"notebook": json.loads(POTTERY.read_text()), "share": "public"}
    response = requests.put(f"{api}/{author.name}/stolen", json=body, headers=headers)
    assert response.status_code == 403 and "message" in response.json()
    response = requests.put(f"{api}/{member.name}/Bad Name", json=body, headers=headers)
    assert response.status_code in (400, 404)
    bad = requests.put(
        f"{api}/{member.name}/ok-name", json={"notebook": {"cells": 3}}, headers=headers
    )
    assert bad.status_code == 400 and "notebook" in bad.json()["message"]
    share = requests.put(
        f"{api}/{member.name}/ok-name", json={**body, "share": "friends"}, headers=headers
    )
    assert share.status_code == 400 and "share" in share.json()["message"]
    escape = requests.put(
        f"{api}/{member.name}/ok-name", json={**body, "files": {"../x": ""}}, headers=headers
    )
    assert escape.status_code == 400
    anonymous = requests.put(f"{api}/{member.name}/ok-name", json=body)
    assert anonymous.status_code == 401  # changes need a token (or the cookie and XSRF)
    assert (
        requests.delete(f"{api}/{author.name}/pottery-public", headers=headers).status_code == 403
    )


def test_republish_unpublish_and_broken_notebook(hub, people, tmp_path):
    author, member, _, _ = people
    notebook = json.loads(POTTERY.read_text())
    publish_notebook(hub, author, notebook, tmp_path, "versions", "hub")
    url = app_url(hub, author.name, "versions")
    for person in (author, member):
        assert enter_app(hub, person.http, author.name, "versions"), person.name
    assert "Version two" not in member.http.get(url, timeout=240).text

    notebook["cells"][0]["source"] = "# Version two of the pottery explorer\n" + TITLE
    result = publish_notebook(hub, author, notebook, tmp_path, "versions", "hub")
    assert "version 2" in result.stdout
    assert "Version two" in member.http.get(url, timeout=240).text

    broken = tmp_path / "broken.ipynb"
    notebook["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "1 / 0",
        }
    )
    broken.write_text(json.dumps(notebook))
    result = publish(hub, author, broken, "versions", "hub")
    assert result.returncode == 1
    assert "ZeroDivisionError" in result.stderr  # the author sees the error
    page = member.http.get(url, timeout=60)
    assert page.status_code == 503
    assert "could not be run" in page.text
    assert "ZeroDivisionError" not in page.text and "Traceback" not in page.text
    assert "ZeroDivisionError" in author.http.get(url, timeout=60).text

    token = author.new_token()
    result = subprocess.run(
        [
            ECHOES,
            "publish",
            "--unpublish",
            "--name",
            "versions",
            "--hub",
            hub.url,
            "--token",
            token,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert member.http.get(url, timeout=240).status_code == 404
    assert author.http.get(url, timeout=240).status_code == 404


def test_cli_names_the_file_and_line_of_a_bad_notebook(hub, people, tmp_path):
    author = people[0]
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [\n  1,\n  oops\n]}')
    result = publish(hub, author, bad, "bad", "hub")
    assert result.returncode != 0
    assert str(bad) in result.stderr and "line 3" in result.stderr


def probe_notebook(paths: dict[str, str]) -> dict:
    """A notebook that tries to read each path and prints `PROBE <label>: <outcome>`."""
    checks = "".join(
        f"try:\n    open({path!r}, 'rb').read()\n    print('PROBE {label}: ' + 'read')\n"
        f"except OSError as e:\n    print('PROBE {label}: ' + type(e).__name__)\n"
        for label, path in paths.items()
    )
    return one_cell_notebook(checks)


@pytest.mark.skipif(not AS_ROOT, reason="accounts exist only as root (CI runs as root)")
def test_snapshots_are_closed_to_other_users_and_to_other_authors_apps(hub, people, tmp_path):
    author, member, stranger, _ = people
    result = publish(hub, author, POTTERY, "private-pottery", f"user:{member.name}")
    assert result.returncode == 0, result.stderr
    folder = hub.state_dir / "apps" / "snapshots" / author.name
    snapshot = folder / "private-pottery" / "v1" / "app.ipynb"
    # Owned by root, readable by the group of the author's own apps account only.
    info = snapshot.stat()
    account = f"echoesapp-{author.name}"
    import grp

    assert (info.st_uid, grp.getgrgid(info.st_gid).gr_name) == (0, account)
    assert info.st_mode & 0o777 == 0o640 and folder.stat().st_mode & 0o777 == 0o750

    # Another user's server cannot read it, nor list the author's apps.
    assert stranger.start_server().status_code in (201, 202)
    kernel = Kernel(stranger.server_url(), stranger.new_token())
    try:
        for attempt in (f"open({str(snapshot)!r}).read()", f"os.listdir({str(folder)!r})"):
            outcome = kernel.execute(
                "import os\n"
                f"try:\n    {attempt}\n    print('read')\n"
                "except OSError as e:\n    print(type(e).__name__)\n"
                "print(os.getuid(), os.getgroups())"
            )
            assert outcome.startswith("PermissionError"), (attempt, outcome)
    finally:
        kernel.close()
    stranger.stop_server()

    # Another author's app (its code runs as that author's apps account) cannot either,
    # while it reads its own snapshot.
    probe = probe_notebook({"other": str(snapshot), "own": "app.ipynb"})
    publish_notebook(hub, stranger, probe, tmp_path, "probe", "hub")
    assert enter_app(hub, stranger.http, stranger.name, "probe")
    page = stranger.http.get(app_url(hub, stranger.name, "probe"), timeout=240)
    assert page.status_code == 200, page.text[:300]
    assert "PROBE other: PermissionError" in page.text
    assert "PROBE own: read" in page.text

    # The app still opens for its viewer.
    assert enter_app(hub, member.http, author.name, "private-pottery")
    assert renders(member.http, app_url(hub, author.name, "private-pottery"))


def test_an_app_that_never_renders_gets_a_message_not_a_500(hub_factory, tmp_path):
    """A page Voila never finishes (a stalled kernel) is retried once, then the viewer
    gets a short 503 page: no 500, no traceback, no code; the service keeps answering."""
    hub = hub_factory(args=["--EchoesApps.page_timeout=5"])
    admin = login_admin(hub)
    author = add_user(hub, admin, "app-stall")
    # Runs through at publishing time (the trial run), stalls only when Voila runs it.
    notebook = one_cell_notebook(
        "import os, time\nif os.environ.get('VOILA_BASE_URL'):\n    time.sleep(3600)"
    )
    publish_notebook(hub, author, notebook, tmp_path, "stall", "public")
    page = requests.get(app_url(hub, author.name, "stall"), timeout=240)
    assert page.status_code == 503, page.text[:300]
    assert "could not answer just now" in page.text
    assert "Traceback" not in page.text and "sleep" not in page.text
    assert "did not render (timed out); trying again" in hub.log()
    assert "tornado.application" not in hub.log()  # the service's log of uncaught errors
    assert requests.get(hub.service_url("apps"), timeout=30).status_code == 200


def test_an_apps_page_shows_description_who_may_open_it_and_versions_to_its_viewers_only(
    hub, admin, people, tmp_path
):
    author, member, stranger, group = people
    notebook = one_cell_notebook("print('about')")
    publish_notebook(hub, author, notebook, tmp_path, "about", f"group:{group}")
    publish_notebook(hub, author, notebook, tmp_path, "about", f"group:{group}")
    service = hub.service_url("apps")
    api = f"{service}api/apps/{author.name}/about"
    token = {"Authorization": f"token {author.new_token()}"}
    changed = requests.patch(api, json={"description": "Kilns, counted twice"}, headers=token)
    assert changed.status_code == 200, changed.text
    page = f"{service}about/{author.name}/about"
    html = {"Accept": "text/html"}
    for person in (author, member, stranger, admin):
        assert person.http.get(f"{service}login", timeout=60).status_code == 200

    for person in (author, member, admin):
        shown = person.http.get(page, headers=html, timeout=30)
        assert shown.status_code == 200, (person.name, shown.text[:300])
        assert "Kilns, counted twice" in shown.text
        assert f"members of the hub group {group}" in shown.text
        assert 'data-version="1"' in shown.text and 'data-version="2"' in shown.text

    # Those the app is not shared with get what an unknown app gets: nothing about it.
    unknown = stranger.http.get(f"{service}about/{author.name}/no-such-app", headers=html)
    for viewer in (stranger.http, requests.Session()):
        refused = viewer.get(page, headers=html, timeout=30)
        assert refused.status_code == unknown.status_code == 404
        assert "Kilns, counted twice" not in refused.text and "data-version" not in refused.text
        as_json = viewer.get(page, timeout=30)
        assert (
            as_json.status_code == 404
            and as_json.json()["message"] == f"no app {author.name}/about"
        )
    assert "versions" not in stranger.http.get(api, timeout=30).text

    # Nor may anyone but the author (or an admin) edit or unpublish it.
    for person in (member, stranger):
        theirs = {"Authorization": f"token {person.new_token()}"}
        edit = requests.patch(api, json={"title": "Mine now"}, headers=theirs, timeout=30)
        gone = requests.delete(api, headers=theirs, timeout=30)
        assert edit.status_code == gone.status_code == 403, (edit.text, gone.text)
    kept = requests.get(api, headers=token, timeout=30).json()
    assert (kept["title"], kept["version"], len(kept["versions"])) == ("about", 2, 2)


def test_the_author_opens_the_notebook_behind_an_app_in_jupyterlab_and_only_the_author(hub, people):
    author, member, _stranger, _group = people
    author.start_server()
    lab = Lab(author)
    assert lab.save_notebook("kilns-source.ipynb", one_cell_notebook()).status_code == 201
    body = {"path": "kilns-source.ipynb", "name": "in-lab", "share": "hub"}
    published = lab.send("POST", "apps/publish", body, **{"Content-Type": "application/json"})
    assert published.status_code in (200, 201), published.text
    service = hub.service_url("apps")
    page = f"{service}about/{author.name}/in-lab"
    html = {"Accept": "text/html"}
    for person in (author, member):
        assert person.http.get(f"{service}login", timeout=60).status_code == 200

    shown = author.http.get(page, headers=html, timeout=30).text
    link = re.search(r'data-lab href="([^"]+)"', shown).group(1)
    assert link == f"{hub.url}/hub/user-redirect/lab/tree/kilns-source.ipynb"
    opened = author.http.get(link, timeout=120)
    assert opened.status_code == 200
    assert opened.url.split("?")[0] == f"{author.server_url()}lab/tree/kilns-source.ipynb"

    # A viewer sees neither the link nor where the notebook lies.
    theirs = member.http.get(page, headers=html, timeout=30)
    assert theirs.status_code == 200 and "data-lab" not in theirs.text
    assert "kilns-source" not in theirs.text
    api = f"{service}api/apps/{author.name}/in-lab"
    assert "source" not in member.http.get(api, timeout=30).json()
    # A version sent without its path (echoes publish) keeps the one it had.
    token = author.new_token()
    again = requests.put(
        api,
        json={"notebook": one_cell_notebook()},
        headers={"Authorization": f"token {token}"},
        timeout=600,
    )
    assert again.status_code == 201 and again.json()["source"] == "kilns-source.ipynb"
