"""The digital twin of every object of the shared data: a Linked Art record, validated.

The data build (recipe.py) calls `write` once the catalogs and their data are in place. For
each entry that `COLLECTIONS` names it reads the built table (or image) and makes one record
per object, in Linked Art (CIDOC-CRM in JSON-LD, https://linked.art/): identifiers, titles,
types (Getty AAT ids from `cromulent`'s vocabulary where it has one, ECHOES' own
``urn:echoes:type:`` terms where it has none), production, dimensions with units, the
owner, rights, and the source record, which names its data set by IRI
(``urn:echoes:dataset:<theme.entry>``): the data set, with its licence and citation, is
described once in the collection's graph, not in every record. Each object's IRI is
``urn:echoes:object:<collection>/<id>``.

Every record is read as RDF (by the terms of the Linked Art context that cromulent ships:
nothing is fetched; `triples` says why not by a JSON-LD processor) and checked against
the SHACL shapes in ``shapes/twins.ttl`` (pyshacl); a record that does not conform stops
the build with a `TwinError` naming the object and the property. The data folder holds, under
``twins/``, per collection its records (``<collection>.json``) and their triples as N-Quads
(``<collection>.nq``): the collection's own named graph ``urn:echoes:graph:<collection>``
(what the source says, nothing else) and its provenance in ``urn:echoes:graph:provenance``;
``index.json`` lists the collections (the twins service, hub/services/twins/, loads them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SH, XSD

from . import validate

#: The folder of the data folder that holds the twins, and its list of collections.
FOLDER = "twins"
INDEX = "index.json"
CONTEXT = "https://linked.art/ns/v1/linked-art.json"
SHAPES = Path(__file__).parent / "shapes" / "twins.ttl"
TWIN_SHAPE = URIRef("urn:echoes:shapes:Twin")
CHECK_BATCH = 50
OBJECT = "urn:echoes:object:"
GRAPH = "urn:echoes:graph:"
PROVENANCE_GRAPH = GRAPH + "provenance"
AAT = "http://vocab.getty.edu/aat/"
LOCAL_TYPE = "urn:echoes:type:"
VOID = Namespace("http://rdfs.org/ns/void#")
#: Modules outside this package whose code decides what the twins say (the coins' regions):
#: the build's fingerprint hashes their files too (recipe.fingerprint).
CODE = ("echoes.annotators.coins",)


class TwinError(RuntimeError):
    """A record that does not conform to the shapes: each line names object and property."""


@cache
def context() -> dict[str, Any]:
    """The Linked Art JSON-LD context, as cromulent ships it."""
    text = (files("cromulent") / "data" / "linked-art.json").read_text(encoding="utf-8")
    return json.loads(text)["@context"]


@cache
def vocabulary() -> dict[str, tuple[str, str]]:
    """cromulent's names of Getty AAT terms (``Coin``, ``mm``, ...) -> (AAT id, label)."""
    data = files("cromulent") / "data"
    found = {}
    for file in ("vocab_classes.json", "vocab_instances.json"):
        for name, term in json.loads((data / file).read_text(encoding="utf-8")).items():
            if term.get("vocab", "aat") == "aat":
                found[name] = (term["id"], term["label"])
    return found


def aat(name: str, type_: str = "Type") -> dict[str, Any]:
    """The Getty AAT term cromulent calls ``name`` (a KeyError if it has none)."""
    number, label = vocabulary()[name]
    return {"id": f"{AAT}{number}", "type": type_, "_label": label}


def local(kind: str, label: str, type_: str = "Type") -> dict[str, Any]:
    """A term of ECHOES' own vocabulary, where the AAT has none we know of."""
    return {"id": f"{LOCAL_TYPE}{kind}", "type": type_, "_label": label}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def name(text: str, primary: bool = True) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "Name", "content": text}
    if primary:
        found["classified_as"] = [aat("PrimaryName")]
    return found


def identifier(value: Any, kind: str = "LocalNumber") -> dict[str, Any]:
    return {"type": "Identifier", "content": str(value), "classified_as": [aat(kind)]}


