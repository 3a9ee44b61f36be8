"""Validation of the W3C Web Annotation Data Model, with errors that name the field.

`parse_annotation` takes the JSON a client sent and returns a `Parsed` annotation:
the cleaned document (server-managed keys removed) and what the store indexes
(target sources, motivations, tags, words, visibility, the creator claim). Nothing
here knows about HTTP or the database.

Targets we understand (any other IRI target is accepted as is):

- a catalog item: ``urn:echoes:catalog:<path>``,
  e.g. ``urn:echoes:catalog:heritage/archaeometry/pottery``
- an image region on an IIIF canvas: a ``SpecificResource`` whose ``source`` is the canvas
  IRI and whose selector is a ``FragmentSelector`` with ``xywh=[pixel:|percent:]x,y,w,h``
- a table row: ``FragmentSelector`` conforming to RFC 7111 with ``row=5`` or ``row=5-9``
- a time range: ``FragmentSelector`` with ``t=[npt:]start[,end]`` (Media Fragments)
- a text quote: ``TextQuoteSelector`` with ``exact`` (and optional ``prefix``/``suffix``)

Keys are read as JSON-LD under the W3C annotation context (shipped as ``anno.jsonld``,
never fetched) because that is how an RDF reader sees the stored document: a JSON-LD
keyword (``@id``, ``@graph``, ``@reverse``...), or a compact or full IRI spelling a term
(``dcterms:creator`` for ``creator``), would say what the server-managed terms already say
(a second creator) or bypass the checks made on the term. `check_terms` refuses them.
HTML bodies are cleaned by an allow-list sanitiser (nh3), not matched against patterns.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import nh3

from .claims import claims_of, is_claim
from .errors import ValidationError

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
#: IIIF Presentation 3 (what Mirador writes) includes the W3C annotation terms.
IIIF_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"'

#: W3C Web Annotation motivations, plus the two IIIF Presentation 3 adds.
MOTIVATIONS = frozenset(
    [
        *("assessing", "bookmarking", "classifying", "commenting", "describing", "editing"),
        *("highlighting", "identifying", "linking", "moderating", "questioning", "replying"),
        *("tagging", "painting", "supplementing"),
    ]
)
SELECTORS = frozenset(
    [
        "FragmentSelector",
        "TextQuoteSelector",
        "TextPositionSelector",
        "SvgSelector",
        "PointSelector",
    ]
)
#: Keys the server sets; a client's values for them are ignored on create and update.
SERVER_KEYS = frozenset(["id", "creator", "created", "generated", "modified", "generator"])
#: IRI schemes accepted in targets and bodies; `javascript:`, `data:`, `file:` are not.
IRI_SCHEMES = frozenset(["http", "https", "urn", "doi", "info", "tag", "ark"])
VISIBILITIES = ("private", "public", "group:<name>")

MAX_DEPTH = 16
MAX_ITEMS = 100
MAX_IRI = 2048
MAX_NAME = 200

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_NUMBER = r"\d+(?:\.\d+)?"
_FRAGMENTS = {
    "xywh": re.compile(rf"^xywh=(?:(?:pixel|percent):)?{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$"),
    "t": re.compile(rf"^t=(?:npt:)?(?:{_NUMBER})?(?:,{_NUMBER})?$"),
    "row": re.compile(r"^row=\d+(?:-(?:\d+|\*))?(?:;\d+(?:-(?:\d+|\*))?)*$"),
    "col": re.compile(r"^col=\d+(?:-(?:\d+|\*))?(?:;\d+(?:-(?:\d+|\*))?)*$"),
    "cell": re.compile(r"^cell=\d+,\d+(?:-\d+,\d+)?$"),
    "page": re.compile(r"^page=\d+$"),
    "char": re.compile(r"^char=\d+(?:,\d+)?$"),
    "line": re.compile(r"^line=\d+(?:,\d+)?$"),
}
_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_ACTIVE_HTML = re.compile(
    r"<\s*(script|iframe|object|embed|style|link|meta|base|form)\b|\bon[a-z]+\s*=|javascript\s*:",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]*>")
#: Links in HTML bodies: nothing that runs (javascript:) or embeds (data:) survives.
HTML_URL_SCHEMES = frozenset(["http", "https", "mailto"])
#: Unicode category Cc except tab, newline and carriage return, and two non-characters.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


#: The W3C annotation context (http://www.w3.org/ns/anno.jsonld), shipped with the service.
CONTEXT: dict[str, Any] = json.loads(Path(__file__).with_name("anno.jsonld").read_text())[
    "@context"
]
#: Terms usable as prefixes of compact IRIs (JSON-LD 1.1: an IRI ending in a gen-delim).
_PREFIXES = {
    term: iri for term, iri in CONTEXT.items() if isinstance(iri, str) and iri[-1] in "/#:?[]@"
}


def expand_key(key: str) -> str | None:
    """The IRI (or keyword) a key means under `CONTEXT`, as JSON-LD expansion reads it;
    None for a key the context does not define (expansion drops it: there is no @vocab)."""
    if key.startswith("@"):
        return key
    if key in CONTEXT:
        definition = CONTEXT[key]
        iri = definition["@id"] if isinstance(definition, dict) else definition
        return iri if iri.startswith("@") else expand_key(iri)
    prefix, colon, suffix = key.partition(":")
    if not colon:
        return None
    if prefix in _PREFIXES and not suffix.startswith("//"):
        return _PREFIXES[prefix] + suffix
    return key  # an absolute IRI (or a blank node, _:)


#: Each IRI a term of the context stands for, and the term: the one accepted spelling.
_TERM_OF = {expand_key(term): term for term in CONTEXT if term not in _PREFIXES}
#: ActivityStreams' attributedTo: the server writes it on imports (the original creator).
ATTRIBUTED_TO_IRI = "http://www.w3.org/ns/activitystreams#attributedTo"


def check_terms(doc: dict, imported: bool = False, own_iri: str | None = None) -> None:
    """Refuse keys that an RDF reader would take as server-managed statements or as
    another spelling of a term: JSON-LD keywords (but the top-level @context), compact and
    full IRIs of terms, ``as:attributedTo`` outside imports, and nested nodes whose id is
    the annotation itself (``own_iri``). ValidationError names the key."""
    _check_terms(doc, "$", imported, own_iri)


def _check_terms(value: Any, where: str, imported: bool, own_iri: str | None) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_terms(item, f"{where}[{i}]", imported, own_iri)
        return
    if not isinstance(value, dict):
        return
    top = where == "$"
    if not top and own_iri is not None and value.get("id") == own_iri:
        raise ValidationError("a nested node cannot be the annotation itself", f"{where}.id")
    for key, item in value.items():
        path = key if top else f"{where}.{key}"
        if key == "@context" and top:
            continue
        meaning = expand_key(key)
        if meaning is not None and meaning.startswith("@"):
            if key not in CONTEXT:
                raise ValidationError(f"JSON-LD keyword {key} is not accepted", path)
        elif meaning == ATTRIBUTED_TO_IRI:
            if not (top and imported):
                raise ValidationError(
                    f"{key} is set by the server (the original creator of an import)", path
                )
        elif meaning in _TERM_OF and key != _TERM_OF[meaning]:
            term = _TERM_OF[meaning]
            raise ValidationError(f"{key} means {term}; write it as {term}", path)
        _check_terms(item, path, imported, own_iri)


@dataclass
class Creator:
    """Who the client says made the annotation; the server checks it against the requester."""

    kind: str  # "Person", "Software", or (imports only) "Other": any agent of another store
    name: str = ""
    version: str = ""
    on_behalf_of: str = ""  # the hub user a Software agent claims to act for
    iri: str = ""  # the claimed agent's id, if any
    claim: Any = None  # the creator exactly as the document gave it


@dataclass
class Parsed:
    """A validated annotation: the document to store and the keys to index it by."""

    doc: dict
    targets: list[str]
    motivations: list[str]
    tags: list[str]
    text: str
    visibility: str = "private"
    group: str | None = None
    creator: Creator | None = None
    confidence: float | None = None
    created: str | None = None


def parse_annotation(doc: Any, imported: bool = False, own_iri: str | None = None) -> Parsed:
    """Validate ``doc`` against the Data Model; raise ValidationError naming the field.

    ``imported`` documents come from other stores, so any creator they name is accepted
    here (as a claim; `permissions.imported_creator` decides what is stored). ``own_iri``
    is the annotation's IRI when it exists already (a replacement). HTML bodies are
    sanitised in place.
    """
    if not isinstance(doc, dict):
        raise ValidationError("an annotation must be a JSON object", "$")
    _check_strings(doc, "$", 0)
    check_terms(doc, imported, own_iri)
    _check_context(doc.get("@context"))
    _check_type(doc.get("type"), "type", "Annotation")
    motivations = _motivations(doc.get("motivation"), "motivation")
    if "target" not in doc:
        raise ValidationError("an annotation needs a target", "target")
    targets = target_iris(doc["target"])
    bodies = _bodies(doc)
    claims_of(_as_list(doc.get("body")))  # a claim outside the list of relations: 400
    tags = _tags(bodies, motivations)
    text = " ".join(_body_text(b) for b in bodies).strip()
    visibility, group = _visibility(doc.get("visibility", "private"))
    creator = _imported_creator(doc.get("creator")) if imported else _creator(doc.get("creator"))
    confidence = _confidence(doc.get("confidence"), creator)
    created = _timestamp(doc.get("created"), "created") if "created" in doc else None
    if "canonical" in doc:
        _iri(doc["canonical"], "canonical")
    for via in _as_list(doc.get("via")):
        _iri(via, "via")
    clean = {k: v for k, v in doc.items() if k not in SERVER_KEYS and k != "visibility"}
    clean["@context"] = ANNO_CONTEXT
    clean.pop("confidence", None)
    return Parsed(
        doc=clean,
        targets=targets,
        motivations=motivations,
        tags=tags,
        text=text,
        visibility=visibility,
        group=group,
        creator=creator,
        confidence=confidence,
        created=created,
    )


def parse_collection(doc: Any) -> list[Any]:
    """The annotations of an AnnotationCollection or AnnotationPage (embedded pages only)."""
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict):
        raise ValidationError("a collection must be a JSON object or a list", "$")
    kinds = _as_list(doc.get("type"))
    if "AnnotationPage" in kinds:
        return _items(doc, "items")
    if "AnnotationCollection" not in kinds:
        raise ValidationError("expected an AnnotationCollection or AnnotationPage", "type")
    first = doc.get("first")
    items: list[Any] = []
    page, where = first, "first"
    while page is not None:
        if not isinstance(page, dict):
            raise ValidationError("pages must be embedded to be imported", where)
        items += _items(page, f"{where}.items")
        page, where = page.get("next"), f"{where}.next"
        if isinstance(page, str):
            raise ValidationError("pages must be embedded to be imported", where)
    return items


def _items(page: dict, where: str) -> list[Any]:
    items = page.get("items", [])
    if not isinstance(items, list):
        raise ValidationError("must be a list of annotations", where)
    return items


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_strings(value: Any, where: str, depth: int) -> None:
    """Reject nesting that is too deep, invalid Unicode and control characters anywhere."""
    if depth > MAX_DEPTH:
        raise ValidationError(f"nested deeper than {MAX_DEPTH} levels", where)
    if isinstance(value, dict):
        for key, item in value.items():
            _check_string(key, where)
            _check_strings(item, f"{where}.{key}" if where != "$" else key, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_strings(item, f"{where}[{i}]", depth + 1)
    elif isinstance(value, str):
        _check_string(value, where)
    elif isinstance(value, float) and value != value:
        raise ValidationError("not a number", where)


def _check_string(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("invalid Unicode (lone surrogate)", where) from None
    bad = CONTROL.search(text)
    if bad:
        raise ValidationError(f"control character U+{ord(bad.group()):04X} not allowed", where)


def _check_context(context: Any) -> None:
    if context is None:
        return
    contexts = _as_list(context)
    if ANNO_CONTEXT not in contexts and IIIF_CONTEXT not in contexts:
        raise ValidationError(f"@context must include {ANNO_CONTEXT}", "@context")


def _check_type(value: Any, where: str, expected: str) -> None:
    kinds = _as_list(value)
    if not all(isinstance(k, str) for k in kinds) or expected not in kinds:
        raise ValidationError(f'type must be "{expected}"', where)


def _motivations(value: Any, where: str) -> list[str]:
    found = []
    for item in _as_list(value):
        if not isinstance(item, str):
            raise ValidationError("motivation must be a string or a list of strings", where)
        name = item.removeprefix("oa:")
        if name not in MOTIVATIONS:
            raise ValidationError(
                f"unknown motivation {item!r}; one of {', '.join(sorted(MOTIVATIONS))}", where
            )
        found.append(name)
    return found


def check_iri(value: Any, where: str) -> str:
    """``value`` if it is an absolute IRI of an accepted scheme, else ValidationError."""
    return _iri(value, where)


def _iri(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError("must be a non-empty IRI string", where)
    if len(value) > MAX_IRI:
        raise ValidationError(f"IRI longer than {MAX_IRI} characters", where)
    if any(c.isspace() or c in _BIDI or c in '\\<>"{}|^`' for c in value):
        raise ValidationError("IRI contains a space, quote or forbidden character", where)
    scheme = _SCHEME.match(value)
    if not scheme or scheme.group(1).lower() not in IRI_SCHEMES:
        raise ValidationError(f"IRI scheme must be one of {', '.join(sorted(IRI_SCHEMES))}", where)
    path = value.split("?", 1)[0].split("#", 1)[0]
    segments = re.split(r"/|%2f", path, flags=re.IGNORECASE)
    if any(s.lower() in ("..", ".", "%2e%2e", "%2e", ".%2e", "%2e.") for s in segments[1:]):
        raise ValidationError("IRI must not contain '.' or '..' path segments", where)
    return value


def _source_iri(value: Any, where: str) -> tuple[str, list[str]]:
    """The IRI of a source given as a string or an object with id; plus any partOf IRIs."""
    if isinstance(value, dict):
        iri = _iri(value.get("id"), f"{where}.id")
        parts = [
            _iri(_id_of(p, f"{where}.partOf"), f"{where}.partOf")
            for p in _as_list(value.get("partOf"))
        ]
        return iri, parts
    return _iri(value, where), []


def _id_of(value: Any, where: str) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def target_iris(value: Any) -> list[str]:
    """The IRIs an annotation's ``target`` is found by: each source (without fragment) and
    what it is ``partOf``."""
    items = _as_list(value)
    if not items:
        raise ValidationError("an annotation needs a target", "target")
    if len(items) > MAX_ITEMS:
        raise ValidationError(f"at most {MAX_ITEMS} targets", "target")
    sources: list[str] = []
    for i, item in enumerate(items):
        where = "target" if not isinstance(value, list) else f"target[{i}]"
        if isinstance(item, str):
            sources.append(_iri(item, where).split("#", 1)[0])
        elif isinstance(item, dict):
            sources += _target_object(item, where)
        else:
            raise ValidationError("a target must be an IRI or an object", where)
    return list(dict.fromkeys(sources))


def _target_object(item: dict, where: str) -> list[str]:
    if "source" not in item:
        if "id" not in item:
            raise ValidationError("a target object needs an id or a source", where)
        iri, parts = _source_iri(item, where)
        return [iri.split("#", 1)[0], *parts]
    iri, parts = _source_iri(item["source"], f"{where}.source")
    selectors = _as_list(item.get("selector"))
    if len(selectors) > MAX_ITEMS:
        raise ValidationError(f"at most {MAX_ITEMS} selectors", f"{where}.selector")
    for j, selector in enumerate(selectors):
        sub = (
            f"{where}.selector"
            if not isinstance(item["selector"], list)
            else f"{where}.selector[{j}]"
        )
        _selector(selector, sub)
    return [iri.split("#", 1)[0], *parts]


def _selector(selector: Any, where: str) -> None:
    if not isinstance(selector, dict):
        raise ValidationError("a selector must be an object", where)
    kind = selector.get("type")
    if kind not in SELECTORS:
        raise ValidationError(
            f"unknown selector type {kind!r}; one of {', '.join(sorted(SELECTORS))}",
            f"{where}.type",
        )
    if kind == "FragmentSelector":
        value = selector.get("value")
        if not isinstance(value, str):
            raise ValidationError("a FragmentSelector needs a string value", f"{where}.value")
        _fragment(value, f"{where}.value")
    elif kind == "TextQuoteSelector":
        if not isinstance(selector.get("exact"), str) or not selector["exact"]:
            raise ValidationError("a TextQuoteSelector needs a non-empty exact", f"{where}.exact")
        for key in ("prefix", "suffix"):
            if key in selector and not isinstance(selector[key], str):
                raise ValidationError("must be a string", f"{where}.{key}")
    elif kind == "TextPositionSelector":
        start, end = selector.get("start"), selector.get("end")
        if not _is_int(start) or not _is_int(end) or not 0 <= start <= end:
            raise ValidationError("start and end must be integers, 0 <= start <= end", where)
    elif kind == "PointSelector":
        if not all(_is_number(selector.get(k)) and selector[k] >= 0 for k in ("x", "y")):
            raise ValidationError("x and y must be non-negative numbers", where)
    elif kind == "SvgSelector":
        value = selector.get("value")
        if not isinstance(value, str) or "<svg" not in value:
            raise ValidationError("an SvgSelector needs an <svg> value", f"{where}.value")
        if _ACTIVE_HTML.search(value) or _ACTIVE_HTML.search(html.unescape(value)):
            raise ValidationError(
                "SVG with script or event handlers is not accepted", f"{where}.value"
            )


def _fragment(value: str, where: str) -> None:
    key = value.split("=", 1)[0]
    pattern = _FRAGMENTS.get(key)
    if pattern is None:
        raise ValidationError(
            f"unsupported fragment {value!r}; one of {', '.join(k + '=' for k in _FRAGMENTS)}",
            where,
        )
    if not pattern.match(value):
        raise ValidationError(f"malformed {key}= fragment {value!r}", where)
    if key == "xywh":
        w, h = (float(n) for n in value.rsplit(",", 2)[-2:])
        if w <= 0 or h <= 0:
            raise ValidationError("xywh width and height must be positive", where)
    if key == "t" and "," in value:
        start, end = value.split("=", 1)[1].removeprefix("npt:").split(",")
        if start and float(start) > float(end):
            raise ValidationError("time range ends before it starts", where)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bodies(doc: dict) -> list[Any]:
    bodies = []
    if "bodyValue" in doc:
        if not isinstance(doc["bodyValue"], str):
            raise ValidationError("bodyValue must be a string", "bodyValue")
        bodies.append({"type": "TextualBody", "value": doc["bodyValue"]})
    value = doc.get("body")
    items = _as_list(value)
    if len(items) > MAX_ITEMS:
        raise ValidationError(f"at most {MAX_ITEMS} bodies", "body")
    for i, item in enumerate(items):
        where = "body" if not isinstance(value, list) else f"body[{i}]"
        if isinstance(item, str):
            _iri(item, where)
        elif isinstance(item, dict):
            _body(item, where)
        else:
            raise ValidationError("a body must be an IRI or an object", where)
        bodies.append(item)
    return bodies


def _body(body: dict, where: str) -> None:
    kinds = _as_list(body.get("type"))
    if "purpose" in body:
        _motivations(body["purpose"], f"{where}.purpose")
    if "TextualBody" in kinds or ("value" in body and not kinds):
        value = body.get("value")
        if not isinstance(value, str):
            raise ValidationError("a TextualBody needs a string value", f"{where}.value")
        for key in ("format", "language"):
            if key in body and not isinstance(body[key], str):
                raise ValidationError("must be a string", f"{where}.{key}")
        if "html" in str(body.get("format", "")):
            body["value"] = sanitise_html(value)
    elif kinds == ["SpecificResource"]:
        _target_object(body, where)
    elif "id" in body:
        _iri(body["id"], f"{where}.id")
    elif not is_claim(body):  # a claim's value is checked by claims.claim_of
        raise ValidationError("a body needs a value (TextualBody) or an id", where)


def sanitise_html(value: str) -> str:
    """``value`` with only nh3's allow-listed tags and attributes, links to http(s)/mailto."""
    return nh3.clean(value, url_schemes=set(HTML_URL_SCHEMES))


