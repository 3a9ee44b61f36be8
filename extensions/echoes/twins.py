"""The digital twins from a notebook: the client of the hub's twins service.

    import echoes
    coin = echoes.twin("coins/7")        # or echoes.twin("urn:echoes:object:coins/7")
    coin.record                          # the Linked Art record (a dict)
    coin.measurements                    # a pandas DataFrame: what, value, unit, assigned_by
    coin.images, coin.graph, coin.page   # IIIF image URLs, an rdflib Graph, its page
    echoes.sparql("SELECT ...")          # a DataFrame (ASK: a bool; CONSTRUCT: a Graph)
    echoes.twins.search("coin")          # a DataFrame of the objects that match

Inside a user server it finds the service as echoes.hub says, at ECHOES_TWINS_URL, and
reads anonymously (the service takes no token: the twins are open data). Remember that the
store's default graph is empty: name the graphs a query reads (``FROM <urn:echoes:graph:
pottery>`` or ``GRAPH ?g``; hub/services/twins/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from .hub import Hub, ServiceRefused, ServiceUnavailable, refusal, send

if TYPE_CHECKING:
    import pandas as pd
    from rdflib import Graph

SERVICE = "twins"
OBJECT = "urn:echoes:object:"
SPARQL_QUERY = "application/sparql-query"
SPARQL_JSON = "application/sparql-results+json"
TURTLE = "text/turtle"
#: SELECT and ASK answer SPARQL JSON, CONSTRUCT and DESCRIBE Turtle: the service chooses.
SPARQL_ACCEPT = f"{SPARQL_JSON}, {TURTLE};q=0.9"
XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGERS = {
    XSD + name
    for name in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}
NUMBERS = INTEGERS | {XSD + "decimal", XSD + "double", XSD + "float"}
BOOLEAN = XSD + "boolean"
DATETIME = XSD + "dateTime"


class TwinsServiceError(ServiceRefused):
    """The twins service refused a request; ``status`` and ``reply`` (its JSON) say why."""


def parse_ref(ref: str) -> tuple[str, str]:
    """``coins/7`` or ``urn:echoes:object:coins/7`` -> (collection, local id)."""
    collection, slash, local_id = ref.removeprefix(OBJECT).partition("/")
    if not collection or not slash or not local_id:
        raise ValueError(f"a twin is named <collection>/<id> or {OBJECT}<collection>/<id>: {ref!r}")
    return collection, local_id


# --- the client ----------------------------------------------------------------------


class TwinsClient:
    """A connection to the twins service (anonymous: its reads need no token)."""

    def __init__(self, url: str | None = None, hub: Hub | None = None) -> None:
        #: The hub whose service this is (echoes.hub).
        self.hub = hub or Hub.from_environ()
        self.url = (url or self.hub.service_url(SERVICE)).rstrip("/") + "/"
        self.http = self.hub.client(timeout=60, anonymous=True)

    def request(self, method: str, path: str, what: str = "", **options: Any) -> httpx.Response:
        """``path`` (relative to the service) answered 2xx, else a `TwinsServiceError`
        with the service's message."""
        reply = send(self.http, method, self.url + path, **options)
        if reply.status_code < 400:
            return reply
        raise TwinsServiceError(reply.status_code, refusal(reply), what)

    @cached_property
    def info(self) -> dict[str, Any]:
        """What the service says of itself: its collections, the build it serves, and
        where browsers open an object (``objects``)."""
        return self.request("GET", "").json()

    def page_url(self, collection: str, local_id: str) -> str:
        """Where a browser opens the object's page (the service's public address)."""
        template = self.info["objects"]
        return template.replace(
            "<collection>/<id>", f"{quote(collection, safe='')}/{quote(local_id, safe='')}"
        )

    def twin(self, ref: str) -> Twin:
        """The twin ``ref`` (``coins/7`` or its IRI), its Linked Art record read."""
        collection, local_id = parse_ref(ref)
        path = object_path(collection, local_id)
        record = self.request(
            "GET",
            path,
            f"the twin {collection}/{local_id}",
            headers={"Accept": "application/ld+json"},
        ).json()
        return Twin(record, collection, local_id, self.page_url(collection, local_id), self)

    def sparql(self, query: str) -> pd.DataFrame | bool | Graph:
        """Run a SPARQL 1.1 query: SELECT gives a DataFrame with typed columns, ASK a
        bool, CONSTRUCT and DESCRIBE an rdflib Graph."""
        reply = self.request(
            "POST",
            "sparql",
            "the SPARQL query",
            content=query.encode("utf-8"),
            headers={"Content-Type": SPARQL_QUERY, "Accept": SPARQL_ACCEPT},
        )
        kind = reply.headers.get("Content-Type", "").split(";")[0].strip()
        if kind == SPARQL_JSON:
            results = reply.json()
            if "boolean" in results:
                return bool(results["boolean"])
            return results_frame(results)
        return parse_graph(reply.text, kind)

    def search(self, text: str, collection: str | None = None, limit: int = 20) -> pd.DataFrame:
        """Objects whose names, identifiers or statements hold every word of ``text``:
        id, collection, local_id, label, type, page."""
        import pandas as pd

        params: dict[str, Any] = {"q": text, "limit": limit}
        if collection is not None:
            params["collection"] = collection
        results = self.request("GET", "search", "the search", params=params).json()["results"]
        return pd.DataFrame(results, columns=SEARCH_COLUMNS)

    def iiif_image_url(self, collection: str, region: str) -> str | None:
        """The IIIF Image API address of ``region`` (``x,y,w,h``) of the collection's image,
        at the IIIF service's address for programs (None: no image, or no IIIF service)."""
        image = self._iiif_images.get(collection)
        try:
            iiif = self.hub.service_url("iiif") if image else ""
        except ServiceUnavailable:
            iiif = ""
        if not iiif:
            return None
        return f"{iiif}image/3/{quote(image, safe='')}/{region}/max/0/default.jpg"

    @cached_property
    def _iiif_images(self) -> dict[str, str]:
        """Each collection's image in the IIIF service, as the data build's index says."""
        import json

        from . import catalogs

        try:
            folder = catalogs.root_path().parent / "twins"
            index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {
            name: entry["iiif_image"] for name, entry in index.items() if entry.get("iiif_image")
        }


