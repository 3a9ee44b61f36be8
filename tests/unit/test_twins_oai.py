"""The twins service's OAI-PMH provider (hub/services/twins/oai.py, provider.py,
crosswalk.py), harvested by two clients we did not write, sickle and oaipmh-scythe, over
real HTTP from the service's application in this process, on the data build's real
records. Every protocol error is asked for as a harvester would meet it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import fromstring, tostring

import pytest
import rdflib
import rdflib.compare
import requests
from oaipmh_scythe import Scythe
from sickle import Sickle
from sickle.oaiexceptions import BadResumptionToken

from tests import twins_data
from tests.unit.test_twins_service import Service, running

REPO = Path(__file__).resolve().parents[2]
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
EDM = rdflib.Namespace("http://www.europeana.eu/schemas/edm/")
ORE = rdflib.Namespace("http://www.openarchives.org/ore/terms/")
SVCS = rdflib.Namespace("http://rdfs.org/sioc/services#")


def data_build() -> Path:
    path = Path(os.environ.get("ECHOES_DATA_DIR") or REPO / ".echoes" / "heritage")
    assert (path / "twins" / "index.json").is_file(), f"no data build at {path}: run `make data`"
    return path


@pytest.fixture(scope="module")
def built() -> Path:
    return data_build()


@pytest.fixture(scope="module")
def service(built, tmp_path_factory) -> Iterator[Service]:
    """The service over the real data build, 500 records a page."""
    with running(Service(built, tmp_path_factory.mktemp("oai") / "stores", oai_page_size=500)) as s:
        yield s


def oai(service: Service, **arguments: str) -> object:
    reply = requests.get(service.url + "oai", params=arguments, timeout=30)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/xml")
    return fromstring(reply.content)


def error_of(service: Service, **arguments: str) -> tuple[str, str, dict]:
    root = oai(service, **arguments)
    error = root.find(f"{OAI}error")
    assert error is not None, f"no error for {arguments}"
    return error.get("code"), error.text or "", root.find(f"{OAI}request").attrib


def test_sickle_harvests_every_twin_in_pages_and_the_counts_match_the_build(service, built):
    index = json.loads((built / "twins" / "index.json").read_text())
    expected = {
        record["id"]
        for name in index
        for record in json.loads((built / "twins" / f"{name}.json").read_text()).values()
    }
    started = time.monotonic()
    records = list(Sickle(service.url + "oai").ListRecords(metadataPrefix="oai_dc"))
    seconds = time.monotonic() - started
    print(f"\nsickle: {len(records)} records in {seconds:.1f} s ({len(records) / seconds:.0f}/s)")
    assert len(records) == len(expected) > 1000  # ten pages and more, none twice
    assert {r.header.identifier for r in records} == expected
    by_id = {r.header.identifier: r for r in records}
    artwork = by_id["urn:echoes:object:tate/21926"]
    assert artwork.metadata["title"] == ["Proposals for a Habitat"]
    assert artwork.metadata["creator"] == ["Absalon"] and artwork.metadata["date"] == ["1990"]
    assert "http://creativecommons.org/publicdomain/zero/1.0/" in artwork.metadata["rights"]
    assert set(artwork.header.setSpecs) == {"twins", "twins:tate"}
    pottery = by_id["urn:echoes:object:pottery/GB1"].metadata
    assert pottery["coverage"] == ["kiln 1 (Gloucester)"]
    assert any(d.startswith("Al2O3") and d.endswith("percent") for d in pottery["description"])


def test_oaipmh_scythe_harvests_the_coins_as_edm_with_their_iiif_images(service, built):
    with Scythe(service.url + "oai") as scythe:
        records = list(scythe.list_records(metadata_prefix="edm", set_="twins:coins"))
        sets = {s.setSpec: s.setName for s in scythe.list_sets()}
        identify = scythe.identify()
    assert len(records) == 24
    assert identify.protocolVersion == "2.0" and identify.deletedRecord == "no"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    index = json.loads((built / "twins" / "index.json").read_text())
    assert sets == {
        "twins": "Every digital twin",
        "interpretations": "The public interpretations of the twins",
        **{f"twins:{name}": entry["title"] for name, entry in index.items()},
    }
    graph = rdflib.Graph()
    for record in records:
        graph.parse(data=record_rdf(record.raw), format="xml")
    coin = rdflib.URIRef("urn:echoes:object:coins/7")
    assert (coin, rdflib.RDF.type, EDM.ProvidedCHO) in graph
    assert str(graph.value(coin, EDM.type)) == "IMAGE"
    aggregation = graph.value(None, EDM.aggregatedCHO, coin)
    assert str(graph.value(aggregation, EDM.isShownAt)) == service.url + "objects/coins/7"
    assert str(graph.value(aggregation, EDM.dataProvider)) == "Brooklyn Museum"
    assert str(graph.value(aggregation, EDM.rights)) == "http://rightsstatements.org/vocab/NKC/1.0/"
    shown = graph.value(aggregation, EDM.isShownBy)
    assert str(shown).endswith("/25,104,42,41/max/0/default.jpg")
    image_service = graph.value(shown, SVCS.has_service)
    assert str(shown).startswith(str(image_service))
    assert len(set(graph.subjects(rdflib.RDF.type, EDM.ProvidedCHO))) == 24


def record_rdf(raw: str) -> str:
    """The rdf:RDF inside one record's XML, as a document of its own."""
    element = fromstring(raw).find(f".//{OAI}metadata")
    return tostring(next(iter(element)), encoding="unicode")


