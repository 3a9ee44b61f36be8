"""OAI-PMH 2.0, the protocol: the six verbs, their arguments and errors, datestamps,
sets and resumption tokens, over any list of `Item`s (`provider` says what they are).

As the protocol says (section 3.6), a request's mistakes are answered with HTTP 200 and
an ``<error code="...">`` in the XML, which is what harvesters read: ``badVerb``,
``badArgument``, ``badResumptionToken``, ``cannotDisseminateFormat``,
``idDoesNotExist`` and ``noRecordsMatch``.

Resumption tokens hold the request, the harvest's upper bound and the last item sent
(not an offset): items are listed in (datestamp, identifier) order, and a page starts
after the last one sent, so an item that changes during a harvest moves past its upper
bound (the next incremental harvest takes it) and nothing shifts or repeats. A token is
refused once the data build changed (every twin's datestamp did), and asks for a new
harvest. Deletions are not kept (``deletedRecord`` is ``no``). No I/O here.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.etree.ElementTree import Element, SubElement, tostring

from .crosswalk import DC, FORMATS, XSI, dc_root

OAI = "http://www.openarchives.org/OAI/2.0/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
SECONDS = "%Y-%m-%dT%H:%M:%SZ"
DAY = "%Y-%m-%d"

#: Each verb's required and optional arguments (``resumptionToken``: `RESUMABLE`).
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
}
#: The verbs whose lists come in pages, continued by a resumption token.
RESUMABLE = frozenset({"ListSets", "ListIdentifiers", "ListRecords"})


class OaiError(Exception):
    """A request the protocol answers with ``<error code=...>``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Item:
    """One record the provider offers: its identifier, datestamp, sets, the metadata
    formats it has, and how to make its metadata in one of them."""

    identifier: str
    datestamp: datetime
    sets: tuple[str, ...]
    formats: tuple[str, ...]
    metadata: Callable[[str], Element]

    @property
    def key(self) -> tuple[str, str]:
        return stamp(self.datestamp), self.identifier


@dataclass(frozen=True)
class Set:
    spec: str
    name: str
    #: Dublin Core about the set (``setDescription``): dc element name -> texts.
    description: dict[str, list[str]]


@dataclass(frozen=True)
class Repository:
    """What one request is answered from: the items in (datestamp, identifier) order,
    the sets, and the version of the data they come from (a token of another is
    refused)."""

    name: str
    base_url: str
    admin_email: str
    version: str
    items: list[Item]
    sets: list[Set]
    page_size: int
    #: Each item by its identifier.
    by_identifier: dict[str, Item]

    def item(self, identifier: str) -> Item:
        if identifier not in self.by_identifier:
            raise OaiError("idDoesNotExist", f"no record {identifier!r} in this repository")
        return self.by_identifier[identifier]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(SECONDS)


def parse_time(value: str, name: str) -> tuple[datetime, str]:
    """A ``from`` or ``until`` as a UTC time and its granularity (day or seconds)."""
    for pattern, granularity in ((SECONDS, "seconds"), (DAY, "day")):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=UTC), granularity
        except ValueError:
            continue
    raise OaiError(
        "badArgument",
        f"{name} is a UTC date (YYYY-MM-DD) or time (YYYY-MM-DDThh:mm:ssZ): {value!r}",
    )