def object_path(collection: str, local_id: str) -> str:
    return f"objects/{quote(collection, safe='')}/{quote(local_id, safe='')}"


def parse_graph(text: str, media_type: str = TURTLE) -> Graph:
    from rdflib import Graph

    formats = {TURTLE: "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld"}
    return Graph().parse(data=text, format=formats.get(media_type, "turtle"))


# --- a twin --------------------------------------------------------------------------


@dataclass
class Twin:
    """One object's digital twin, as the twins service serves it."""

    record: dict[str, Any]
    collection: str
    local_id: str
    #: Where a browser opens the object's page.
    page: str
    client: TwinsClient = field(repr=False)

    @property
    def iri(self) -> str:
        return self.record.get("id", f"{OBJECT}{self.collection}/{self.local_id}")

    @property
    def title(self) -> str:
        return str(self.record.get("_label", self.iri))

    @property
    def images(self) -> list[str]:
        """The IIIF Image API address of each of its images (its region of the photograph),
        where the IIIF service is known; else the image's address as the record gives it."""
        found = []
        for address in image_addresses(self.record):
            region = address.partition("#xywh=")[2]
            found.append(
                (region and self.client.iiif_image_url(self.collection, region)) or address
            )
        return found

    @property
    def measurements(self) -> pd.DataFrame:
        """Its dimensions and the values others assigned it (what, value, unit,
        assigned_by, type): `measurements_frame`."""
        return measurements_frame(self.record)

    @cached_property
    def graph(self) -> Graph:
        """Its triples (and its source record's) in its collection's graph, as Turtle."""
        path = object_path(self.collection, self.local_id)
        reply = self.client.request(
            "GET", path, f"the triples of {self.iri}", params={"format": "turtle"}
        )
        return parse_graph(reply.text)

    @property
    def interpretations(self) -> pd.DataFrame:
        """What contributors (people and software) claim about it in public, one row per
        claim: `interpretations_frame` of ``objects/<collection>/<id>/interpretations``.
        Read anew on each access: claims are added, agreed with and contested. Your own
        private ones are in the annotation service (echoes.annotations.on)."""
        return interpretations_frame(self._said())

    @property
    def analyses(self) -> pd.DataFrame:
        """The runs linked to it in public (``echoes link``), one row each:
        `analyses_frame` of ``objects/<collection>/<id>/interpretations``."""
        return analyses_frame(self._said())

    def _said(self) -> dict[str, Any]:
        """The service's ``objects/<collection>/<id>/interpretations`` answer, anew."""
        path = object_path(self.collection, self.local_id) + "/interpretations"
        return self.client.request("GET", path, f"what is said of {self.iri}").json()

    def __repr__(self) -> str:
        return f"<Twin {self.iri}: {self.title}>"

    def _repr_html_(self) -> str:
        table = self.measurements
        shown = table.to_html(index=False, na_rep="") if len(table) else "<p>No measurements.</p>"
        return (
            f"<h3>{escape(self.title)}</h3>"
            f'<p><code>{escape(self.iri)}</code> · <a href="{escape(self.page)}" '
            f'target="_blank" rel="noopener">its page</a></p>{shown}'
        )


