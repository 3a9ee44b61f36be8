"""The digital twins the data build makes (catalogs/twins.py): one Linked Art record per
object of the shared data, read as RDF by the Linked Art context and checked by the SHACL
shapes; a record that does not conform stops the build naming the object and the property.

Uses the data folder of ECHOES_DATA_DIR or the repository's .echoes/heritage (`make data`).
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from echoes_data import DEFAULT_BASE_URL, twins

REPO = Path(__file__).resolve().parents[2]
CRM = Namespace("http://www.cidoc-crm.org/cidoc-crm/")
COUNTS = {"tate": 4284, "painters": 54, "pottery": 48, "skulls": 150, "rock-art": 103, "coins": 24}


@pytest.fixture(scope="module")
def data_dir() -> Path:
    path = Path(os.environ.get("ECHOES_DATA_DIR") or REPO / ".echoes" / "heritage")
    assert (path / "catalog.yaml").is_file(), f"no data folder at {path}: run `make data`"
    return path


@pytest.fixture(scope="module")
def sources(data_dir) -> dict[str, twins.Source]:
    """Each collection's source (its catalog entry in the built data), by collection."""
    found = twins.sources(data_dir, DEFAULT_BASE_URL).items()
    return {twins.COLLECTIONS[entry].name: source for entry, source in found}


@pytest.fixture(scope="module")
def first_records(sources) -> dict[str, list[dict]]:
    """The first two records of every collection, made from the built data."""
    found = {}
    for name, source in sources.items():
        made = twins.COLLECTIONS[source.entry].make(source)
        found[name] = [next(made), next(made)]
    return found


def read(name: str, data_dir: Path) -> dict[str, dict]:
    return json.loads((data_dir / twins.FOLDER / f"{name}.json").read_text())


def test_every_object_of_the_shared_data_has_a_twin_with_a_stable_iri(data_dir):
    index = json.loads((data_dir / twins.FOLDER / twins.INDEX).read_text())
    assert {name: c["objects"] for name, c in index.items()} == COUNTS
    for name, count in COUNTS.items():
        records = read(name, data_dir)
        assert len(records) == count
        for local_id, record in records.items():
            assert record["id"] == f"urn:echoes:object:{name}/{local_id}"
            assert record["@context"] == "https://linked.art/ns/v1/linked-art.json"
        assert index[name]["graph"] == f"urn:echoes:graph:{name}"
        assert (data_dir / twins.FOLDER / f"{name}.nq").stat().st_size > 0


def test_a_coin_is_its_region_of_the_photograph(data_dir):
    coin = read("coins", data_dir)["7"]
    assert coin["classified_as"][0]["id"] == "http://vocab.getty.edu/aat/300037222"  # coins
    image = coin["representation"][0]["digitally_shown_by"][0]
    canvas = f"{DEFAULT_BASE_URL}/images/coins/canvas/1#xywh="
    assert image["access_point"][0]["id"].startswith(canvas)
    region = [int(n) for n in image["access_point"][0]["id"].split("=")[1].split(",")]
    # The annotator's coin 7 (same segmentation, same reading order).
    from echoes.annotators.coins import segment

    seventh = segment()[6]
    assert region == [seventh.x, seventh.y, seventh.w, seventh.h]
    widths = [d["value"] for d in image["dimension"] if d["unit"]["_label"] == "pixels"]
    assert widths[0] == seventh.w


def test_a_pottery_sample_has_its_chemistry_with_units_and_its_kiln(data_dir):
    sample = read("pottery", data_dir)["GA1"]
    alumina = next(d for d in sample["dimension"] if "Al2O3" in d["classified_as"][0]["id"])
    assert alumina["value"] == 18.8
    assert alumina["unit"]["id"] == "http://vocab.getty.edu/aat/300417377"  # percent
    kiln = sample["produced_by"]["took_place_at"][0]
    assert kiln["id"] == "urn:echoes:place:kiln/1"
    assert kiln["part_of"][0]["_label"] == "Gloucester"


def test_a_tate_artwork_has_its_artist_year_owner_and_source(data_dir):
    work = read("tate", data_dir)["20472"]
    assert work["_label"] == "Michael"
    production = work["produced_by"]
    assert production["carried_out_by"][0]["_label"] == "Auerbach, Frank"
    assert production["timespan"]["begin_of_the_begin"] == "1990-01-01T00:00:00Z"
    assert work["current_owner"][0]["_label"] == "Tate"
    dataset = work["subject_of"][0]["digitally_carried_by"][0]
    assert dataset == {
        "id": "urn:echoes:dataset:collections.tate",
        "type": "DigitalObject",
        "_label": "Tate collection, artworks made 1990 to 2012",
    }


