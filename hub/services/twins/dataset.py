"""What the commons is, for catalogues and crawlers: a DCAT catalogue with a VoID dataset
per collection and one of the public interpretations, each with its licence, source and
citation, its size, the IRIs its objects have, and the services that give it out (the
SPARQL endpoint, the OAI-PMH provider, each object's Linked Art). Served at
``.well-known/void`` under the service (the VoID specification's well-known path; the
host's own root belongs to the hub's proxy). No I/O here.
"""

from __future__ import annotations

import pyoxigraph as ox

from .crosswalk import rights_uri
from .store import OBJECT, Snapshot

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
FOAF = "http://xmlns.com/foaf/0.1/"
OAI_PMH = "http://www.openarchives.org/OAI/2.0/"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
LINKED_ART = "https://linked.art/ns/v1/linked-art.json"
IANA = "https://www.iana.org/assignments/media-types/"
PATH = ".well-known/void"
#: The prefixes its Turtle is written with.
PREFIXES = {"dcat": DCAT, "dct": DCT, "void": VOID, "xsd": XSD, "foaf": FOAF}


def description(snapshot: Snapshot, interpretations: int, base_url: str) -> list[ox.Triple]:
    """The catalogue of the commons served at ``base_url`` (the service's public URL)."""
    here = f"{base_url}{PATH}"
    triples: list[ox.Triple] = []

    def add(subject: str, predicate: str, value: str | ox.Literal) -> None:
        node = value if isinstance(value, ox.Literal) else ox.NamedNode(value)
        triples.append(ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), node))

    def text(value: str) -> ox.Literal:
        return ox.Literal(value)

    def count(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))

    catalog = f"{here}#catalog"
    sparql = f"{base_url}sparql"
    oai = f"{base_url}oai"
    modified = ox.Literal(
        snapshot.built.strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=ox.NamedNode(XSD + "dateTime")
    )
    add(catalog, RDF_TYPE, DCAT + "Catalog")
    add(catalog, DCT + "title", text("ECHOES VRE: digital twins and their interpretations"))
    add(
        catalog,
        DCT + "description",
        text(
            "Every object of the shared heritage data as a Linked Art twin, and what people "
            "and software said about them in public."
        ),
    )
    add(catalog, DCT + "modified", modified)
    add(catalog, FOAF + "homepage", base_url)
    for service, endpoint, standard, title in (
        (f"{here}#sparql", sparql, SPARQL_PROTOCOL, "SPARQL 1.1 endpoint (read-only)"),
        (f"{here}#oai-pmh", oai, OAI_PMH, "OAI-PMH 2.0 provider (oai_dc, edm)"),
    ):
        add(catalog, DCAT + "service", service)
        add(service, RDF_TYPE, DCAT + "DataService")
        add(service, DCT + "title", text(title))
        add(service, DCAT + "endpointURL", endpoint)
        add(service, DCT + "conformsTo", standard)

    for collection, entry in snapshot.index.items():
        dataset = f"{here}#{collection}"
        add(catalog, DCAT + "dataset", dataset)
        add(dataset, RDF_TYPE, DCAT + "Dataset")
        add(dataset, RDF_TYPE, VOID + "Dataset")
        add(dataset, DCT + "title", text(entry["title"]))
        add(dataset, DCT + "identifier", text(entry["graph"]))
        add(dataset, DCT + "license", rights_uri(entry["licence"]))
        add(dataset, DCT + "source", entry["dataset"])
        add(dataset, DCT + "bibliographicCitation", text(entry["citation"]))
        add(dataset, DCT + "modified", modified)
        add(dataset, VOID + "sparqlEndpoint", sparql)
        add(dataset, VOID + "uriSpace", text(f"{OBJECT}{collection}/"))
        add(dataset, VOID + "entities", count(len(snapshot.records.get(collection, {}))))
        first = next(iter(snapshot.records.get(collection, {}).values()), None)
        if first is not None:
            add(dataset, VOID + "exampleResource", first["id"])
        add(dataset, DCAT + "accessService", f"{here}#sparql")
        add(dataset, DCAT + "accessService", f"{here}#oai-pmh")
        distribution = f"{here}#{collection}-linked-art"
        add(dataset, DCAT + "distribution", distribution)
        add(distribution, RDF_TYPE, DCAT + "Distribution")
        add(distribution, DCT + "title", text("Each object as Linked Art JSON-LD"))
        add(
            distribution,
            DCT + "description",
            text(f"{base_url}objects/{collection}/<id>, or objects?iri=<IRI>, by Accept"),
        )
        add(distribution, DCAT + "mediaType", IANA + "application/ld+json")
        add(distribution, DCT + "conformsTo", LINKED_ART)
        add(distribution, DCAT + "accessURL", base_url)

    commons = f"{here}#interpretations"
    add(catalog, DCAT + "dataset", commons)
    add(commons, RDF_TYPE, DCAT + "Dataset")
    add(commons, RDF_TYPE, VOID + "Dataset")
    add(commons, DCT + "title", text("The public interpretations of the twins"))
    add(
        commons,
        DCT + "description",
        text(
            "W3C annotations made public in the annotation service, each a nanopublication "
            "in its own named graph, with who made it, when, its confidence and status."
        ),
    )
    add(commons, VOID + "entities", count(interpretations))
    add(commons, VOID + "sparqlEndpoint", sparql)
    add(commons, DCAT + "accessService", f"{here}#sparql")
    add(commons, DCAT + "accessService", f"{here}#oai-pmh")
    return triples