def image_addresses(record: dict[str, Any]) -> list[str]:
    """The address of each image of the object (its representations' access points)."""
    return [
        point["id"]
        for visual in record.get("representation", [])
        for digital in visual.get("digitally_shown_by", [])
        for point in digital.get("access_point", [])
        if "id" in point
    ]


# --- JSON to DataFrames --------------------------------------------------------------

MEASUREMENT_COLUMNS = ["what", "value", "unit", "assigned_by", "type"]
SEARCH_COLUMNS = ["id", "collection", "local_id", "label", "type", "page"]
INTERPRETATION_COLUMNS = [
    "interpretation",
    "annotation",
    "creator",
    "creator_type",
    "model",
    "version",
    "on_behalf_of",
    "created",
    "confidence",
    "status",
    "property",
    "crm",
    "value",
    "value_id",
    "text",
    "agree",
    "contest",
    "replies",
]


def measurements_frame(record: dict[str, Any]) -> pd.DataFrame:
    """One row per measurement of a Linked Art record: its own dimensions (as its source
    gives them: ``assigned_by`` empty) and the dimensions attribute assignments gave it
    (``assigned_by``: who carried them out, e.g. de Piles' scores). ``what`` is the
    dimension's type's label, ``type`` its IRI, ``unit`` the unit's label."""
    import pandas as pd

    rows = [dimension_row(d, None) for d in record.get("dimension", [])]
    for assignment in record.get("attributed_by", []):
        who = ", ".join(
            a.get("_label", a.get("id", "")) for a in assignment.get("carried_out_by", [])
        )
        rows += [dimension_row(d, who or None) for d in assignment.get("assigned", [])]
    return pd.DataFrame(rows, columns=MEASUREMENT_COLUMNS)


def dimension_row(dimension: dict[str, Any], assigned_by: str | None) -> dict[str, Any]:
    kind = (dimension.get("classified_as") or [{}])[0]
    return {
        "what": kind.get("_label"),
        "value": dimension.get("value"),
        "unit": (dimension.get("unit") or {}).get("_label"),
        "assigned_by": assigned_by,
        "type": kind.get("id"),
    }


def interpretations_frame(document: dict[str, Any]) -> pd.DataFrame:
    """One row per interpretation and claim of the service's ``interpretations`` answer
    (an interpretation without claims: one row, its claim columns empty). ``creator`` is
    a person's nickname (or name) or a program's name; ``model`` and ``version`` are a
    program's (creator_type ``Software``), ``on_behalf_of`` whom it acted for; ``value``
    the claimed value's label (``value_id`` its IRI); ``annotation`` the W3C annotation
    it was made as (to reply to, accept or reject with echoes.annotations); ``agree``,
    ``contest`` and ``replies`` are counts."""
    import pandas as pd

    from .annotations import creator_columns

    rows = []
    for item in document.get("interpretations", []):
        creator = item.get("creator") or {}
        software = isinstance(creator, dict) and creator.get("type") == "Software"
        common = {
            "interpretation": item.get("id"),
            "annotation": item.get("annotation"),
            **creator_columns(creator),
            "model": creator.get("name") if software else None,
            "version": creator.get("version") if software else None,
            "created": item.get("created"),
            "confidence": item.get("confidence"),
            "status": item.get("status"),
            "text": item.get("text"),
            "agree": len(item.get("agree") or []),
            "contest": len(item.get("contest") or []),
            "replies": len(item.get("replies") or []),
        }
        for claim in item.get("claims") or [{}]:
            value = claim.get("value")
            value = value if isinstance(value, dict) else {"label": value}
            rows.append(
                {
                    **common,
                    "property": claim.get("property"),
                    "crm": claim.get("crm"),
                    "value": value.get("label", value.get("id")),
                    "value_id": value.get("id"),
                }
            )
    frame = pd.DataFrame(rows, columns=INTERPRETATION_COLUMNS)
    frame["created"] = pd.to_datetime(frame["created"], utc=True, format="ISO8601")
    frame["confidence"] = pd.to_numeric(frame["confidence"]).astype("Float64")
    return frame


