"""Harvesting IIIF Presentation sources (hub/services/twins/harvest/iiif.py,
iiif_upgrade.py) over real HTTP: a throwaway static server (Python's http.server) serves
the synthetic documents of tests/iiif_sources/, a Presentation 3 collection of a
Presentation 3 manifest, a Presentation 2 manifest and a Presentation 2 sub-collection.
A first harvest, one with a changed, a removed and a new manifest, one with nothing new;
manifests that answer garbage, too much or nothing, each failing alone; a collection that
does, failing the harvest and keeping what was harvested; cycles and nesting bounded; the
Presentation 2 upgrade checked by iiif-prezi3's models. Then our own twins service's IIIF
collection harvested back, and a harvested twin's page showing its image."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from iiif_prezi3 import Collection, Manifest

from echoes_hub.services.twins.harvest import iiif
from echoes_hub.services.twins.harvest.fetch import Limits
from echoes_hub.services.twins.harvest.folder import HarvestFolder
from echoes_hub.services.twins.harvest.iiif_upgrade import upgrade
from echoes_hub.services.twins.harvest.records import local_id
from echoes_hub.services.twins.harvest.run import harvest
from echoes_hub.services.twins.harvest.sources import Source
from tests import twins_data
from tests.unit.test_twins_oai import built  # noqa: F401 (a fixture)
from tests.unit.test_twins_service import Service, running

SOURCES = Path(__file__).resolve().parents[1] / "iiif_sources"
PLACEHOLDER = "https://iiif.example/"
IMAGE_API = "http://iiif.io/api/image"
#: Small limits, so that a misbehaving answer is over quickly.
QUICK = Limits(timeout=1.0, max_bytes=64 << 10)


class Handler(SimpleHTTPRequestHandler):
    """Files from the server's folder; under ``/hang/`` nothing, until the server stops."""

    def do_GET(self) -> None:
        if self.path.startswith("/hang/"):
            self.server.stopping.wait(30)
            return
        super().do_GET()

    def log_message(self, *args: Any) -> None:
        pass


