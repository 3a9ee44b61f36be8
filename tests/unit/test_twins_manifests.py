"""The twins service's IIIF manifests (hub/services/twins/manifests.py) on the data
build's real records, over real HTTP, each checked by the IIIF community's models of
Presentation 3 (iiif-prezi3: required properties and their types)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from iiif_prezi3 import Collection, Manifest

from tests.unit.test_twins_oai import built  # noqa: F401 (a fixture)
from tests.unit.test_twins_service import Service, running

PHOTOGRAPH = "https://heritage.echoes.invalid/images/coins/canvas/1"
PROFILE = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'


@pytest.fixture(scope="module")
def service(built, tmp_path_factory) -> Iterator[Service]:  # noqa: F811
    stores = tmp_path_factory.mktemp("manifests") / "stores"
    with running(Service(built, stores)) as started:
        yield started


def test_a_coins_manifest_is_its_region_on_the_photographs_canvas(service):
    page = service.url + "objects/coins/7"
    reply = requests.get(page + "/manifest.json", timeout=10)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == PROFILE
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    document = reply.json()
    Manifest(**document)  # valid Presentation 3
    assert document["id"] == page + "/manifest.json"
    assert document["label"] == {"en": ["Greek coin 7 from Pompeii"]}
    assert document["homepage"][0]["id"] == page
    assert document["seeAlso"][0]["id"] == page + "?format=json-ld"
    assert document["rights"] == "http://rightsstatements.org/vocab/NKC/1.0/"
    assert "Brooklyn Museum" in document["requiredStatement"]["value"]["en"][0]
    [canvas] = document["items"]
    assert canvas["id"] == PHOTOGRAPH  # what annotations on the photograph target
    assert (canvas["width"], canvas["height"]) == (384, 303)
    body = canvas["items"][0]["items"][0]["body"]
    assert (
        body["service"][0]["id"]
        == "http://iiif.invalid/services/iiif/image/3/images%2Fcoins%2Fcoins.png"
    )
    [region] = canvas["annotations"][0]["items"]
    assert region["motivation"] == "tagging"
    assert region["target"] == PHOTOGRAPH + "#xywh=25,104,42,41"
    assert document["partOf"][0]["id"].endswith("presentation/images/coins/manifest.json")
    metadata = {m["label"]["en"][0]: m["value"]["none"][0] for m in document["metadata"]}
    assert metadata["Twin"] == "urn:echoes:object:coins/7" and metadata["Type"] == "Coin"


def test_an_object_in_no_image_has_no_manifest_and_an_unknown_one_is_a_404(service):
    for path, named in (("pottery/GB1", "no image"), ("coins/99", "no object")):
        reply = requests.get(f"{service.url}objects/{path}/manifest.json", timeout=10)
        assert reply.status_code == 404 and named in reply.json()["message"]
        assert reply.json()["field"] == "id"


def test_the_collection_lists_every_coins_manifest_and_each_resolves(service):
    reply = requests.get(service.url + "iiif/collection.json", timeout=10)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == PROFILE
    document = reply.json()
    Collection(**document)
    assert requests.get(service.url, timeout=10).json()["iiif_collection"] == document["id"]
    ids = [item["id"] for item in document["items"]]
    assert len(ids) == 24 and all("/objects/coins/" in i for i in ids)
    for manifest in ids:
        assert requests.get(manifest, timeout=10).status_code == 200
