"""The shared heritage data: built from packaged sources, loadable, described, checksummed.

Uses the data folder of ECHOES_DATA_DIR or the repository's .echoes/heritage (what `make
test` builds), rebuilding it here if the recipe changed since.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import intake
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from echoes_data import recipe, sources, validate

REPO = Path(__file__).resolve().parents[2]
THEMES = {"collections", "archaeometry", "sites", "images", "environment"}


@pytest.fixture(scope="module")
def data_dir() -> Path:
    path = Path(os.environ.get("ECHOES_DATA_DIR") or REPO / ".echoes" / "heritage")
    return recipe.build(path)


def all_entries(root: Path) -> list[tuple[str, Path, str, dict]]:
    walk = validate.walk(root / "catalog.yaml")
    return [(name, file, entry, doc["entries"][entry]) for name, file, doc, entry in walk]


def test_the_root_catalog_nests_one_catalog_per_theme(data_dir):
    root = intake.open_catalog(str(data_dir / "catalog.yaml"))
    assert set(root.entries) == THEMES
    for theme in THEMES:
        sub = root[theme].read()
        assert sub.entries, f"theme {theme} has no entries"
        assert root.entries[theme].metadata["description"]


def test_every_entry_loads_through_plain_intake_and_its_columns_are_described(data_dir):
    entries = all_entries(data_dir)
    assert len(entries) >= 10
    for name, file, entry_name, entry in entries:
        meta = entry["metadata"]
        for key in ("title", "description", "licence", "citation", "provenance"):
            assert meta.get(key), f"{name}: metadata.{key} missing"
        assert validate.licence_problem(meta["licence"]) is None, name
        value = intake.from_yaml_file(str(file))[entry_name].read()
        if isinstance(value, pd.DataFrame):
            described = set(meta["columns"])
            patterns = [g["pattern"] for g in meta.get("column_groups", [])]
            undescribed = [
                c
                for c in value.columns
                if c not in described
                and not any(pd.Series([c]).str.fullmatch(p)[0] for p in patterns)
            ]
            assert not undescribed, f"{name}: columns without a description: {undescribed[:5]}"
            assert not described - set(value.columns), f"{name}: described but absent"
            assert len(value) > 0
        elif isinstance(value, xr.Dataset):
            assert set(meta["variables"]) == set(value.variables), name
        elif isinstance(value, np.ndarray):
            # Each image's variables say its shape (the coins, the large relief map).
            assert value.dtype == np.uint8, name
            assert f"shape {value.shape}" in " ".join(meta["variables"].values()), name
        else:
            assert value["type"] == "Manifest"


def test_real_data_has_the_published_shape(data_dir):
    cat = intake.from_yaml_file(str(data_dir / "catalog.yaml"))
    tate = cat.collections.read().tate.read()
    assert len(tate) == 4284 and tate["year"].between(1990, 2012).all()
    pots = cat.archaeometry.read().pottery_kilns.read()
    assert len(pots) == 48
    assert pots["site"].value_counts()["Gloucester"] == 22
    skulls = cat.archaeometry.read().egyptian_skulls.read()
    assert skulls.groupby("epoch", observed=True).size().tolist() == [30] * 5
    painters = cat.collections.read().painters.read()
    assert "Da Vinci" in set(painters["painter"]) and len(painters) == 54
    nottingham = cat.environment.read().nottingham_castle_temperature.read()
    assert nottingham.sizes["time"] == 240
    assert str(nottingham["time"].values[0])[:10] == "1920-01-01"
    air = cat.environment.read().new_york_air_quality.read()
    assert air.sizes["time"] == 153 and int(air["ozone"].isnull().sum()) == 37


def test_recorded_checksums_match_the_built_files(data_dir):
    assert validate.check(data_dir / "catalog.yaml", checksums=True) == []
    for name, file, entry_name, entry in all_entries(data_dir):
        doc, _ = validate.load_yaml(file)
        path = validate.entry_path(file, doc, entry_name)
        assert validate.sha256(path) == entry["metadata"]["sha256"], name
        assert path.stat().st_size == entry["metadata"]["bytes"], name


def test_sources_ship_inside_the_installed_wheels_and_versions_are_recorded(data_dir):
    for name, _, _, entry in all_entries(data_dir):
        provenance = entry["metadata"]["provenance"]
        if provenance["package"] == "echoes-vre":
            continue
        assert provenance["package_version"] == sources.version(provenance["package"]), name
    assert sources.packaged_file("skimage", "data/coins.png").stat().st_size > 0
    with pytest.raises(sources.SourceError, match="does not ship HSAUR/no_such_data"):
        sources.rdataset("HSAUR/no_such_data")


def test_the_data_folder_is_readable_by_every_user(data_dir):
    for path in [data_dir, *data_dir.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), f"{path}: {oct(mode)}"


def test_iiif_manifest_has_one_canvas_per_image_with_its_size(data_dir):
    manifest = json.loads((data_dir / "images" / "coins" / "manifest.json").read_text())
    assert manifest["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert manifest["type"] == "Manifest" and manifest["id"].endswith("/images/coins/manifest.json")
    (canvas,) = manifest["items"]
    assert (canvas["type"], canvas["width"], canvas["height"]) == ("Canvas", 384, 303)
    annotation = canvas["items"][0]["items"][0]
    assert annotation["motivation"] == "painting" and annotation["target"] == canvas["id"]
    assert annotation["body"]["id"].endswith("/images/coins/coins.png")
    assert annotation["body"]["format"] == "image/png"
    assert manifest["rights"] == "http://rightsstatements.org/vocab/NKC/1.0/"


def test_an_unchanged_build_is_a_no_op_and_a_forced_one_swaps_in_a_whole_folder(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ECHOES_DATA_CACHE", str(tmp_path / "cache"))
    url = "http://localhost:8000/heritage"
    target = recipe.build(tmp_path / "heritage", base_url=url)
    stamp = (target / recipe.STAMP).read_text()
    recipe.build(target, base_url=url)
    assert (target / recipe.STAMP).read_text() == stamp
    manifest = json.loads((target / "images" / "coins" / "manifest.json").read_text())
    assert manifest["id"] == "http://localhost:8000/heritage/images/coins/manifest.json"
    # A second folder of the same fingerprint is the cached build, checked.
    (key,) = [p.name for p in (tmp_path / "cache").iterdir()]
    assert key == recipe.fingerprint(url)
    second = recipe.build(tmp_path / "second", base_url=url)
    assert (second / recipe.STAMP).read_text() == stamp
    assert validate.check(second / "catalog.yaml", checksums=True) == []
    # Forced: built anew, whole, and the cache renewed (its damaged file replaced).
    damaged = tmp_path / "cache" / key / "archaeometry" / "catalog.yaml"
    damaged.write_text("damaged")
    (target / "stray.txt").write_text("left from an old build")
    recipe.build(target, base_url=url, force=True)
    assert not (target / "stray.txt").exists()
    assert damaged.read_bytes() == (target / "archaeometry" / "catalog.yaml").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "heritage", "second"]


def test_echoes_catalog_and_search_find_entries_by_words(data_dir, monkeypatch):
    import echoes

    monkeypatch.setenv("ECHOES_DATA_DIR", str(data_dir))
    cat = echoes.catalog()
    assert set(cat.entries) == THEMES
    hits = echoes.search("pottery")
    assert set(hits.entries) == {"archaeometry.pottery_kilns", "archaeometry.pottery"}
    assert len(hits["archaeometry.pottery_kilns"].read()) == 48
    assert set(echoes.search("GLOUCESTER kiln").entries) == {"archaeometry.pottery_kilns"}
    assert "collections.tate" in echoes.search("CC0-1.0").entries  # licence metadata
    assert "environment.nottingham_castle_temperature" in echoes.search("time series").entries
    assert list(echoes.search("no such words anywhere").entries) == []


def test_search_results_look_like_results_and_list_their_hits(data_dir, monkeypatch):
    """As the README shows it: `echoes.search("coins")` in a notebook or a terminal names
    each hit with its title, licence and the code that opens it, and iterates over them."""
    import echoes

    monkeypatch.setenv("ECHOES_DATA_DIR", str(data_dir))
    hits = echoes.search("coins")
    assert [hit.name for hit in hits] == ["images.coins", "images.coins_manifest"]
    assert [hit.name for hit in list(hits)] == ["images.coins", "images.coins_manifest"]
    assert len(hits) == 2 and "images.coins" in hits
    coins = hits[0]
    assert coins is hits["images.coins"]
    assert coins.title == "Greek coins from Pompeii (photograph)"
    assert coins.licence == "LicenseRef-No-Known-Copyright-Restrictions"
    assert "24 Greek coins" in coins.description
    assert coins.code == "echoes.catalog().images.read().coins.read()"
    assert coins.read().shape == (303, 384)
    text = repr(hits)
    assert text.startswith("2 catalog entries match 'coins':")
    for expected in (coins.name, coins.title, coins.licence, coins.code):
        assert expected in text
    assert "named datasets" not in text
    page = hits._repr_html_()
    for expected in (coins.name, coins.title, coins.licence, coins.code, "24 Greek coins"):
        assert expected in page
    assert page.count("<tr>") == 3  # a header and one row per hit
    none = echoes.search("no such words anywhere")
    assert list(none) == [] and repr(none) == "No catalog entry matches 'no such words anywhere'."
    assert "<table>" not in none._repr_html_()


def test_import_echoes_stays_light():
    code = "import sys, echoes; print('intake' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_echoes_data_cli_lists_and_checks(data_dir):
    echoes = Path(sys.executable).parent / "echoes"
    listed = subprocess.run(
        [echoes, "data", "list", "--data-dir", data_dir], capture_output=True, text=True
    )
    assert listed.returncode == 0 and "archaeometry.pottery_kilns" in listed.stdout
    checked = subprocess.run(
        [echoes, "data", "check", "--checksums", "--data-dir", data_dir],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip().endswith(": ok")