class StaticServer:
    """A throwaway HTTP server of the files in ``root`` on loopback."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=root))
        self.server.daemon_threads = True
        self.server.stopping = threading.Event()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def write(self, name: str, document: dict[str, Any] | str) -> str:
        """Serve ``document`` (a fixture's name, JSON, or text as it is) at ``name``."""
        text = document if isinstance(document, str) else json.dumps(document)
        (self.root / name).write_text(text.replace(PLACEHOLDER, self.url), encoding="utf-8")
        return self.url + name

    def fixture(self, name: str) -> dict[str, Any]:
        text = (SOURCES / name).read_text(encoding="utf-8")
        return json.loads(text.replace(PLACEHOLDER, self.url))


@contextmanager
def serving(root: Path) -> Iterator[StaticServer]:
    root.mkdir(parents=True, exist_ok=True)
    static = StaticServer(root)
    static.thread.start()
    try:
        yield static
    finally:
        static.server.stopping.set()
        static.server.shutdown()
        static.server.server_close()
        static.thread.join(10)


@pytest.fixture
def museum(tmp_path) -> Iterator[StaticServer]:
    """The fixtures' museum: its collection and every document it lists."""
    with serving(tmp_path / "site") as static:
        for path in SOURCES.glob("*.json"):
            static.write(path.name, path.read_text(encoding="utf-8"))
        yield static


def source(url: str, name: str = "museum") -> Source:
    return Source(
        name=name,
        url=url,
        title="A synthetic museum's IIIF collection",
        licence="CC0-1.0",
        citation="Synthetic IIIF documents made for ECHOES VRE's tests.",
        protocol="iiif",
    ).check()


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def services_of(twin: dict[str, Any]) -> list[str]:
    return [
        point["id"]
        for visual in twin.get("representation", [])
        for digital in visual["digitally_shown_by"]
        for service in digital.get("digitally_available_via", [])
        if service["conforms_to"][0]["id"] == IMAGE_API
        for point in service["access_point"]
    ]


def test_a_first_a_changed_and_an_idle_harvest_of_a_collection_of_v3_and_v2(museum, tmp_path):
    folder = HarvestFolder(tmp_path / "harvest")
    top = museum.url + "collection.json"
    first = harvest(source(top), folder)
    # The plate is listed twice (in the collection and in the prints): harvested once.
    assert (first.error, first.seen, first.added, first.failed, first.total) == ("", 3, 3, [], 3)
    twins = folder.records("museum")
    coin = twins[local_id(museum.url + "coin-v3.json")]
    assert coin["_label"] == "Tetradrachm of Athens"
    names = [n["content"] for n in coin["identified_by"] if n["type"] == "Name"]
    assert names == ["Tetradrachm of Athens", "Tetradrachme aus Athen"]
    identifiers = [i["content"] for i in coin["identified_by"] if i["type"] == "Identifier"]
    assert identifiers == [museum.url + "coin-v3.json", "SYN.1"]
    assert coin["produced_by"]["carried_out_by"][0]["_label"] == "Mint of Athens"
    assert coin["produced_by"]["timespan"]["_label"] == "c. 450 BC"
    assert coin["produced_by"]["took_place_at"][0]["_label"] == "Athens"
    assert [t["_label"] for t in coin["classified_as"]] == ["Coin"]
    assert coin["current_owner"][0]["_label"] == "A synthetic museum of coins"
    statements = [s["content"] for s in coin["referred_to_by"]]
    # The summary's HTML is text now (the script and its words gone), the rest as said.
    assert statements[0] == "Silver coin with Athena and an owl & olive sprig."
    assert "Weight: 17.2 g" in statements and "Silver" in statements
    assert "Subject: Athena" in statements and not any("alert" in s for s in statements)
    assert services_of(coin) == [museum.url + "images/coin"]
    [digital] = coin["representation"][-1]["digitally_shown_by"]
    assert digital["access_point"][0]["id"] == museum.url + "images/coin/full/max/0/default.jpg"
    assert digital["classified_as"][0]["id"] == "http://vocab.getty.edu/aat/300215302"
    assert digital["digitally_available_via"][0]["type"] == "DigitalService"

    # The Presentation 2 plate, upgraded on the way in.
    plate = twins[local_id(museum.url + "plate-v2.json")]
    assert plate["_label"] == "Plate with a hunting scene"
    assert plate["produced_by"]["carried_out_by"][0]["_label"] == "Workshop of the Blue Hunter"
    assert plate["produced_by"]["timespan"]["_label"] == "1680-1700"
    statements = [s["content"] for s in plate["referred_to_by"]]
    assert statements[:2] == ["A tin-glazed plate, painted in blue.", "Ein Teller."]
    assert "Dimensions: Diameter 31 cm" in statements and "Tin-glazed earthenware" in statements
    assert plate["current_owner"] == [
        {"type": "Group", "_label": "Provided by a synthetic museum of ceramics"}
    ]
    assert services_of(plate) == [
        museum.url + "images/plate-front",
        museum.url + "images/plate-back",
    ]
    prints = twins[local_id(museum.url + "print-1-v2.json")]
    assert prints["_label"] == "View of a harbour"
    assert [t["_label"] for t in prints["classified_as"]] == ["Print"]
    # Where each came from: its manifest, its navDate, the manifest as sent.
    origin = folder.origins("museum")[local_id(museum.url + "plate-v2.json")]
    assert origin.url == origin.identifier == museum.url + "plate-v2.json"
    assert origin.datestamp == "1690-01-01T00:00:00Z"
    raw = folder.raw("museum")[local_id(museum.url + "plate-v2.json")]
    assert json.loads(raw)["@type"] == "sc:Manifest"  # as the source sent it, not upgraded
    assert folder.index()["museum"]["source"]["protocol"] == "iiif"
    stamp = (folder.root / "BUILD.json").read_text()

    # The source changes the plate, drops the print and adds a coin.
    plate_v2 = museum.fixture("plate-v2.json")
    museum.write("plate-v2.json", {**plate_v2, "label": "Plate with a hunting scene, Delft"})
    prints_v2 = museum.fixture("prints-v2.json")
    museum.write("prints-v2.json", {**prints_v2, "manifests": prints_v2["manifests"][1:]})
    collection = museum.fixture("collection.json")
    added = {"id": museum.url + "coin-2-v3.json", "type": "Manifest"}
    museum.write("collection.json", {**collection, "items": [*collection["items"], added]})
    second = harvest(source(top), folder)
    assert (second.error, second.seen, second.failed) == ("", 3, [])
    assert (second.added, second.changed, second.unchanged, second.withdrawn) == (1, 1, 1, 1)
    twins = folder.records("museum")
    assert len(twins) == 4  # the print is kept, withdrawn
    assert twins[local_id(museum.url + "plate-v2.json")]["_label"].endswith(", Delft")
    assert twins[local_id(museum.url + "plate-v2.json")]["id"] == plate["id"]
    withdrawn = twins[local_id(museum.url + "print-1-v2.json")]
    assert "Withdrawn by its source" in withdrawn["referred_to_by"][-1]["content"]
    assert folder.origins("museum")[local_id(museum.url + "print-1-v2.json")].withdrawn
    assert twins[local_id(museum.url + "coin-2-v3.json")]["_label"] == "Denarius of Hadrian"
    assert (folder.root / "BUILD.json").read_text() != stamp

    # Nothing new: nothing written, nothing withdrawn twice.
    stamp = (folder.root / "BUILD.json").read_text()
    third = harvest(source(top), folder)
    assert (third.error, third.seen, third.unchanged) == ("", 3, 3)
    assert (third.added, third.changed, third.withdrawn) == (0, 0, 0)
    assert (folder.root / "BUILD.json").read_text() == stamp
    assert len(folder.state("museum")["harvests"]) == 3


def test_a_single_manifest_is_a_source_of_one_record(museum, tmp_path):
    folder = HarvestFolder(tmp_path / "harvest")
    report = harvest(source(museum.url + "print-1-v2.json"), folder)
    assert (report.error, report.added) == ("", 1)
    [(local, twin)] = folder.records("museum").items()
    assert local == local_id(museum.url + "print-1-v2.json")
    assert services_of(twin) == [museum.url + "images/print-1"]


def test_manifests_that_misbehave_fail_alone_and_the_others_are_harvested(tmp_path):
    with serving(tmp_path / "site") as site:
        site.write("good.json", (SOURCES / "coin-v3.json").read_text(encoding="utf-8"))
        site.write("garbage.json", '{"id": "x", "type": "Manifest", "label": ')
        site.write("huge.json", json.dumps({"padding": "x" * (QUICK.max_bytes + 1)}))
        site.write("collection-of-one.json", (SOURCES / "collection.json").read_text())
        site.write("deep.json", "[" * 30000 + "]" * 30000)  # within the size limit
        strange = {
            "id": site.url + "strange.json",
            "type": "Manifest",
            "label": 5,
            "summary": "not a language map",
            "metadata": [1, {"label": None}, {"label": {"en": ["Date"]}, "value": [2]}],
            "rights": ["not", "a", "string"],
            "items": ["x", {"items": 3}, {"items": [{"items": [{"body": "y"}]}]}],
        }
        site.write("strange.json", strange)
        names = [
            "good.json",
            "strange.json",
            "garbage.json",
            "huge.json",
            "hang/slow.json",
            "missing.json",
            "deep.json",
        ]
        top = {
            "id": site.url + "top.json",
            "type": "Collection",
            "label": {"en": ["Some good, some bad"]},
            "items": [{"id": site.url + n, "type": "Manifest"} for n in names]
            + [{"id": site.url + "collection-of-one.json", "type": "Manifest"}],
        }
        url = site.write("top.json", top)
        folder = HarvestFolder(tmp_path / "harvest")
        started = time.monotonic()
        report = harvest(source(url), folder, limits=QUICK)
        assert time.monotonic() - started < 10  # the hang costs its timeout, once
        assert (report.error, report.seen, report.added) == ("", 8, 2)
        reasons = {f["identifier"].removeprefix(site.url): f["reason"] for f in report.failed}
        assert "not JSON" in reasons["garbage.json"]
        assert "larger than" in reasons["huge.json"]
        assert "no answer" in reasons["hang/slow.json"]
        assert "HTTP 404" in reasons["missing.json"]
        assert "not a IIIF Manifest: a Collection" in reasons["collection-of-one.json"]
        assert "nested too deep" in reasons["deep.json"]
        twins = folder.records("museum")
        assert list(twins) == [local_id(site.url + n) for n in ("good.json", "strange.json")]
        # An odd shape is read for what it says, never a crash.
        assert twins[local_id(site.url + "strange.json")]["_label"] == "5"
        # Mended, the failed ones come in; the good one is not withdrawn meanwhile.
        site.write("garbage.json", (SOURCES / "coin-2-v3.json").read_text())
        again = harvest(source(url), folder, limits=QUICK)
        assert (again.added, again.unchanged, again.withdrawn) == (1, 2, 0)


@pytest.mark.parametrize(
    ("answer", "said", "said_of_the_top"),
    [
        ("[1, 2", "not JSON", "not JSON"),
        ("x" * (QUICK.max_bytes + 1), "larger than", "larger than"),
        (None, "no answer", "no answer"),
        ('{"type": "Annotation"}', "listed as a Collection, not one", "neither a IIIF"),
    ],
)
def test_a_collection_that_misbehaves_fails_the_harvest_and_keeps_what_was_harvested(
    museum, tmp_path, answer, said, said_of_the_top
):
    folder = HarvestFolder(tmp_path / "harvest")
    assert harvest(source(museum.url + "collection.json"), folder).error == ""
    kept = folder.records("museum")
    # A sub-collection breaks: the harvest fails (else the manifests it lists would be
    # withdrawn), and so it does when the top collection breaks. None: it hangs.
    broken = museum.url + ("hang/broken.json" if answer is None else "broken.json")
    if answer is not None:
        museum.write("broken.json", answer)
    collection = museum.fixture("collection.json")
    sub = museum.url + "prints-v2.json"
    items = [i if i["id"] != sub else {**i, "id": broken} for i in collection["items"]]
    museum.write("collection.json", {**collection, "items": items})
    for url, expected in ((museum.url + "collection.json", said), (broken, said_of_the_top)):
        started = time.monotonic()
        report = harvest(source(url, "museum"), folder, limits=QUICK)
        assert time.monotonic() - started < 5
        assert expected in report.error, report.error
        assert folder.state("museum")["harvests"][-1]["error"] == report.error
    assert folder.records("museum") == kept


def test_a_cycle_of_collections_is_walked_once_and_nesting_and_size_are_bounded(
    tmp_path, monkeypatch
):
    with serving(tmp_path / "site") as site:

        def collection(name: str, *items: tuple[str, str]) -> str:
            listed = [{"id": site.url + i, "type": t} for i, t in items]
            document = {"id": site.url + name, "type": "Collection", "label": {"en": [name]}}
            return site.write(name, {**document, "items": listed})

        site.write("m1.json", (SOURCES / "coin-v3.json").read_text())
        site.write("m2.json", (SOURCES / "coin-2-v3.json").read_text())
        a = collection("a.json", ("b.json", "Collection"), ("m1.json", "Manifest"))
        collection(
            "b.json", ("a.json", "Collection"), ("b.json", "Collection"), ("m2.json", "Manifest")
        )
        folder = HarvestFolder(tmp_path / "harvest")
        report = harvest(source(a), folder)
        assert (report.error, report.seen, report.added) == ("", 2, 2)

        for number in range(4):  # c0 > c1 > c2 > c3 > m1
            last = ("m1.json", "Manifest") if number == 3 else (f"c{number + 1}.json", "Collection")
            collection(f"c{number}.json", last)
        monkeypatch.setattr(iiif, "MAX_DEPTH", 2)
        deep = harvest(source(site.url + "c0.json", "deep"), folder)
        assert "c3.json: collections nested deeper than 2" in deep.error
        monkeypatch.setattr(iiif, "MAX_DEPTH", 3)
        assert harvest(source(site.url + "c0.json", "deep"), folder).error == ""
        monkeypatch.setattr(iiif, "MAX_MANIFESTS", 1)
        assert "more than 1 manifests" in harvest(source(a, "many"), folder).error


def test_a_source_that_hangs_on_every_manifest_ends_the_harvest(tmp_path, monkeypatch):
    monkeypatch.setattr(iiif, "FAILING_IN_A_ROW", 3)
    with serving(tmp_path / "site") as site:
        items = [{"id": f"{site.url}hang/{n}.json", "type": "Manifest"} for n in range(20)]
        url = site.write("top.json", {"id": "t", "type": "Collection", "items": items})
        started = time.monotonic()
        report = harvest(source(url), HarvestFolder(tmp_path / "harvest"), limits=QUICK)
    assert time.monotonic() - started < 8  # three timeouts, not twenty
    assert "3 manifests failed in a row" in report.error and report.seen == 2


def test_the_v2_upgrade_is_presentation_3_by_iiif_prezi3(museum):
    for name in ("plate-v2.json", "print-1-v2.json"):
        upgraded = upgrade(museum.fixture(name))
        Manifest(**upgraded)  # the IIIF community's models of Presentation 3
        nodes = list(walk(upgraded))
        assert not [n for n in nodes if "@id" in n or "@type" in n]
        for node in nodes:  # every resource Presentation 3 requires an id of has one
            if node.get("type") in ("Canvas", "AnnotationPage", "Annotation", "Manifest"):
                assert node.get("id", "").startswith("http"), node
        for name_ in ("label", "summary"):
            for node in nodes:
                if name_ in node:
                    assert all(isinstance(v, list) for v in node[name_].values()), node
    plate = upgrade(museum.fixture("plate-v2.json"))
    assert plate["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert plate["label"] == {"none": ["Plate with a hunting scene"]}
    assert plate["summary"] == {
        "en": ["A tin-glazed plate, <i>painted</i> in blue."],
        "de": ["Ein Teller."],
    }
    assert plate["metadata"][1] == {"label": {"en": ["Date"]}, "value": {"none": ["1680-1700"]}}
    assert plate["requiredStatement"]["value"] == {
        "none": ["Provided by a synthetic museum of ceramics"]
    }
    assert plate["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    assert plate["provider"][0]["logo"] == [{"id": museum.url + "logo.png", "type": "Image"}]
    assert plate["homepage"][0]["id"] == museum.url + "pages/plate"
    assert plate["homepage"][0]["type"] == "Text"
    assert plate["seeAlso"] == [
        {"id": museum.url + "plate.xml", "type": "Dataset", "format": "text/xml"}
    ]
    assert plate["partOf"] == [{"id": museum.url + "collection.json", "type": "Collection"}]
    assert (plate["navDate"], plate["behavior"]) == ("1690-01-01T00:00:00Z", ["individuals"])
    front, back = plate["items"]
    assert (front["type"], front["label"], front["width"]) == ("Canvas", {"none": ["Front"]}, 2000)
    [page] = front["items"]
    [painting] = page["items"]
    assert painting["motivation"] == "painting" and painting["target"] == front["id"]
    assert painting["body"]["type"] == "Image"
    assert painting["body"]["service"] == [
        {"id": museum.url + "images/plate-front", "type": "ImageService2", "profile": "level2"}
    ]
    assert front["annotations"] == [
        {"id": museum.url + "plate-v2/list/front", "type": "AnnotationPage"}
    ]
    assert back["items"][0]["items"][0]["id"] == museum.url + "plate-v2/annotation/back"
    assert back["items"][0]["items"][0]["body"]["service"][0]["profile"] == "level1"
    prints = upgrade(museum.fixture("prints-v2.json"))
    Collection(**prints)
    assert [(i["type"], i["id"]) for i in prints["items"]] == [
        ("Manifest", museum.url + "print-1-v2.json"),
        ("Manifest", museum.url + "plate-v2.json"),
    ]
    v3 = museum.fixture("coin-v3.json")
    assert upgrade(v3) is v3  # Presentation 3 stays as it is


def test_a_harvested_twins_page_shows_its_image_from_its_own_service(museum, tmp_path):
    folder = HarvestFolder(tmp_path / "harvest")
    assert harvest(source(museum.url + "collection.json"), folder).error == ""
    data = twins_data.write(tmp_path / "data", "build-1", objects=3)
    with running(Service(data, tmp_path / "stores", harvest_dir=str(folder.root))) as service:
        local = local_id(museum.url + "plate-v2.json")
        page = requests.get(
            f"{service.url}objects/museum/{local}", headers={"Accept": "text/html"}, timeout=10
        )
    assert page.status_code == 200 and "Plate with a hunting scene" in page.text
    front = museum.url + "images/plate-front"
    assert f'<img src="{front}/full/!800,800/0/default.jpg"' in page.text
    assert f'href="{front}/info.json"' in page.text
    assert f'href="{museum.url}plate-v2.json"' in page.text  # the source's manifest
    # No img-src in the page's policy: an image of another origin is not blocked.
    assert "img-src" not in page.headers["Content-Security-Policy"]


def test_our_own_iiif_collection_harvested_back_brings_the_coins_and_their_images(
    tmp_path,
    built,  # noqa: F811
):
    with running(Service(built, tmp_path / "stores")) as ours:
        report = harvest(
            source(ours.url + "iiif/collection.json", "echoes-coins"),
            HarvestFolder(tmp_path / "harvest"),
        )
        page = ours.url + "objects/coins/7"
    assert (report.error, report.added, report.failed) == ("", 24, [])
    twins = HarvestFolder(tmp_path / "harvest").records("echoes-coins")
    coin = twins[local_id(page + "/manifest.json")]
    assert coin["_label"] == "Greek coin 7 from Pompeii"
    assert coin["current_owner"][0]["_label"] == "Brooklyn Museum"
    assert [t["_label"] for t in coin["classified_as"]] == ["Coin"]
    assert services_of(coin) == [
        "http://iiif.invalid/services/iiif/image/3/images%2Fcoins%2Fcoins.png"
    ]
    assert "Twin: urn:echoes:object:coins/7" in [s["content"] for s in coin["referred_to_by"]]
    shown_at = [
        p["id"]
        for v in coin["representation"]
        for d in v["digitally_shown_by"]
        for p in d["access_point"]
    ]
    assert page in shown_at  # the manifest's homepage, the coin's page
