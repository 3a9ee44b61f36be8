"""Harvesting in, through the real hub: the administrator's `echoes harvest` brings a
real OAI-PMH provider's records (pyoai's, over synthetic test records) into the hub's
harvest folder; the hub's twins service serves them within seconds, and a person's kernel
reads them as a table in the catalog's theme `harvested`; the person interprets a
harvested object in public; the source changes the record, and after the next harvest
the twin shows the change under the same IRI with the interpretation still on it. A source
with a schedule is harvested by the service itself; the sources page and its "Harvest
now" are the administrators' only, through every way in. And a second hub (the run's
shared one) is harvested over its OAI-PMH provider (every twin, and a public
interpretation made there, with their provenance) and its IIIF collection (the coins'
images then come from its IIIF image server). A small institution contributes a sheet
through the twins service's wizard.

The module's own hub (its schedule looked at every second): the harvested collections
must not show in the shared hub's twins.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from echoes_data import recipe
from echoes_hub.services.twins.harvest.records import local_id
from tests.hubclient import ECHOES, Kernel, wait_for
from tests.integration.annotations_support import new_person
from tests.integration.conftest import loaded_twins, login_admin
from tests.integration.test_twins_answers import interpretation_of, made
from tests.integration.test_twins_interpretations import depicts
from tests.oai_provider import Provider, museum_records
from tests.unit.test_contribute import HEADER, tate_rows, write_csv

pytestmark = pytest.mark.slow

PATH = "museum/oai:museum.example:4"
OBJECT = f"urn:echoes:object:{PATH}"


@pytest.fixture(scope="module")
def hub(hub_factory_module):
    return hub_factory_module(args=["--TwinsService.harvest_check=1"])


def harvest(hub, *args: str) -> str:
    done = subprocess.run(
        [ECHOES, "harvest", "--state", str(hub.state_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def title(twins: str, path: str = PATH) -> str | None:
    reply = requests.get(f"{twins}objects/{path}?format=json-ld", timeout=10)
    return reply.json()["_label"] if reply.status_code == 200 else None


def test_a_harvested_object_is_a_twin_and_its_interpretations_survive_a_reharvest(
    hub, admin, twins
):
    records = museum_records()
    with Provider(records, batch_size=4) as provider:
        harvest(
            hub,
            "add",
            "museum",
            "--url",
            provider.url,
            "--title",
            "A small museum (synthetic test records)",
            "--licence",
            "CC0-1.0",
            "--citation",
            "Synthetic test records of a small museum.",
        )
        said = harvest(hub, "run")
        assert "museum: 10 records" in said
        wait_for(lambda: title(twins) == "Tetradrachm of Alexander the Great", 60, "the twin")
        page = requests.get(f"{twins}objects/{PATH}", headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "Mint of Amphipolis" in page.text

        person, ada = new_person(hub, admin, "harvest")
        # The same records as a table in the person's own catalog, through their server.
        person.start_server()
        with Kernel(person.server_url(), person.new_token()) as kernel:
            out = kernel.execute(
                "import echoes\n"
                "t = echoes.catalog().harvested.read().museum.read()\n"
                "print(len(t), t.set_index('source_identifier')"
                ".loc['oai:museum.example:4', 'title'])"
            )
        assert out.strip().splitlines()[-1] == "10 Tetradrachm of Alexander the Great"
        subject = "urn:echoes:test:alexander-harvest"
        annotation = made(ada, hub, depicts(OBJECT, subject, "Alexander", visibility="public"))
        wait_for(lambda: interpretation_of(twins, annotation, PATH), 60, "the interpretation")

        # The source corrects the record; the next harvest brings only that.
        records[3] = replace(
            records[3],
            datestamp=datetime.now(UTC).replace(microsecond=0),
            dc={**records[3].dc, "title": ["Tetradrachm of Alexander III"]},
        )
        provider.records = records
        said = harvest(hub, "run")
        assert "museum: 1 records" in said and "1 changed" in said
        wait_for(lambda: title(twins) == "Tetradrachm of Alexander III", 60, "the corrected twin")
        kept = interpretation_of(twins, annotation, PATH)
        assert kept is not None and kept["claims"][0]["value"]["id"] == subject
        # The same object in the graph, with its source record's provenance.
        query = (
            "ASK { GRAPH <urn:echoes:graph:provenance> { ?r "
            "<http://purl.org/dc/terms/identifier> 'oai:museum.example:4' } }"
        )
        asked = requests.get(f"{twins}sparql", params={"query": query}, timeout=10).json()
        assert asked["boolean"] is True


def test_a_scheduled_source_is_harvested_by_the_service_and_the_page_is_the_administrators(
    hub, admin, twins, new_user
):
    shelf = "shelf/oai:museum.example:2"
    records = museum_records()
    with Provider(records, batch_size=4) as provider, Provider([]) as broken:
        for name, url, schedule in [("shelf", provider.url, "hourly"), ("broken", broken.url, "")]:
            harvest(
                hub,
                *("add", name, "--url", url, "--title", f"The {name} (synthetic test records)"),
                *("--licence", "CC0-1.0", "--citation", "Synthetic test records."),
                *(["--schedule", schedule] if schedule else []),
            )
        # Never harvested and hourly: due at once, harvested by the service itself.
        wait_for(lambda: title(twins, shelf) == "River Landscape with Ferry", 60, "the schedule")
        assert broken.requests == 0  # by hand only

        page_url = f"{twins}harvest"
        page = admin.http.get(page_url, headers={"Accept": "text/html"}, timeout=60)
        assert page.status_code == 200, page.text[:300]
        assert 'id="shelf"' in page.text and "hourly" in page.text and "by hand" in page.text
        assert "Access-Control-Allow-Origin" not in page.headers
        listed = {s["name"]: s for s in admin.http.get(f"{twins}harvest/sources").json()["sources"]}
        assert listed["shelf"]["twins"] == 10 and listed["shelf"]["last"]["added"] == 10
        assert listed["broken"]["last"] is None

        # "Harvest now" on the page's form: the broken source fails, said on the page.
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        broken.mode = "garbage"
        assert f"{twins}harvest/sources/broken/harvest".endswith(listed["broken"]["harvest_url"])
        asked = admin.http.post(
            f"{twins}harvest/sources/broken/harvest",
            data={"_xsrf": xsrf},
            allow_redirects=False,
            timeout=60,
        )
        assert asked.status_code == 303, asked.text[:300]

        def failed() -> str:
            last = admin.http.get(f"{twins}harvest/sources").json()["sources"]
            return next(s for s in last if s["name"] == "broken")["last"] or {}

        wait_for(lambda: failed().get("error"), 60, "the broken source's harvest")
        assert "not XML" in failed()["error"]
        page = admin.http.get(page_url, headers={"Accept": "text/html"}, timeout=60)
        assert "failed: " in page.text and "not XML" in page.text
        # Without the XSRF token, the administrator's own cookie does nothing.
        forged = admin.http.post(f"{twins}harvest/sources/shelf/harvest", data={}, timeout=60)
        assert forged.status_code == 403

        # Anyone else: refused by cookie and by token, and nothing is harvested.
        person = new_user("harvester")
        token = person.new_token()
        for method, path in [
            ("GET", "harvest"),
            ("GET", "harvest/sources"),
            ("POST", "harvest/sources/shelf/harvest"),
        ]:
            by_token = requests.request(
                method, f"{twins}{path}", headers={"Authorization": f"token {token}"}, timeout=60
            )
            # A user's token does not even reach the service (no access:services scope).
            assert by_token.status_code == 403, (path, by_token.text[:300])
            assert "shelf" not in by_token.text
            assert "Access-Control-Allow-Origin" not in by_token.headers
        # Nor their browser: signed in to the service (users reach it for the contribution
        # wizard), the page refuses them.
        by_cookie = person.http.get(page_url, headers={"Accept": "text/html"}, timeout=60)
        assert by_cookie.status_code == 403 and "shelf" not in by_cookie.text
        assert "only the hub's administrators" in by_cookie.text, by_cookie.text[:300]
        # An administrator's script: a token of theirs reads the sources.
        scripted = requests.get(
            f"{twins}harvest/sources",
            headers={"Authorization": f"token {admin.new_token()}"},
            timeout=60,
        )
        assert [s["name"] for s in scripted.json()["sources"]] == ["broken", "museum", "shelf"]
        anonymous = requests.get(f"{twins}harvest/sources", timeout=60)
        assert anonymous.status_code == 403


def test_a_second_hubs_twins_and_interpretations_come_in_with_their_provenance(
    hub, twins, shared_hub
):
    other = shared_hub()
    other_twins = loaded_twins(other, recipe.build(other.state_dir / "heritage"))
    # A person there interprets a coin in public; its provider offers it.
    _, ada = new_person(other, login_admin(other), "federated")
    coin = "urn:echoes:object:coins/17"  # no other module's coin: the hub is shared
    subject = "urn:echoes:test:herakles-federated"
    annotation = made(ada, other, depicts(coin, subject, "Herakles", visibility="public"))
    wait_for(lambda: interpretation_of(other_twins, annotation, "coins/17"), 60, "it, there")
    objects = sum(
        c["objects"] for c in requests.get(other_twins, timeout=10).json()["collections"].values()
    )

    # Everything its provider offers (no set), as Dublin Core: every twin and interpretation.
    harvest(
        hub,
        *("add", "other-hub", "--url", f"{other_twins}oai"),
        *("--title", "The twins of another ECHOES hub"),
        *("--licence", "LicenseRef-Each-Collection-Its-Own"),
        *("--citation", "Another ECHOES hub's commons, through its OAI-PMH provider."),
    )
    said = harvest(hub, "run", "other-hub")
    assert "harvest failed" not in said, said
    path = f"other-hub/{local_id(coin)}"
    wait_for(lambda: title(twins, path) == "Greek coin 17 from Pompeii", 60, "the coin's twin")
    info = requests.get(twins, timeout=10).json()["collections"]["other-hub"]
    assert info["objects"] == objects  # every object, none twice
    record = requests.get(f"{twins}objects/{path}?format=json-ld", timeout=10).json()
    notes = [s for s in record["referred_to_by"] if "Herakles" in s.get("content", "")]
    assert notes and notes[0]["identified_by"][0]["content"] == annotation, record
    assert ada.name in notes[0]["content"]
    page = requests.get(f"{twins}objects/{path}", headers={"Accept": "text/html"}, timeout=10)
    assert "Herakles" in page.text
    query = (
        "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?source ?twin WHERE { GRAPH "
        "<urn:echoes:graph:provenance> { ?n a <urn:echoes:term:HarvestedInterpretation> ; "
        f"dct:identifier '{annotation}' ; dct:source ?source ; dct:subject ?twin }} }}"
    )
    found = requests.get(f"{twins}sparql", params={"query": query}, timeout=10).json()
    bindings = found["results"]["bindings"]
    assert [b["twin"]["value"] for b in bindings] == [f"urn:echoes:object:{path}"], bindings
    assert bindings[0]["source"]["value"].startswith(f"{other_twins}oai?verb=GetRecord")

    # Its IIIF collection: the coins' manifests, their images from its IIIF image server.
    harvest(
        hub,
        *("add", "other-manifests", "--protocol", "iiif", "--url"),
        f"{other_twins}iiif/collection.json",
        *("--title", "Greek coins from Pompeii, another hub's IIIF manifests"),
        *("--licence", "LicenseRef-No-Known-Copyright-Restrictions"),
        *("--citation", "Brooklyn Museum, Greek coins from Pompeii, through another hub."),
    )
    said = harvest(hub, "run", "other-manifests")
    assert "other-manifests: 24 records" in said and "+24 new" in said, said
    manifest = f"{other_twins}objects/coins/7/manifest.json"
    path = f"other-manifests/{local_id(manifest)}"
    wait_for(lambda: title(twins, path) is not None, 60, "the manifest's twin")
    record = requests.get(f"{twins}objects/{path}?format=json-ld", timeout=10).json()
    images = [
        a["id"]
        for r in record["representation"]
        for d in r["digitally_shown_by"]
        for a in d["access_point"]
        if a["id"].endswith("/default.jpg")
    ]
    assert images and images[0].startswith(other.host_url("iiif", "service")), images
    image = requests.get(images[0], timeout=60)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    assert image.content[:3] == b"\xff\xd8\xff"


def test_an_institution_contributes_a_sheet_through_the_wizard_and_nobody_else_can(
    hub, admin, twins, tmp_path
):
    """The contribution wizard (contributing.py) in this hub's twins service: only the
    group `institutions` and administrators; a sheet's problems named by row and column
    and nothing published; the corrected sheet published; drafts and collections are
    their contributor's, and their group's when shared with it."""
    person, museum = new_person(hub, admin, "museum", groups=("institutions", "tate-team"))
    _, colleague = new_person(hub, admin, "colleague", groups=("institutions", "tate-team"))
    _, rival = new_person(hub, admin, "rival", groups=("institutions",))
    _, stranger = new_person(hub, admin, "stranger")
    rows = tate_rows(4)
    broken = write_csv(tmp_path / "objects.csv", HEADER, [*rows, rows[0]])  # a duplicate
    sheet = broken.read_bytes()

    def upload(session, data: bytes = sheet, name: str = "objects.csv"):
        return session.post(f"{twins}contribute/drafts", files={"sheet": (name, data)}, timeout=60)

    for method, path in [("GET", "contribute"), ("GET", "contribute/drafts")]:
        refused = stranger.request(method, f"{twins}{path}", timeout=60)
        assert refused.status_code == 403 and "institutions" in refused.json()["message"]
    assert upload(stranger).status_code == 403
    assert requests.post(f"{twins}contribute/drafts", timeout=60).status_code == 403

    draft = upload(museum)
    assert draft.status_code == 201, draft.text
    said = draft.json()
    assert said["rows"] == 5 and said["preview"][0]["values"][0] == rows[0][0]
    assert said["fields"]["identifier"] == "Inventarnummer" and said["fields"]["title"] == "Titel"
    (duplicate,) = [p for p in said["problems"] if "is on row 2 too" in p["message"]]
    assert duplicate["row"] == 6 and duplicate["column"].startswith("A"), duplicate
    url = f"{twins}contribute/drafts/{said['id']}"
    # Another contributor cannot see, change, publish or forget it.
    for action in ("", "/publish", "/delete"):
        assert rival.post(url + action, json={}, timeout=60).status_code == 404
    assert rival.get(url, timeout=60).status_code == 404
    # Shared with the museum's group: a colleague sees and changes it; still nobody else.
    assert colleague.get(url, timeout=60).status_code == 404
    refused = museum.post(url, json={"group": "other-team"}, timeout=60)
    assert refused.status_code == 400 and "one of your groups" in refused.json()["message"]
    assert museum.post(url, json={"group": "tate-team"}, timeout=60).json()["group"] == "tate-team"
    listed = colleague.get(f"{twins}contribute/drafts", timeout=60).json()["drafts"]
    assert [(d["id"], d["contributor"]) for d in listed] == [(said["id"], person.name)]
    assert colleague.post(url, json={"title": "Shared"}, timeout=60).json()["title"] == "Shared"
    refused = colleague.post(url, json={"group": ""}, timeout=60)
    assert refused.status_code == 403 and "chooses who shares" in refused.json()["message"]
    assert rival.get(url, timeout=60).status_code == 404
    assert said["id"] not in json.dumps(rival.get(f"{twins}contribute/drafts", timeout=60).json())
    chosen = {
        "name": "tate-by-a-museum",
        "title": "Tate works, as a small museum's sheet (test)",
        "licence": "CC0-1.0",
        "citation": "Tate Collection (CC0), contributed by a test.",
        "language": "en",
    }
    assert (
        museum.post(url, json={**chosen, "fields": {"bogus": "x"}}, timeout=60).status_code == 400
    )
    refused = museum.post(url, json={"language": "english"}, timeout=60)
    assert refused.status_code == 400 and "ISO 639-1" in refused.json()["message"]
    assert museum.post(url, json=chosen, timeout=60).json()["ready"] is False
    refused = museum.post(url + "/publish", timeout=60)
    assert refused.status_code == 400 and "problems left: 1" in refused.json()["message"], (
        refused.text
    )
    assert title(twins, f"tate-by-a-museum/{local_id(rows[0][0])}") is None

    # The corrected sheet names a photograph of its first object, sent as a zip.
    pictured = [[*rows[0][:6], "T1.png"], *rows[1:]]
    fixed_sheet = write_csv(tmp_path / "fixed.csv", HEADER, pictured).read_bytes()
    url = f"{twins}contribute/drafts/{upload(museum, fixed_sheet, 'fixed.csv').json()['id']}"
    said = museum.post(url, json={**chosen, "group": "tate-team"}, timeout=60).json()
    assert not said["ready"] and "upload a zip" in said["problems"][0]["fix"], said["problems"]
    escaping = io.BytesIO()
    with zipfile.ZipFile(escaping, "w") as z:
        z.writestr("../T1.png", b"x")
    refused = museum.post(
        url + "/images", files={"images": ("photos.zip", escaping.getvalue())}, timeout=60
    )
    assert refused.status_code == 400 and "'../T1.png' leaves" in refused.json()["message"]
    photo, photos = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(photo, "PNG")
    with zipfile.ZipFile(photos, "w") as z:
        z.writestr("photos/T1.png", photo.getvalue())
    sent = museum.post(
        url + "/images", files={"images": ("photos.zip", photos.getvalue())}, timeout=60
    )
    assert sent.status_code == 200 and sent.json()["images"] == ["T1.png"], sent.text
    assert sent.json()["ready"] is True, sent.json()["problems"]
    published = museum.post(url + "/publish", timeout=300)
    assert published.status_code == 201, published.text
    assert published.json()["added"] == 4 and published.json()["version"] == 1
    path = f"tate-by-a-museum/{local_id(rows[0][0])}"
    wait_for(lambda: title(twins, path) == rows[0][1], 60, "the contributed twin")
    record = requests.get(f"{twins}objects/{path}?format=json-ld", timeout=10).json()
    assert "T1.png" in json.dumps(record["representation"]), record.get("representation")
    assert record["identified_by"][0]["language"][0]["_label"] == "English"
    assert museum.get(url, timeout=60).status_code == 404  # the draft is gone once published

    # The rival may not publish over it: the collection is the museum's and its group's.
    plain = write_csv(tmp_path / "r.csv", HEADER, rows).read_bytes()  # nothing wrong in it
    again = rival.post(f"{twins}contribute/drafts", files={"sheet": ("r.csv", plain)}, timeout=60)
    theirs = f"{twins}contribute/drafts/{again.json()['id']}"
    assert rival.post(theirs, json=chosen, timeout=60).json()["ready"] is True
    refused = rival.post(theirs + "/publish", timeout=60)
    assert refused.status_code == 403 and "contributed by" in refused.json()["message"]
    # The collection was shared with the museum's group: a colleague publishes it again.
    again = colleague.post(f"{twins}contribute/drafts", files={"sheet": ("f.csv", fixed_sheet)})
    ours = f"{twins}contribute/drafts/{again.json()['id']}"
    colleague.post(ours + "/images", files={"images": ("photos.zip", photos.getvalue())})
    assert colleague.post(ours, json=chosen, timeout=60).json()["ready"] is True
    republished = colleague.post(ours + "/publish", timeout=300)
    assert republished.status_code == 201 and republished.json()["unchanged"] == 4, republished.text

    # The page, as a person's browser has it (cookie, XSRF): upload, then the draft's page,
    # the column names as text.
    page = person.http.get(f"{twins}contribute", headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200 and 'name="sheet"' in page.text
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    marked = write_csv(tmp_path / "m.csv", ["<script>x=1</script>", *HEADER[1:]], rows[:1])
    sent = person.http.post(
        f"{twins}contribute/drafts",
        data={"_xsrf": xsrf},
        files={"sheet": ("m.csv", marked.read_bytes())},
        headers={"Accept": "text/html"},
        timeout=60,
    )
    assert sent.status_code == 200 and "/contribute/drafts/" in sent.url, sent.text[:300]
    assert "<script>x=1" not in sent.text and "&lt;script&gt;x=1" in sent.text
    forged = person.http.post(
        f"{twins}contribute/drafts", files={"sheet": ("m.csv", marked.read_bytes())}, timeout=60
    )
    assert forged.status_code == 403  # a cookie without the XSRF token
    # A refused form of the page answers a page naming the problem, not JSON.
    refused = person.http.post(
        sent.url + "/publish", data={"_xsrf": xsrf}, headers={"Accept": "text/html"}, timeout=60
    )
    assert refused.status_code == 400 and refused.headers["Content-Type"].startswith("text/html")
    assert 'id="error"' in refused.text and "is not ready to publish" in refused.text
    assert f'id="back" href="{urlsplit(sent.url).path}"' in refused.text, refused.text[-600:]
    # The wizard speaks the contributor's language (Accept-Language).
    french = {"Accept": "text/html", "Accept-Language": "fr-FR, fr;q=0.9"}
    page = person.http.get(f"{twins}contribute", headers=french, timeout=60)
    assert '<html lang="fr">' in page.text and "<h1>Contribuer une collection</h1>" in page.text
    german = person.http.get(sent.url, headers={**french, "Accept-Language": "de"}, timeout=60)
    assert "3. Welche Spalte welches Feld angibt" in german.text, german.text[:500]
