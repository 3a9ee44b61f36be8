"""A small institution contributes its collection in Chromium, through the twins service's
wizard on a hub of the module's own: a sheet made from the data build's Tate records (CC0) and
a photograph of one of them, uploaded, mapped (the suggestions from the German column
names), named, licensed and published, the photograph shown on its twin's page through
the hub's IIIF service; its twins are found by search and SPARQL, one is
interpreted in public; a corrected sheet published again changes that twin's title under
the same IRI, and the interpretation is still on it. A column name that is markup shows as
text. In JupyterLab, the command palette's "Contribute a collection…" opens the same
wizard as a panel (over its JSON API, through the server extension): a sheet uploaded,
chosen, published, found in the catalog browser, and its first twin opened in the twin
panel; with JupyterLab in French (its language pack, Settings > Language), the catalog
browser and the panel speak French."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from echoes_hub.services.twins.harvest.records import local_id
from tests.e2e.conftest import log_in
from tests.e2e.test_lab_browser import open_catalog, open_lab
from tests.hubclient import wait_for
from tests.integration.annotations_support import new_person
from tests.integration.test_twins_answers import interpretation_of, made
from tests.integration.test_twins_interpretations import depicts
from tests.unit.test_contribute import HEADER, tate_rows, write_csv

#: The module's own hub, not the run's shared one: once a collection is contributed, the
#: twins served are no longer the data build's alone, which the other modules wait for
#: (`twins` waits for the data build once, for the module).
pytestmark = pytest.mark.slow

NAME = "parish-museum-test"


def publish_in_the_wizard(watched, twins: str, sheet, photos, first_title: str) -> None:
    """Upload ``sheet`` and the zip ``photos``, keep the suggested mapping, choose the
    collection, see no problem, publish: the page of the first twin, titled."""
    page = watched.page
    with watched.step("upload"):
        page.goto(f"{twins}contribute")
        page.set_input_files("#upload input[name=sheet]", str(sheet))
        with page.expect_navigation():
            page.click("#upload button[type=submit]")
        page.locator("#preview").wait_for()
    with watched.step("photographs"):
        page.set_input_files("#images input[name=images]", str(photos))
        with page.expect_navigation():
            page.click("#images button[type=submit]")
        assert "(1 so far)" in page.inner_text("#images")
    with watched.step("choices"):
        assert page.input_value("select[name='field.identifier']") == HEADER[0]
        assert page.input_value("select[name='field.title']") == HEADER[1]
        page.fill("input[name=name]", NAME)
        page.fill("input[name=title]", "A parish museum's works (test, from Tate records)")
        page.select_option("select[name=licence]", "CC0-1.0")
        page.fill("input[name=citation]", "Tate Collection (CC0), as a parish museum's sheet.")
        page.select_option("select[name=language]", "en")
        with page.expect_navigation():
            page.click("#choices button[type=submit]")
        page.locator("#no-problems").wait_for()
    with watched.step("published"):
        with page.expect_navigation(timeout=120_000):
            page.click("#publish button[type=submit]")
        assert f"/objects/{NAME}/" in page.url, page.url
        page.get_by_text(first_title).first.wait_for()
        # Its photograph, through the hub's IIIF service.
        photo = page.locator("figure.served img")
        photo.wait_for()
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=photo.element_handle())
        assert "/services/iiif/image/3/contributed%2F" in photo.get_attribute("src")


def test_an_institution_contributes_its_sheet_in_the_browser_and_corrects_it(
    hub, admin, twins, watched_page, tmp_path
):
    person, token = new_person(hub, admin, "parish", groups=("institutions",))
    rows = tate_rows(5)
    rows[0][6] = "first.png"
    photo = io.BytesIO()
    Image.new("RGB", (96, 64), (140, 110, 80)).save(photo, "PNG")
    photos = tmp_path / "photos.zip"
    with zipfile.ZipFile(photos, "w") as z:
        z.writestr("first.png", photo.getvalue())

    watched = watched_page("contribute")
    log_in(watched.page, hub, person)
    publish_in_the_wizard(
        watched, twins, write_csv(tmp_path / "works.csv", HEADER, rows), photos, rows[0][1]
    )
    path = f"{NAME}/{local_id(rows[0][0])}"
    iri = f"urn:echoes:object:{path}"

    # Search and SPARQL find the contributed twins.
    found = requests.get(f"{twins}search", params={"q": rows[1][1], "collection": NAME}, timeout=30)
    assert found.status_code == 200 and found.json()["total"] >= 1, found.text
    query = f"SELECT (COUNT(?o) AS ?n) WHERE {{ GRAPH <urn:echoes:graph:{NAME}> {{ ?o a ?t }} }}"
    counted = requests.get(f"{twins}sparql", params={"query": query}, timeout=30).json()
    assert int(counted["results"]["bindings"][0]["n"]["value"]) >= len(rows)

    # Someone interprets the first work in public; then the museum corrects its title.
    subject = "urn:echoes:test:parish-interpretation"
    annotation = made(token, hub, depicts(iri, subject, "A landscape", visibility="public"))
    wait_for(lambda: interpretation_of(twins, annotation, path), 60, "the interpretation")
    corrected = [[rows[0][0], rows[0][1] + " (corrected)", *rows[0][2:]], *rows[1:]]
    publish_in_the_wizard(
        watched,
        twins,
        write_csv(tmp_path / "works-v2.csv", HEADER, corrected),
        photos,
        corrected[0][1],
    )
    record = requests.get(f"{twins}objects/{path}?format=json-ld", timeout=30).json()
    assert record["_label"] == corrected[0][1] and record["id"] == iri
    kept = interpretation_of(twins, annotation, path)
    assert kept is not None and kept["claims"][0]["value"]["id"] == subject

    # A column name that is markup is shown as text on the draft's page.
    page = watched.page
    with watched.step("markup"):
        page.goto(f"{twins}contribute")
        marked = write_csv(tmp_path / "m.csv", ["<img src=x onerror=alert(1)>", *HEADER[1:]], rows)
        page.set_input_files("#upload input[name=sheet]", str(marked))
        with page.expect_navigation():
            page.click("#upload button[type=submit]")
        assert page.locator("#preview th", has_text="<img src=x onerror=alert(1)>").count() == 1
        assert page.locator("#preview img").count() == 0


def test_an_institution_contributes_from_a_jupyterlab_panel(
    hub, admin, twins, watched_page, tmp_path
):
    person, _ = new_person(hub, admin, "lab-parish", groups=("institutions",))
    rows = tate_rows(3)
    sheet = write_csv(tmp_path / "lab-works.csv", HEADER, rows)
    name = "lab-parish-test"
    watched = watched_page("contribute-lab")
    page = watched.page
    with watched.step("panel"):
        open_lab(page, hub, person)
        page.keyboard.press("Control+Shift+C")
        page.locator(".lm-CommandPalette-input").fill("Contribute a collection")
        page.locator(".lm-CommandPalette-item", has_text="Contribute a collection").first.click()
        panel = page.locator("#echoes-contribute")
        panel.locator(".echoes-Contribute-upload input[type=file]").set_input_files(str(sheet))
        panel.locator(".echoes-Contribute-upload button[type=submit]").click()
        preview = panel.locator(".echoes-Contribute-preview")
        preview.wait_for(timeout=60_000)
        assert preview.locator("td", has_text=rows[0][1]).count() == 1
        assert panel.locator("select[name='field.identifier']").input_value() == HEADER[0]
    with watched.step("choices"):
        panel.locator("input[name=name]").fill(name)
        panel.locator("input[name=title]").fill("A parish museum's works, from JupyterLab (test)")
        panel.locator("select[name=licence]").select_option("CC0-1.0")
        panel.locator("input[name=citation]").fill("Tate Collection (CC0), from JupyterLab.")
        panel.locator("select[name=language]").select_option("en")
        panel.locator(".echoes-Contribute-choices button[type=submit]").click()
        panel.locator(".echoes-Contribute-noProblems").wait_for(timeout=60_000)
    with watched.step("published"):
        panel.locator(".echoes-Contribute-publish").click()
        done = panel.locator(".echoes-Contribute-published")
        done.wait_for(timeout=120_000)
        assert f"Published {name}, version 1: {len(rows)} added" in done.inner_text()
        first = requests.get(
            f"{twins}objects/{name}/{local_id(rows[0][0])}?format=json-ld", timeout=30
        ).json()
        assert first["identified_by"][0]["language"][0]["_label"] == "English"
        panel.locator(".echoes-Contribute-first").click()
        panel_id = re.sub(r"[^\w-]", "_", f"echoes-twin-{name}-{local_id(rows[0][0])}")
        frame = page.frame_locator(f"#{panel_id} iframe")
        assert frame.locator("h1").inner_text(timeout=60_000) == rows[0][1]
    found = requests.get(f"{twins}search", params={"q": rows[1][1], "collection": name}, timeout=30)
    assert found.status_code == 200 and found.json()["total"] >= 1, found.text
    with watched.step("catalog"):
        # The catalog browser lists the collection among the harvested ones, with its licence.
        open_catalog(page)
        page.fill(".echoes-Catalog-search", "parish JupyterLab")
        entry = page.locator(".echoes-Catalog-entry[data-path='harvested.lab_parish_test']")
        entry.click(timeout=60_000)
        licence = page.locator(
            ".echoes-Entry[data-path='harvested.lab_parish_test'] [data-fact='licence']"
        )
        assert licence.inner_text(timeout=30_000) == "CC0-1.0"
    with watched.step("french"):
        # Settings > Language > French, as the settings editor saves it (a PUT from the
        # page, with its XSRF token); then a reload.
        here = urlsplit(page.url)  # the person's server, on a host of their own
        lab = f"{here.scheme}://{here.netloc}/user/{person.name}"
        setting = "@jupyterlab/translation-extension:plugin"
        status = page.evaluate(
            """async url => {
                const xsrf = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/)[1];
                const reply = await fetch(url, {
                    method: 'PUT',
                    headers: {
                        'X-XSRFToken': decodeURIComponent(xsrf),
                        'Content-Type': 'application/json'
                    },
                    body: JSON.stringify({raw: JSON.stringify({locale: 'fr_FR'})})
                });
                return reply.status;
            }""",
            f"{lab}/lab/api/settings/{setting}",
        )
        assert status == 204, status
        page.goto(f"{lab}/lab", timeout=180_000)
        page.locator(".lm-TabBar-tab[data-id='echoes-catalog']").wait_for(timeout=180_000)
        open_catalog(page)
        header = page.locator(".echoes-Catalog-header")
        assert header.inner_text(timeout=30_000) == "Catalogues du patrimoine"
        page.keyboard.press("Control+Shift+C")
        page.locator(".lm-CommandPalette-input").fill("Contribuer une collection")
        page.locator(".lm-CommandPalette-item", has_text="Contribuer une collection").first.click()
        panel = page.locator("#echoes-contribute")
        panel.locator("h3", has_text="1. Téléverser le tableau").wait_for(timeout=60_000)
        panel.locator(".echoes-Contribute-upload input[type=file]").set_input_files(str(sheet))
        panel.locator(".echoes-Contribute-upload button[type=submit]").click()
        panel.locator("h3", has_text="2. Le tableau : lab-works.csv").wait_for(timeout=60_000)
        # The fields' explanations come from the twins service, in the panel's language.
        assert panel.locator("label[title='son titre ou son nom']").count() == 1