def test_identify_get_record_and_formats_name_what_each_record_has(service):
    identify = oai(service, verb="Identify").find(f"{OAI}Identify")
    assert identify.findtext(f"{OAI}baseURL") == service.url + "oai"
    assert identify.findtext(f"{OAI}adminEmail") == "root@localhost"
    root = oai(
        service, verb="GetRecord", identifier="urn:echoes:object:coins/7", metadataPrefix="oai_dc"
    )
    dc = root.find(f".//{OAI}metadata")[0]
    assert [t.text for t in dc.findall(f"{DC}title")] == ["Greek coin 7 from Pompeii"]
    identifiers = [t.text for t in dc.findall(f"{DC}identifier")]
    assert identifiers[:2] == ["urn:echoes:object:coins/7", service.url + "objects/coins/7"]
    formats = oai(service, verb="ListMetadataFormats", identifier="urn:echoes:object:coins/7")
    assert [p.text for p in formats.iter(f"{OAI}metadataPrefix")] == ["oai_dc", "edm"]
    # The same request as a form POST, as the protocol allows.
    posted = requests.post(service.url + "oai", data={"verb": "Identify"}, timeout=10)
    assert posted.status_code == 200 and b"<Identify>" in posted.content
    refused = requests.post(service.url + "oai", json={"verb": "Identify"}, timeout=10)
    assert refused.status_code == 415 and refused.json()["field"] == "Content-Type"


@pytest.mark.parametrize(
    ("arguments", "code", "named"),
    [
        ({}, "badVerb", "missing"),
        ({"verb": "ListEverything"}, "badVerb", "ListEverything"),
        ({"verb": "ListRecords"}, "badArgument", "metadataPrefix"),
        ({"verb": "Identify", "set": "twins"}, "badArgument", "set"),
        (
            {"verb": "GetRecord", "identifier": "urn:echoes:object:coins/7"},
            "badArgument",
            "metadataPrefix",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"},
            "badArgument",
            "alone",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"},
            "badArgument",
            "from",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2020-01-01",
                "until": "2030-01-01T00:00:00Z",
            },
            "badArgument",
            "granularities",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat", "oai_dc"),
        (
            {
                "verb": "GetRecord",
                "identifier": "urn:echoes:object:coins/99",
                "metadataPrefix": "oai_dc",
            },
            "idDoesNotExist",
            "coins/99",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"},
            "noRecordsMatch",
            "no record",
        ),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "twins:nope"},
            "noRecordsMatch",
            "twins:nope",
        ),
        (
            {"verb": "ListRecords", "resumptionToken": "not-a-token"},
            "badResumptionToken",
            "not one of ours",
        ),
        ({"verb": "ListSets", "resumptionToken": "x"}, "badResumptionToken", "one page"),
    ],
)
def test_each_protocol_error_has_its_code_and_names_the_problem(service, arguments, code, named):
    found, message, echoed = error_of(service, **arguments)
    assert (found, named in message) == (code, True), message
    if code in ("badVerb", "badArgument"):
        assert echoed == {}  # 3.6: a malformed request is not echoed
    else:
        assert echoed["verb"] == arguments["verb"]