# --- the request ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """A list request as it is continued: its verb, format, set, bounds and position."""

    verb: str
    prefix: str = ""
    set: str = ""
    start: str = ""
    end: str = ""
    after: tuple[str, str] | None = None
    cursor: int = 0
    size: int = 0
    version: str = ""

    def token(self) -> str:
        fields = {
            "v": self.verb,
            "p": self.prefix,
            "s": self.set,
            "f": self.start,
            "u": self.end,
            "a": list(self.after) if self.after else None,
            "c": self.cursor,
            "n": self.size,
            "b": self.version,
        }
        raw = json.dumps(fields, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def of_token(cls, verb: str, token: str, version: str) -> Ask:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            fields = json.loads(raw)
            after = fields["a"]
            ask = cls(
                verb=str(fields["v"]),
                prefix=str(fields["p"]),
                set=str(fields["s"]),
                start=str(fields["f"]),
                end=str(fields["u"]),
                after=(str(after[0]), str(after[1])) if after else None,
                cursor=int(fields["c"]),
                size=int(fields["n"]),
                version=str(fields["b"]),
            )
        except (binascii.Error, ValueError, TypeError, KeyError, IndexError) as error:
            raise OaiError(
                "badResumptionToken", "this resumption token is not one of ours"
            ) from error
        if ask.verb != verb:
            raise OaiError(
                "badResumptionToken", f"this resumption token continues {ask.verb}, not {verb}"
            )
        if ask.version != version:
            raise OaiError(
                "badResumptionToken",
                "the data changed since this harvest began (the twins were rebuilt): harvest again",
            )
        return ask


def one_each(arguments: dict[str, list[str]]) -> dict[str, str]:
    """The arguments, each given once (``verb`` first: a repeated one is badVerb)."""
    verbs = arguments.get("verb", [])
    if len(verbs) != 1:
        raise OaiError("badVerb", "give one verb" if verbs else "the verb is missing")
    if verbs[0] not in VERBS:
        raise OaiError("badVerb", f"{verbs[0]!r} is no OAI-PMH verb; they are {', '.join(VERBS)}")
    repeated = sorted(name for name, values in arguments.items() if len(values) > 1)
    if repeated:
        raise OaiError("badArgument", f"{', '.join(repeated)} given more than once")
    return {name: values[0] for name, values in arguments.items()}


def checked(arguments: dict[str, str]) -> dict[str, str]:
    """The arguments of a valid request for its verb (else badArgument)."""
    verb = arguments["verb"]
    required, optional = VERBS[verb]
    given = set(arguments) - {"verb"}
    allowed = required | optional | ({"resumptionToken"} if verb in RESUMABLE else set())
    illegal = sorted(given - allowed)
    if illegal:
        raise OaiError("badArgument", f"{verb} takes no {', '.join(illegal)}")
    if "resumptionToken" in given and given != {"resumptionToken"}:
        raise OaiError("badArgument", "resumptionToken is given alone (with the verb)")
    missing = sorted(required - given) if "resumptionToken" not in given else []
    if missing:
        raise OaiError("badArgument", f"{verb} needs {', '.join(missing)}")
    return arguments


# --- the answer -------------------------------------------------------------------------


def answer(repository: Repository, arguments: dict[str, list[str]], now: datetime) -> bytes:
    """The XML answer to one request (its arguments as a query string's or form's)."""
    # The protocol's elements are unprefixed, in the default namespace; what a record's
    # metadata holds is prefixed (ElementTree declares those prefixes on the root).
    root = Element("OAI-PMH", {"xmlns": OAI, f"{{{XSI}}}schemaLocation": f"{OAI} {SCHEMA}"})
    SubElement(root, "responseDate").text = stamp(now)
    request = SubElement(root, "request")
    request.text = repository.base_url
    try:
        given = checked(one_each(arguments))
        request.attrib.update(given)
        verb = given.pop("verb")
        root.append(VERB_ANSWERS[verb](repository, given, now))
    except OaiError as error:
        if error.code in ("badVerb", "badArgument"):
            request.attrib.clear()  # 3.6: only the base URL echoes a malformed request
        SubElement(root, "error", {"code": error.code}).text = error.message
    return tostring(root, encoding="utf-8", xml_declaration=True)


def identify(repository: Repository, _: dict[str, str], now: datetime) -> Element:
    element = Element("Identify")
    earliest = min((i.datestamp for i in repository.items), default=now)
    for name, text in (
        ("repositoryName", repository.name),
        ("baseURL", repository.base_url),
        ("protocolVersion", "2.0"),
        ("adminEmail", repository.admin_email),
        ("earliestDatestamp", stamp(earliest)),
        ("deletedRecord", "no"),
        ("granularity", GRANULARITY),
    ):
        SubElement(element, name).text = text
    return element


def list_metadata_formats(repository: Repository, given: dict[str, str], _: datetime) -> Element:
    prefixes: Iterable[str] = FORMATS
    if "identifier" in given:
        prefixes = repository.item(given["identifier"]).formats
    element = Element("ListMetadataFormats")
    for prefix in prefixes:
        schema, namespace = FORMATS[prefix]
        described = SubElement(element, "metadataFormat")
        SubElement(described, "metadataPrefix").text = prefix
        SubElement(described, "schema").text = schema
        SubElement(described, "metadataNamespace").text = namespace
    return element


def list_sets(repository: Repository, given: dict[str, str], _: datetime) -> Element:
    if "resumptionToken" in given:  # every set fits in one answer: no token is ours
        raise OaiError("badResumptionToken", "ListSets answers in one page: no token continues it")
    element = Element("ListSets")
    for one in repository.sets:
        described = SubElement(element, "set")
        SubElement(described, "setSpec").text = one.spec
        SubElement(described, "setName").text = one.name
        if one.description:
            about = SubElement(described, "setDescription")
            dc = dc_root(about)
            for name, texts in one.description.items():
                for text in texts:
                    SubElement(dc, f"{{{DC}}}{name}").text = text
    return element


def header(item: Item) -> Element:
    element = Element("header")
    SubElement(element, "identifier").text = item.identifier
    SubElement(element, "datestamp").text = stamp(item.datestamp)
    for spec in item.sets:
        SubElement(element, "setSpec").text = spec
    return element


def record(item: Item, prefix: str) -> Element:
    element = Element("record")
    element.append(header(item))
    SubElement(element, "metadata").append(item.metadata(prefix))
    return element


def get_record(repository: Repository, given: dict[str, str], _: datetime) -> Element:
    prefix = given["metadataPrefix"]
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"the formats are {', '.join(FORMATS)}")
    item = repository.item(given["identifier"])
    if prefix not in item.formats:
        raise OaiError(
            "cannotDisseminateFormat", f"{item.identifier} is offered as {', '.join(item.formats)}"
        )
    element = Element("GetRecord")
    element.append(record(item, prefix))
    return element