def statement(kind: str, text: str) -> dict[str, Any]:
    return {"type": "LinguisticObject", "content": text, "classified_as": [aat(kind)]}


def unit(name: str) -> dict[str, Any]:
    return aat(name, "MeasurementUnit")


#: de Piles' scale has no AAT unit.
POINTS = local("unit/de-piles-point", "points (de Piles' scale, 0 to 20)", "MeasurementUnit")


def dimension(value: float, unit: dict[str, Any], kind: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Dimension",
        "_label": f"{kind['_label']}: {value:g} {unit['_label']}",
        "value": value,
        "unit": unit,
        "classified_as": [kind],
    }


def iso_year(year: int, end: bool = False) -> str:
    """An xsd:dateTime at the start (or end) of ``year`` (negative: BC, as XSD counts)."""
    sign = "-" if year < 0 else ""
    day = "12-31T23:59:59Z" if end else "01-01T00:00:00Z"
    return f"{sign}{abs(year):04d}-{day}"


def timespan(year: int, label: str) -> dict[str, Any]:
    return {
        "type": "TimeSpan",
        "_label": label,
        "identified_by": [name(label, primary=False)],
        "begin_of_the_begin": iso_year(year),
        "end_of_the_end": iso_year(year, end=True),
    }


@dataclass(frozen=True)
class Source:
    """The catalog entry a collection comes from, as the built catalog describes it."""

    entry: str  # theme.entry
    meta: dict[str, Any]
    path: Path  # the built data file
    base_url: str  # where the data folder is published (IIIF ids)

    @property
    def iri(self) -> str:
        return f"urn:echoes:dataset:{self.entry}"

    def dataset(self) -> dict[str, Any]:
        """The data set as Linked Art: a digital object with its citation and licence."""
        meta = self.meta
        provenance = meta["provenance"]
        found: dict[str, Any] = {
            "id": self.iri,
            "type": "DigitalObject",
            "_label": meta["title"],
            "identified_by": [
                name(meta["title"]),
                identifier(f"{provenance['package']} {provenance['dataset']}", "UniqueIdentifier"),
            ],
            "referred_to_by": [
                statement("Citation", " ".join(meta["citation"].split())),
                statement("RightsStatement", " ".join(meta.get("licence_note", "").split())),
            ],
            "subject_to": [{"type": "Right", "classified_as": [licence(meta["licence"])]}],
        }
        if str(provenance.get("origin", "")).startswith("http"):
            found["access_point"] = [{"id": provenance["origin"], "type": "DigitalObject"}]
        return found

    def reference(self) -> dict[str, Any]:
        """The data set as a record names it: its IRI only. Its description (`dataset`)
        is written once per collection, not once per record (the Tate's 4,284 records
        repeated it as blank nodes: 4,284 copies of one citation and licence)."""
        return {"id": self.iri, "type": "DigitalObject", "_label": self.meta["title"]}

    def record(self, local_id: str, label: str) -> dict[str, Any]:
        """The source record an object's twin was made from: a row (or region) of the entry."""
        return {
            "id": f"urn:echoes:record:{self.entry}/{local_id}",
            "type": "LinguisticObject",
            "_label": f"{label}, in {self.meta['title']}",
            "classified_as": [aat("DataRecord")],
            "digitally_carried_by": [self.reference()],
        }


def licence(spdx: str) -> dict[str, Any]:
    if spdx.startswith("LicenseRef-"):
        return {"id": f"urn:echoes:licence:{spdx}", "type": "Type", "_label": spdx}
    return {"id": f"https://spdx.org/licenses/{spdx}", "type": "Type", "_label": spdx}


def twin(collection: str, local_id: Any, type_: str, label: str, source: Source) -> dict:
    """The frame of every twin: IRI, class, label, the source record and its own number."""
    local_id = str(local_id)
    return {
        "@context": CONTEXT,
        "id": f"{OBJECT}{collection}/{local_id}",
        "type": type_,
        "_label": label,
        "identified_by": [identifier(local_id)],
        "subject_of": [source.record(local_id, label)],
    }