ANALYSIS_COLUMNS = ["run", "notebook", "ran", "creator", "linked", "annotation"]


def analyses_frame(document: dict[str, Any]) -> pd.DataFrame:
    """One row per run of the service's ``interpretations`` answer's ``analyses``:
    ``run`` its IRI, ``notebook`` the notebook's name, ``ran`` when it finished,
    ``creator`` who ran and linked it, ``linked`` when, ``annotation`` the link."""
    import pandas as pd

    from .annotations import creator_columns

    rows = [
        {
            "run": item.get("run"),
            "notebook": item.get("label"),
            "ran": item.get("ran"),
            "creator": creator_columns(item.get("creator"))["creator"],
            "linked": item.get("created"),
            "annotation": item.get("annotation"),
        }
        for item in document.get("analyses", [])
    ]
    frame = pd.DataFrame(rows, columns=ANALYSIS_COLUMNS)
    for column in ("ran", "linked"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def results_frame(results: dict[str, Any]) -> pd.DataFrame:
    """SPARQL 1.1 JSON results (SELECT) as a DataFrame, one column per variable in the
    query's order: IRIs and plain literals as str (blank nodes ``_:b0``), unbound as
    missing, and a column whose values are all of one XSD kind typed: integers ``Int64``,
    decimals, doubles and floats ``float64``, booleans ``boolean``, dateTimes
    ``datetime64[..., UTC]`` (kept as str where pandas cannot read one)."""
    import pandas as pd

    names = results.get("head", {}).get("vars", [])
    bindings = results.get("results", {}).get("bindings", [])
    columns = {}
    for name in names:
        terms = [row.get(name) for row in bindings]
        columns[name] = typed_column(terms, name)
    return (
        pd.DataFrame(columns, columns=names) if names else pd.DataFrame(index=range(len(bindings)))
    )


def typed_column(terms: list[dict | None], name: str) -> pd.Series:
    import pandas as pd

    values = [None if t is None else term_value(t) for t in terms]
    datatypes = {t.get("datatype") for t in terms if t is not None}
    kinds = {t.get("type") for t in terms if t is not None}
    literal = kinds <= {"literal", "typed-literal"} and None not in datatypes
    if not datatypes or not literal:
        return pd.Series(values, name=name, dtype="object")
    if datatypes <= INTEGERS:
        return pd.Series([None if v is None else int(v) for v in values], name=name, dtype="Int64")
    if datatypes <= NUMBERS:
        return pd.to_numeric(pd.Series(values, name=name, dtype="object")).astype("float64")
    if datatypes == {BOOLEAN}:
        truth = [None if v is None else v in ("true", "1") for v in values]
        return pd.Series(truth, name=name, dtype="boolean")
    if datatypes == {DATETIME}:
        try:
            return pd.to_datetime(pd.Series(values, name=name), utc=True, format="ISO8601")
        except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
            pass
    return pd.Series(values, name=name, dtype="object")


def term_value(term: dict[str, Any]) -> str:
    return f"_:{term['value']}" if term.get("type") == "bnode" else term["value"]


# --- module-level shortcuts, on one default client ---------------------------------------

_default: TwinsClient | None = None


def client() -> TwinsClient:
    """The default client of this notebook (created on first use)."""
    global _default
    if _default is None:
        _default = TwinsClient()
    return _default


def twin(ref: str) -> Twin:
    """The twin ``ref``: ``coins/7`` or ``urn:echoes:object:coins/7``."""
    return client().twin(ref)


def sparql(query: str) -> pd.DataFrame | bool | Graph:
    """A SPARQL 1.1 query on the twins' graph (`TwinsClient.sparql`)."""
    return client().sparql(query)


def search(text: str, collection: str | None = None, limit: int = 20) -> pd.DataFrame:
    """Twins whose names, identifiers or statements hold every word (`TwinsClient.search`)."""
    return client().search(text, collection, limit)
