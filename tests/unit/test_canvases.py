"""An image's one identity: the canvas its built IIIF manifest names (echoes_data.canvases),
the same for the notebooks, the views and the hub's canvases.json."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from echoes.server import catalog
from echoes_data import canvases, recipe
from echoes_data.validate import CatalogError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data_dir() -> Path:
    """The shared data folder (built by `make data`; the recipe skips a fresh one)."""
    return recipe.build(Path(os.environ.get("ECHOES_DATA_DIR") or REPO / ".echoes" / "heritage"))


def test_the_build_lists_for_the_hub_the_canvas_each_manifest_names(data_dir):
    listed = json.loads((data_dir / canvases.INDEX).read_text())
    assert listed == canvases.canvases(data_dir / "catalog.yaml")
    manifest = json.loads((data_dir / "images/coins/manifest.json").read_text())
    assert listed["images.coins"] == {
        "id": manifest["items"][0]["id"],
        "type": "Canvas",
        "partOf": [{"id": manifest["id"], "type": "Manifest"}],
    }


@pytest.fixture
def two_images(data_dir, tmp_path) -> Path:
    """A copy of the data folder whose coins manifest shows the photograph twice: as
    ``coins`` (canvas 1) and as a second entry ``coins_again`` (canvas 2)."""
    copied = shutil.copytree(data_dir, tmp_path / "heritage")
    images = copied / "images" / "catalog.yaml"
    doc = yaml.safe_load(images.read_text())
    doc["entries"]["coins_again"] = copy.deepcopy(doc["entries"]["coins"])
    doc["entries"]["coins_again"]["metadata"]["title"] = "The coins again"
    doc["entries"]["coins_manifest"]["metadata"]["images"] = ["coins", "coins_again"]
    images.write_text(yaml.safe_dump(doc, sort_keys=False))
    path = copied / "images" / "coins" / "manifest.json"
    manifest = json.loads(path.read_text())
    second = copy.deepcopy(manifest["items"][0])
    second["id"] = second["id"].replace("/canvas/1", "/canvas/2")
    manifest["items"].append(second)
    path.write_text(json.dumps(manifest))
    return copied


def test_each_image_of_a_manifest_has_its_own_canvas_and_annotate_offers_each(two_images):
    found = canvases.canvases(two_images / "catalog.yaml")
    assert found["images.coins"]["id"].endswith("/canvas/1")
    assert found["images.coins_again"]["id"].endswith("/canvas/2")
    offered = catalog.entry("images.coins_manifest", str(two_images))["canvases"]
    assert [(c["entry"], c["title"], c["canvas"]) for c in offered] == [
        ("images.coins", "Greek coins from Pompeii (photograph)", found["images.coins"]),
        ("images.coins_again", "The coins again", found["images.coins_again"]),
    ]
    assert (
        catalog.entry("images.coins_again", str(two_images))["canvas"]
        == found["images.coins_again"]
    )


def test_a_manifest_that_lacks_a_canvas_is_named(two_images):
    path = two_images / "images" / "coins" / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "items": manifest["items"][:1]}))
    with pytest.raises(CatalogError, match=r"1 canvases for the 2 images of 'images\.coins_man"):
        canvases.canvases(two_images / "catalog.yaml")