def agent(kind: str, key: str, label: str, type_: str = "Group") -> dict[str, Any]:
    return {"id": f"urn:echoes:agent:{kind}/{slug(key)}", "type": type_, "_label": label}


TATE = agent("institution", "tate", "Tate")


def tate(source: Source) -> Iterator[dict]:
    for row in pd.read_parquet(source.path).itertuples(index=False):
        record = twin("tate", row.id, "HumanMadeObject", str(row.title), source)
        record["identified_by"].insert(0, name(str(row.title)))
        record["classified_as"] = [aat("artwork")]
        record["referred_to_by"] = [statement("MaterialStatement", str(row.medium))]
        artist = agent("tate-artist", str(row.artist), str(row.artist), "Person")
        record["produced_by"] = {
            "type": "Production",
            "carried_out_by": [artist],
            "timespan": timespan(int(row.year), str(row.year)),
        }
        record["current_owner"] = [TATE]
        yield record


DE_PILES = agent("person", "roger-de-piles", "Roger de Piles", "Person")
SCORES = ("composition", "drawing", "colour", "expression")


def painters(source: Source) -> Iterator[dict]:
    for row in pd.read_parquet(source.path).itertuples(index=False):
        painter = str(row.painter)
        # "The Carraci" is a family of painters: a group, as CIDOC-CRM has it.
        kind = "Group" if painter.startswith("The ") else "Person"
        record = twin("painters", slug(painter), kind, painter, source)
        record["identified_by"].insert(0, name(painter))
        record["classified_as"] = [aat("artist occupation")]
        school = {
            "id": f"urn:echoes:agent:school/{row.school}",
            "type": "Group",
            "_label": f"{row.school_name} school (de Piles, class {row.school})",
        }
        record["member_of"] = [school]
        # The scores are de Piles' judgement of 1708, not facts about the painter: each is
        # an attribute assignment carried out by him.
        record["attributed_by"] = [
            {
                "type": "AttributeAssignment",
                "_label": f"de Piles' {score} score",
                "carried_out_by": [DE_PILES],
                "timespan": timespan(1708, "1708"),
                "assigned": [
                    dimension(
                        int(getattr(row, score)),
                        POINTS,
                        local(f"de-piles-score/{score}", f"{score} score (0 to 20)"),
                    )
                ],
            }
            for score in SCORES
        ]
        yield record


OXIDE_NAMES = {
    "Al2O3": "aluminium oxide",
    "Fe2O3": "iron oxide",
    "MgO": "magnesium oxide",
    "CaO": "calcium oxide",
    "Na2O": "sodium oxide",
    "K2O": "potassium oxide",
    "TiO2": "titanium oxide",
    "MnO": "manganese oxide",
    "BaO": "barium oxide",
}


def pottery(source: Source) -> Iterator[dict]:
    for row in pd.read_parquet(source.path).to_dict("records"):
        specimen = str(row["specimen"])
        label = f"Romano-British pottery specimen {specimen}"
        record = twin("pottery", specimen, "HumanMadeObject", label, source)
        record["identified_by"].insert(0, name(label))
        record["classified_as"] = [aat("Sample")]
        region = {
            "id": f"urn:echoes:place:region/{slug(row['region_name'])}",
            "type": "Place",
            "_label": row["region_name"],
        }
        kiln = {
            "id": f"urn:echoes:place:kiln/{row['kiln']}",
            "type": "Place",
            "_label": f"kiln {row['kiln']} ({row['site']})",
            "classified_as": [local("kiln-site", "kiln site")],
            "part_of": [region],
        }
        record["produced_by"] = {"type": "Production", "took_place_at": [kiln]}
        record["dimension"] = [
            dimension(
                float(row[oxide]),
                unit("percent"),
                local(f"oxide/{oxide}", f"{oxide} ({what}), percent by weight"),
            )
            for oxide, what in OXIDE_NAMES.items()
        ]
        yield record


SKULL_MEASUREMENTS = {
    "mb": ("Width", "maximum breadth"),
    "bh": ("Height", "basibregmatic height"),
    "bl": ("Length", "basialveolar length"),
    "nh": ("Height", "nasal height"),
}