def first_ask(verb: str, given: dict[str, str], now: datetime, version: str) -> Ask:
    """A new list request: its bounds checked, its upper bound fixed for the harvest."""
    prefix = given["metadataPrefix"]
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"the formats are {', '.join(FORMATS)}")
    start = end = ""
    granularities = set()
    if "from" in given:
        moment, granularity = parse_time(given["from"], "from")
        granularities.add(granularity)
        start = stamp(moment)
    if "until" in given:
        moment, granularity = parse_time(given["until"], "until")
        granularities.add(granularity)
        if granularity == "day":  # the whole day
            moment += timedelta(days=1, seconds=-1)
        end = stamp(moment)
    if len(granularities) > 1:
        raise OaiError("badArgument", "from and until have different granularities")
    # Fixed now: what changes during the harvest is the next harvest's.
    return Ask(verb, prefix, given.get("set", ""), start, end or stamp(now), version=version)


def in_set(item: Item, spec: str) -> bool:
    return not spec or any(s == spec or s.startswith(f"{spec}:") for s in item.sets)


def list_items(repository: Repository, given: dict[str, str], now: datetime, verb: str) -> Element:
    if "resumptionToken" in given:
        ask = Ask.of_token(verb, given["resumptionToken"], repository.version)
    else:
        ask = first_ask(verb, given, now, repository.version)
    matching = [
        item
        for item in repository.items
        if ask.prefix in item.formats
        and in_set(item, ask.set)
        and (not ask.start or stamp(item.datestamp) >= ask.start)
        and stamp(item.datestamp) <= ask.end
    ]
    if ask.after is None and ask.set and not any(s.spec == ask.set for s in repository.sets):
        raise OaiError("noRecordsMatch", f"no set {ask.set!r}: ListSets lists them")
    size = ask.size or len(matching)
    remaining = [item for item in matching if ask.after is None or item.key > ask.after]
    if not remaining and ask.after is None:
        raise OaiError("noRecordsMatch", "no record matches these arguments")
    page = remaining[: repository.page_size]
    element = Element(verb)
    for item in page:
        element.append(header(item) if verb == "ListIdentifiers" else record(item, ask.prefix))
    more = len(remaining) > len(page)
    if more or ask.after is not None:
        cursor = ask.cursor
        token = SubElement(
            element,
            "resumptionToken",
            {"completeListSize": str(size), "cursor": str(cursor)},
        )
        if more:
            token.text = Ask(
                verb,
                ask.prefix,
                ask.set,
                ask.start,
                ask.end,
                page[-1].key,
                cursor + len(page),
                size,
                ask.version,
            ).token()
    return element


VERB_ANSWERS: dict[str, Callable[[Repository, dict[str, str], datetime], Element]] = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": lambda r, g, n: list_items(r, g, n, "ListIdentifiers"),
    "ListRecords": lambda r, g, n: list_items(r, g, n, "ListRecords"),
}


def as_arguments(raw: dict[str, list[bytes]]) -> dict[str, list[str]]:
    """Tornado's arguments as text."""
    return {
        name: [v.decode("utf-8", errors="replace") for v in values] for name, values in raw.items()
    }