def test_a_repeated_argument_is_bad_and_from_until_bound_the_build_by_its_day(service):
    reply = requests.get(
        service.url + "oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=edm", timeout=10
    )
    error = fromstring(reply.content).find(f"{OAI}error")
    assert error.get("code") == "badArgument" and "metadataPrefix" in error.text
    stamp = oai(service, verb="Identify").find(f"{OAI}Identify").findtext(f"{OAI}earliestDatestamp")
    day = stamp[:10]
    listed = oai(
        service, verb="ListIdentifiers", metadataPrefix="oai_dc", set="twins:coins", until=day
    )
    assert len(listed.findall(f".//{OAI}header")) == 24  # until a day: the whole day
    listed = oai(
        service,
        verb="ListIdentifiers",
        metadataPrefix="oai_dc",
        set="twins:coins",
        **{"from": stamp},
    )
    assert len(listed.findall(f".//{OAI}header")) == 24
    code, _, _ = error_of(
        service,
        verb="ListIdentifiers",
        metadataPrefix="oai_dc",
        set="twins:coins",
        until="2000-01-01",
    )
    assert code == "noRecordsMatch"
    code, _, _ = error_of(service, verb="ListRecords", metadataPrefix="edm", set="interpretations")
    assert code == "noRecordsMatch"  # none here, and an interpretation has no EDM


def test_a_token_taken_before_a_rebuild_is_refused_and_a_new_harvest_sees_the_new_build(
    tmp_path,
):
    data = twins_data.write(tmp_path / "data", "build-1", objects=30)
    with running(Service(data, tmp_path / "stores", oai_page_size=10)) as service:
        pages = Sickle(service.url + "oai").ListIdentifiers(metadataPrefix="oai_dc")
        seen = [next(pages).identifier for _ in range(12)]  # into the second page
        assert len(set(seen)) == 12
        twins_data.write(data, "build-2", objects=35, label="changed")
        asked = {
            "verb": "GetRecord",
            "identifier": "urn:echoes:object:synthetic/1",
            "metadataPrefix": "oai_dc",
        }
        deadline = time.monotonic() + 30
        while (
            b"changed 1" not in requests.get(service.url + "oai", params=asked, timeout=10).content
        ):
            assert time.monotonic() < deadline, "the rebuild was never loaded"
            time.sleep(0.2)
        with pytest.raises(BadResumptionToken, match="harvest again"):
            for _ in range(30):
                next(pages)
        again = list(Sickle(service.url + "oai").ListIdentifiers(metadataPrefix="oai_dc"))
        assert len(again) == 35


def test_the_commons_is_described_in_dcat_and_void_at_the_well_known_path(service, built):
    index = json.loads((built / "twins" / "index.json").read_text())
    url = service.url + ".well-known/void"
    assert requests.get(service.url, timeout=10).json()["void"] == url
    reply = requests.get(url, timeout=10)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/turtle")
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    turtle = rdflib.Graph().parse(data=reply.text, format="turtle")
    as_json = requests.get(url, headers={"Accept": "application/ld+json"}, timeout=10)
    assert as_json.headers["Content-Type"].startswith("application/ld+json")
    assert rdflib.compare.isomorphic(
        turtle, rdflib.Graph().parse(data=as_json.text, format="json-ld")
    )
    refused = requests.get(url, headers={"Accept": "image/png"}, timeout=10)
    assert refused.status_code == 406 and refused.json()["field"] == "Accept"

    DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
    DCT = rdflib.Namespace("http://purl.org/dc/terms/")
    catalog = rdflib.URIRef(url + "#catalog")
    datasets = set(turtle.objects(catalog, DCAT.dataset))
    assert len(datasets) == len(index) + 1  # each collection, and the interpretations
    for name, entry in index.items():
        dataset = rdflib.URIRef(f"{url}#{name}")
        assert dataset in datasets and (dataset, rdflib.RDF.type, VOID.Dataset) in turtle
        assert turtle.value(dataset, VOID.entities).toPython() == entry["objects"]
        assert str(turtle.value(dataset, VOID.uriSpace)) == f"urn:echoes:object:{name}/"
        assert str(turtle.value(dataset, DCT.bibliographicCitation)) == entry["citation"]
        assert turtle.value(dataset, DCT.license) is not None
    tate = rdflib.URIRef(f"{url}#tate")
    assert (
        str(turtle.value(tate, DCT.license)) == "http://creativecommons.org/publicdomain/zero/1.0/"
    )
    # The services it names answer.
    for service_node in turtle.objects(catalog, DCAT.service):
        endpoint = str(turtle.value(service_node, DCAT.endpointURL))
        probe = {"query": "ASK {}"} if endpoint.endswith("sparql") else {"verb": "Identify"}
        assert requests.get(endpoint, params=probe, timeout=10).status_code == 200