def test_each_data_set_is_described_once_in_its_collections_graph_not_in_every_record(
    data_dir, sources
):
    """The records name their data set by IRI; its citation and licence are in the
    collection's graph once (they were 4,284 blank-node copies in the Tate's)."""
    for name, source in sources.items():
        dataset = Dataset()
        dataset.parse(data_dir / twins.FOLDER / f"{name}.nq", format="nquads")
        graph = dataset.graph(URIRef(f"urn:echoes:graph:{name}"))
        iri = URIRef(source.iri)
        cited = [
            statement
            for statement in graph.objects(iri, CRM.P67i_is_referred_to_by)
            if (statement, RDF.type, CRM.E33_Linguistic_Object) in graph
        ]
        assert len(cited) == 2, name  # its citation and its rights statement
        citations = [c for c in graph.objects(None, CRM.P190_has_symbolic_content)]
        citation = " ".join(source.meta["citation"].split())
        assert citations.count(Literal(citation)) == 1, name
        licence = twins.licence(source.meta["licence"])["id"]
        assert len(list(graph.subjects(CRM.P2_has_type, URIRef(licence)))) == 1, name
    tate = sources["tate"]
    assert tate.meta["citation"].startswith("Tate (2014). Tate Collection metadata.")


def test_the_records_read_as_a_json_ld_processor_reads_them(first_records):
    """The build reads records by the context's terms (fast); rdflib's JSON-LD processor,
    given the same Linked Art context, must find the same triples."""
    for name, records in first_records.items():
        for record in records:
            document = {**record, "@context": twins.context()}
            reference = Graph().parse(data=json.dumps(document), format="json-ld")
            ours = twins.as_rdf([record], Graph())
            assert len(ours) > 20, name
            assert isomorphic(reference, ours), f"{name}: {record['id']}"


def test_the_records_of_every_collection_conform_to_the_shapes(first_records, sources):
    for name, records in first_records.items():
        twins.check(records, [sources[name].dataset()])  # raises if not


def test_a_data_set_without_its_citation_stops_the_build(first_records, sources):
    dataset = sources["coins"].dataset()
    del dataset["referred_to_by"]  # its citation and rights statement
    with pytest.raises(twins.TwinError, match="the source data set has a citation"):
        twins.check(first_records["coins"], [dataset])


def test_a_record_without_its_source_stops_the_build_naming_object_and_property(first_records):
    record = copy.deepcopy(first_records["pottery"][0])
    del record["subject_of"]
    with pytest.raises(twins.TwinError) as refused:
        twins.check([record])
    assert "urn:echoes:object:pottery/GA1: crm:P129i_is_subject_of" in str(refused.value)


def test_a_measurement_without_a_unit_stops_the_build_naming_object_and_property(first_records):
    record = copy.deepcopy(first_records["skulls"][1])
    del record["dimension"][2]["unit"]
    with pytest.raises(twins.TwinError) as refused:
        twins.check([record])
    assert "urn:echoes:object:skulls/2: crm:P43_has_dimension" in str(refused.value)


def test_a_term_linked_art_does_not_know_is_refused(first_records):
    record = copy.deepcopy(first_records["tate"][0])
    record["colour"] = "red"
    with pytest.raises(twins.TwinError, match="'colour' is no term of Linked Art"):
        twins.check([record])


def test_the_build_fingerprint_covers_the_code_of_other_packages_the_twins_run(
    tmp_path, monkeypatch
):
    """A changed build is never served from the cache of an older one: the fingerprint
    that keys the cache (recipe.fingerprint) hashes every module of another package that
    the recipe imports (the coins' segmentation), not only the package's version."""
    from echoes_data import recipe

    imported = set()
    for module in (REPO / "catalogs").glob("*.py"):
        imported |= set(re.findall(r"^\s*from (echoes\.[\w.]+) import", module.read_text(), re.M))
    assert imported and imported <= set(twins.CODE)
    before = recipe.fingerprint(DEFAULT_BASE_URL)
    changed = tmp_path / "coins.py"
    changed.write_bytes(recipe.code_file("echoes.annotators.coins").read_bytes() + b"\n# new\n")
    monkeypatch.setattr(recipe, "code_file", lambda module: changed)
    assert recipe.fingerprint(DEFAULT_BASE_URL) != before