def skulls(source: Source) -> Iterator[dict]:
    frame = pd.read_parquet(source.path)
    for number, row in enumerate(frame.to_dict("records"), start=1):
        label = f"Egyptian skull {number} ({row['epoch']})"
        record = twin("skulls", number, "BiologicalObject", label, source)
        record["identified_by"].insert(0, name(label))
        record["classified_as"] = [local("skull", "human skull")]
        record["dimension"] = []
        for column, (kind, what) in SKULL_MEASUREMENTS.items():
            classified = aat(kind)
            term = {**local(f"skull/{column}", what), "classified_as": [classified]}
            record["dimension"].append(dimension(float(row[column]), unit("mm"), term))
        # The epoch is the data's approximate date of the skull's life (its label's year).
        record["referred_to_by"] = [
            statement(
                "Description",
                f"Epoch {row['epoch']} (about {abs(row['year'])} "
                f"{'BC' if row['year'] < 0 else 'AD'}) as given by the source.",
            )
        ]
        yield record


def rock_art(source: Source) -> Iterator[dict]:
    frame = pd.read_parquet(source.path)
    for row in frame.to_dict("records"):
        # Site numbers are numbers, not all whole: 7 and 7.1 are two sites.
        number = f"{row['Site.No.']:g}"
        site = str(row["Site.Name"])
        record = twin("rock-art", number, "Place", f"Rock art site {site}", source)
        record["identified_by"].insert(0, name(site))
        if not pd.isna(row["Site.Code"]):
            record["identified_by"].append(identifier(row["Site.Code"], "UniqueIdentifier"))
        record["classified_as"] = [local("rock-art-site", "rock art site")]
        places = [row[c] for c in ("Country", "Island", "District") if not pd.isna(row[c])]
        if places:
            record["part_of"] = [
                {
                    "id": f"urn:echoes:place:{'/'.join(slug(str(p)) for p in places)}",
                    "type": "Place",
                    "_label": ", ".join(str(p) for p in reversed(places)),
                }
            ]
        facts = {
            "technique": row["Technique"],
            "geology": row["Geology"],
            "topography": row["Topography"],
            "location": row["Location"],
        }
        text = "; ".join(f"{k} {v}" for k, v in facts.items() if not pd.isna(v))
        if text:
            record["referred_to_by"] = [statement("Description", text)]
        yield record


BROOKLYN = agent("institution", "brooklyn-museum", "Brooklyn Museum")