def _tags(bodies: list[Any], motivations: list[str]) -> list[str]:
    tags = []
    for body in bodies:
        if not isinstance(body, dict) or not isinstance(body.get("value"), str):
            continue
        purposes = _as_list(body.get("purpose"))
        if "tagging" in purposes or (not purposes and motivations == ["tagging"]):
            tag = body["value"].strip()
            if not tag or len(tag) > MAX_NAME:
                raise ValidationError(f"a tag must have 1 to {MAX_NAME} characters", "body")
            tags.append(tag)
    return list(dict.fromkeys(tags))


def _body_text(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("value"), str):
        return ""
    value = body["value"]
    if "html" in str(body.get("format", "")):
        value = html.unescape(_TAG.sub(" ", value))
    return value


def _visibility(value: Any) -> tuple[str, str | None]:
    if value in ("private", "public"):
        return value, None
    if isinstance(value, str) and value.startswith("group:") and _GROUP.match(value[6:]):
        return "group", value[6:]
    raise ValidationError(f"visibility must be one of {', '.join(VISIBILITIES)}", "visibility")


def _creator(value: Any) -> Creator | None:
    if value is None:
        return None
    if isinstance(value, list):
        if len(value) != 1:
            raise ValidationError("give exactly one creator", "creator")
        value = value[0]
    if not isinstance(value, dict):
        raise ValidationError("creator must be an object with a type", "creator")
    kinds = _as_list(value.get("type"))
    if "Person" in kinds:
        name = value.get("nickname") or value.get("name") or ""
        if not isinstance(name, str):
            raise ValidationError("must be a string", "creator.name")
        return Creator("Person", name=name, claim=value)
    if "Software" not in kinds:
        raise ValidationError('creator type must be "Person" or "Software"', "creator.type")
    for key in ("name", "version"):
        text = value.get(key)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_NAME:
            raise ValidationError(
                f"a Software creator needs a {key} (1 to {MAX_NAME} characters)", f"creator.{key}"
            )
    behalf = value.get("actedOnBehalfOf", "")
    if isinstance(behalf, dict):
        behalf = behalf.get("nickname") or behalf.get("name") or ""
    if not isinstance(behalf, str):
        raise ValidationError("must name a hub user", "creator.actedOnBehalfOf")
    return Creator(
        "Software",
        name=value["name"].strip(),
        version=value["version"].strip(),
        on_behalf_of=behalf,
        iri=value["id"] if isinstance(value.get("id"), str) else "",
        claim=value,
    )


