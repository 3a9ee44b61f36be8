"""Moderated contributions, through the real hub: with `TwinsService.moderate_contributions`
on, a museum's publish in the twins service's wizard submits its draft; it cannot be
changed, published by itself or seen by another contributor; the administrator sees it
waiting, sends it back with a reason the museum reads, then publishes the corrected draft
as the museum's. A submission over someone else's collection is refused when submitted.

The module's own hub: a published collection makes the twins served no longer the data
build's alone, which the shared hub's modules wait for.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import requests
from PIL import Image

from echoes_hub.services.twins.harvest.folder import HarvestFolder
from echoes_hub.services.twins.harvest.records import local_id
from tests.hubclient import wait_for
from tests.integration.annotations_support import new_person, with_token
from tests.integration.conftest import loaded_twins
from tests.unit.test_contribute import HEADER, tate_rows, write_csv

pytestmark = pytest.mark.slow

NAME = "reviewed-works-test"


@pytest.fixture(scope="module")
def hub(hub_factory_module):
    return hub_factory_module(args=["--TwinsService.moderate_contributions=True"])


def test_an_administrator_reviews_a_contribution_before_it_is_published(hub, admin, data, tmp_path):
    twins = loaded_twins(hub, data)
    person, museum = new_person(hub, admin, "museum", groups=("institutions",))
    _, rival = new_person(hub, admin, "rival", groups=("institutions",))
    moderator = with_token(admin)
    rows = tate_rows(3)
    rows[0][6] = "first.png"
    photo, photos = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (40, 30), (100, 80, 60)).save(photo, "PNG")
    with zipfile.ZipFile(photos, "w") as z:
        z.writestr("first.png", photo.getvalue())
    sheet = write_csv(tmp_path / "works.csv", HEADER, rows).read_bytes()
    chosen = {
        "name": NAME,
        "title": "Works reviewed before publication (test, from Tate records)",
        "licence": "CC0-1.0",
        "citation": "Tate Collection (CC0), a museum's sheet.",
    }

    def drafted(session) -> str:
        made = session.post(
            f"{twins}contribute/drafts", files={"sheet": ("w.csv", sheet)}, timeout=60
        )
        assert made.status_code == 201, made.text
        url = f"{twins}contribute/drafts/{made.json()['id']}"
        assert session.post(
            url + "/images", files={"images": ("p.zip", photos.getvalue())}, timeout=60
        ).ok
        assert session.post(url, json=chosen, timeout=60).json()["ready"] is True
        return url

    def served() -> bool:
        path = f"{twins}objects/{NAME}/{local_id(rows[0][0])}?format=json-ld"
        return requests.get(path, timeout=10).status_code == 200

    url = drafted(museum)
    submitted = museum.post(url + "/publish", timeout=300)
    assert submitted.status_code == 202 and submitted.json()["submitted"], submitted.text
    assert not served()
    # Submitted: no change, no second submission, no forgetting it, until it is reopened.
    for action, body in [("", {"title": "Changed"}), ("/publish", {}), ("/delete", {})]:
        refused = museum.post(url + action, json=body, timeout=60)
        assert refused.status_code == 409 and "reopen it" in refused.json()["message"], action
    # Another contributor neither sees it nor acts on it.
    for action in ("", "/publish", "/reopen"):
        assert rival.post(url + action, json={"reason": "x"}, timeout=60).status_code == 404
    assert rival.get(url, timeout=60).status_code == 404

    # The administrator sees it waiting, may not change it, and sends it back with a reason.
    waiting = moderator.get(f"{twins}contribute/drafts", timeout=60).json()["drafts"]
    assert [(d["contributor"], bool(d["submitted"])) for d in waiting] == [(person.name, True)]
    refused = moderator.post(url, json={"title": "The administrator's"}, timeout=60)
    assert refused.status_code == 403 and "only they change it" in refused.json()["message"]
    refused = moderator.post(url + "/reopen", json={}, timeout=60)
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    sent_back = moderator.post(
        url + "/reopen", json={"reason": "Cite the photographer"}, timeout=60
    )
    assert sent_back.status_code == 200 and not sent_back.json()["submitted"], sent_back.text
    assert moderator.get(url, timeout=60).status_code == 404  # no longer submitted
    said = museum.get(url, timeout=60).json()
    assert said["review"] == "admin: Cite the photographer" and not said["submitted"]

    # Corrected and submitted again; the administrator publishes it, as the museum's.
    cited = {"citation": chosen["citation"] + " Photograph: the museum."}
    assert museum.post(url, json=cited, timeout=60).json()["review"] == said["review"]
    resubmitted = museum.post(url + "/publish", timeout=300)
    assert resubmitted.status_code == 202 and resubmitted.json()["review"] == ""
    published = moderator.post(url + "/publish", timeout=300)
    assert published.status_code == 201 and published.json()["added"] == 3, published.text
    wait_for(served, 60, "the reviewed collection's twins")
    said = HarvestFolder(hub.state_dir / "harvest").index()[NAME]["contribution"]
    assert (said["contributor"], said["published_by"]) == (person.name, "admin")
    assert museum.get(url, timeout=60).status_code == 404  # the draft is gone once published

    # A submission over the museum's collection is refused when it is submitted.
    theirs = drafted(rival)
    refused = rival.post(theirs + "/publish", timeout=300)
    assert refused.status_code == 403 and "contributed by" in refused.json()["message"]

    # The pages, with the person's and the administrator's cookies: the museum submits
    # by the page's form; the administrator finds it waiting, on a page that says so.
    mine = drafted(museum)
    page = person.http.get(mine, headers={"Accept": "text/html"}, timeout=60)
    assert "for review</button>" in page.text, page.text[-800:]
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    sent = person.http.post(
        mine + "/publish", data={"_xsrf": xsrf}, headers={"Accept": "text/html"}, timeout=300
    )
    assert sent.status_code == 200 and 'id="submitted"' in sent.text, sent.text[-800:]
    listing = admin.http.get(f"{twins}contribute", headers={"Accept": "text/html"}, timeout=60)
    assert 'id="waiting"' in listing.text and mine.split("/services/twins/")[1] in listing.text
    reviewed = admin.http.get(mine, headers={"Accept": "text/html"}, timeout=60)
    assert "Send it back</button>" in reviewed.text and 'name="reason"' in reviewed.text