def coins(source: Source) -> Iterator[dict]:
    """One twin per coin of the photograph, its region (as the coins annotator finds it,
    in the same reading order, so coin 7 is the annotator's coin 7) its image."""
    import numpy as np
    from PIL import Image

    from echoes.annotators.coins import segment

    canvas = json.loads((source.path.parent / "manifest.json").read_text())["items"][0]["id"]
    with Image.open(source.path) as image:
        pixels = np.asarray(image.convert("L"))
    for number, coin in enumerate(segment(pixels), start=1):
        label = f"Greek coin {number} from Pompeii"
        record = twin("coins", number, "HumanMadeObject", label, source)
        record["identified_by"].insert(0, name(label))
        record["classified_as"] = [aat("Coin")]
        record["current_owner"] = [BROOKLYN]
        region = f"{coin.x},{coin.y},{coin.w},{coin.h}"
        record["representation"] = [
            {
                "type": "VisualItem",
                "_label": f"Coin {number} in the photograph (xywh={region})",
                "digitally_shown_by": [
                    {
                        "type": "DigitalObject",
                        "_label": f"Region {region} of the coins photograph",
                        "classified_as": [aat("DigitalImage")],
                        "format": "image/png",
                        "access_point": [
                            {"id": f"{canvas}#xywh={region}", "type": "DigitalObject"}
                        ],
                        "dimension": [
                            dimension(coin.w, unit("pixels"), aat("Width")),
                            dimension(coin.h, unit("pixels"), aat("Height")),
                        ],
                        "subject_to": [
                            {
                                "type": "Right",
                                "classified_as": [
                                    {
                                        "id": source.meta["rights_uri"],
                                        "type": "Type",
                                        "_label": "No Known Copyright",
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        ]
        yield record


@dataclass(frozen=True)
class Collection:
    name: str
    make: Callable[[Source], Iterator[dict]]


#: catalog entry (theme.entry) -> the collection of twins made from it. The 45 unlabelled
#: specimens of ``archaeometry.pottery`` are the same sherds as ``pottery_kilns`` without
#: their kilns: they get no twins of their own.
COLLECTIONS = {
    "collections.tate": Collection("tate", tate),
    "collections.painters": Collection("painters", painters),
    "archaeometry.pottery_kilns": Collection("pottery", pottery),
    "archaeometry.egyptian_skulls": Collection("skulls", skulls),
    "sites.rock_art": Collection("rock-art", rock_art),
    "images.coins": Collection("coins", coins),
}


def sources(data_dir: Path, base_url: str) -> dict[str, Source]:
    found = {}
    for entry, file, doc, entry_name in validate.walk(data_dir / "catalog.yaml"):
        if entry in COLLECTIONS:
            meta = doc["entries"][entry_name]["metadata"]
            path = validate.entry_path(file, doc, entry_name)
            found[entry] = Source(entry, meta, path, base_url)
    missing = set(COLLECTIONS) - set(found)
    if missing:
        raise TwinError(f"no catalog entry {', '.join(sorted(missing))} for the twins")
    return found


def as_rdf(records: list[dict], graph: Graph) -> Graph:
    """Add the triples of ``records`` (Linked Art JSON-LD) to ``graph``."""
    for record in records:
        triples(record, graph)
    return graph


@cache
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def check(records: list[dict], described: list[dict] = ()) -> None:
    """Validate ``records`` against the shapes; raise `TwinError` naming each object and
    property that does not conform. ``described``: the nodes the records name by IRI only
    (their data set, `Source.dataset`), checked with them but not as twins."""
    import pyshacl

    graph = as_rdf([*records, *described], Graph())
    # Each twin a target node of the Twin shape (not pyshacl's focus_nodes: with it, the
    # nested shapes are skipped, a unit's absence too). In place: the graph is ours, and a
    # copy of the Tate's 220,000 triples takes long.
    targets = Graph()
    for triple in shapes():
        targets.add(triple)
    for record in records:
        targets.add((TWIN_SHAPE, SH.targetNode, URIRef(record["id"])))
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=targets, inplace=True)
    if conforms:
        return
    problems = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        problems.append(f"{focus}: {qname(path)}: {message}")
    raise TwinError("records that do not conform to shapes/twins.ttl:\n" + "\n".join(problems))


def qname(path: Any) -> str:
    text = str(path)
    for prefix, namespace in (
        ("crm:", "http://www.cidoc-crm.org/cidoc-crm/"),
        ("rdfs:", str(RDFS)),
        ("rdf:", str(RDF)),
        ("la:", "https://linked.art/ns/terms/"),
    ):
        if text.startswith(namespace):
            return prefix + text[len(namespace) :]
    return text


def provenance(dataset: Dataset, collection: str, source: Source, count: int) -> None:
    """What the collection's named graph is: derived from the data set, its licence and
    citation, in the provenance graph (the nanopublication pattern's provenance)."""
    graph = dataset.graph(URIRef(PROVENANCE_GRAPH))
    named = URIRef(GRAPH + collection)
    meta, origin = source.meta, source.meta["provenance"]
    graph.add((named, RDF.type, VOID.Dataset))
    graph.add((named, DCTERMS.title, Literal(f"Twins of {meta['title']}")))
    graph.add((named, PROV.wasDerivedFrom, URIRef(source.iri)))
    graph.add((named, DCTERMS.license, URIRef(licence(meta["licence"])["id"])))
    graph.add((named, DCTERMS.bibliographicCitation, Literal(" ".join(meta["citation"].split()))))
    graph.add((named, VOID.entities, Literal(count)))
    graph.add((URIRef(source.iri), DCTERMS.source, Literal(str(origin.get("origin", "")))))
    graph.add((URIRef(source.iri), DCTERMS.identifier, Literal(origin["dataset"])))
    version = origin.get("package_version")
    if version:
        graph.add(
            (URIRef(source.iri), PROV.wasAttributedTo, Literal(f"{origin['package']} {version}"))
        )


def write(data_dir: Path, base_url: str) -> Path:
    """Make, check and write the twins of every collection into ``data_dir/twins``."""
    folder = data_dir / FOLDER
    folder.mkdir(exist_ok=True)
    index = {}
    for entry, source in sources(data_dir, base_url).items():
        collection = COLLECTIONS[entry]
        records = list(collection.make(source))
        dataset = Dataset()
        # The records name their data set by its IRI; it is described once, here.
        described = [source.dataset()]
        as_rdf([*records, *described], dataset.graph(URIRef(GRAPH + collection.name)))
        # In batches: pyshacl's time grows faster than the graph (14 ms a record in
        # batches of 50, 22 ms in batches of 200, minutes for the Tate's 4,284 at once).
        for start in range(0, len(records), CHECK_BATCH):
            check(records[start : start + CHECK_BATCH], described)
        provenance(dataset, collection.name, source, len(records))
        by_id = {r["id"].removeprefix(f"{OBJECT}{collection.name}/"): r for r in records}
        (folder / f"{collection.name}.json").write_text(
            json.dumps(by_id, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (folder / f"{collection.name}.nq").write_text(
            dataset.serialize(format="nquads"), encoding="utf-8"
        )
        index[collection.name] = {
            "entry": entry,
            "graph": GRAPH + collection.name,
            "dataset": source.iri,
            "title": source.meta["title"],
            "licence": source.meta["licence"],
            "citation": " ".join(source.meta["citation"].split()),
            "iiif_image": source.meta.get("iiif_image"),
            "objects": len(records),
        }
    path = folder / INDEX
    path.write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --- Linked Art JSON to RDF, fast ---------------------------------------------------------
# rdflib's JSON-LD processor takes about 3 ms a record with the Linked Art context (its
# type-scoped contexts are processed at every node), minutes for the Tate's 4,284. The
# records use a small, fixed part of JSON-LD (ids, types, terms of the context, plain
# values), so they are read by the context's term definitions directly; a test checks that
# the triples are those of rdflib's JSON-LD processor (tests/unit/test_twins.py).
XSD_TYPES = {bool: XSD.boolean, int: XSD.integer, float: XSD.double}


def expand(term: str) -> str:
    prefix, _, rest = term.partition(":")
    namespace = context().get(prefix)
    return namespace + rest if isinstance(namespace, str) and rest else term


def term_definition(term: str, scoped: dict[str, Any]) -> dict[str, Any] | None:
    found = scoped.get(term, context().get(term))
    return {"@id": found} if isinstance(found, str) else found


def triples(node: dict[str, Any], graph: Graph) -> URIRef | BNode:
    """Add ``node`` (a Linked Art JSON object) and what it contains to ``graph``."""
    subject: URIRef | BNode = URIRef(node["id"]) if "id" in node else BNode()
    type_ = node.get("type")
    class_definition = term_definition(type_, {}) if type_ else None
    scoped = (class_definition or {}).get("@context", {})
    if class_definition:
        graph.add((subject, RDF.type, URIRef(expand(class_definition["@id"]))))
    for key, value in node.items():
        if key in ("id", "type", "@context"):
            continue
        definition = term_definition(key, scoped)
        if definition is None:
            raise TwinError(f"{node.get('id', type_)}: {key!r} is no term of Linked Art")
        predicate = URIRef(expand(definition["@id"]))
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                graph.add((subject, predicate, triples(item, graph)))
            elif definition.get("@type") == "@id":
                graph.add((subject, predicate, URIRef(item)))
            else:
                datatype = definition.get("@type")
                datatype = URIRef(expand(datatype)) if datatype else XSD_TYPES.get(type(item))
                graph.add((subject, predicate, Literal(item, datatype=datatype)))
    return subject