def _imported_creator(value: Any) -> Creator | None:
    """The creator an imported document names, leniently: other stores write agents
    without a type (Annotorious), as Organizations, as bare IRIs, or several of them."""
    if value is None:
        return None
    one = value[0] if isinstance(value, list) and len(value) == 1 else value
    if isinstance(one, dict):
        kinds = _as_list(one.get("type"))
        iri = one["id"] if isinstance(one.get("id"), str) else ""
        if "Software" in kinds and isinstance(one.get("name"), str) and one["name"].strip():
            version = one.get("version")
            behalf = one.get("actedOnBehalfOf", "")
            if isinstance(behalf, dict):
                behalf = behalf.get("id") or behalf.get("nickname") or behalf.get("name") or ""
            return Creator(
                "Software",
                name=one["name"].strip()[:MAX_NAME],
                version=version.strip()[:MAX_NAME] if isinstance(version, str) else "",
                on_behalf_of=behalf if isinstance(behalf, str) else "",
                iri=iri,
                claim=value,
            )
        if "Person" in kinds:
            name = one.get("nickname") or one.get("name") or ""
            return Creator(
                "Person", name=name if isinstance(name, str) else "", iri=iri, claim=value
            )
    if isinstance(one, dict | str | list):
        return Creator("Other", iri=one if isinstance(one, str) else "", claim=value)
    raise ValidationError("creator must be an agent object, an IRI, or a list of them", "creator")


def _confidence(value: Any, creator: Creator | None) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or not 0 <= value <= 1:
        raise ValidationError("confidence must be a number from 0 to 1", "confidence")
    if creator is None or creator.kind != "Software":
        raise ValidationError("only Software creators give a confidence", "confidence")
    return float(value)


def _timestamp(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValidationError("must be an ISO 8601 date-time string", where)
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("must be an ISO 8601 date-time string", where) from None
    return value
