"""Linked Art sources: the records a IIIF Change Discovery API 1.0 stream lists (the way
Linked Art publishes for harvesting: its Discovery API is that specification with Linked
Art's record types), or one Linked Art record at the source's address.

**The stream** is read as the specification's processing algorithm (section 3.5) says:
from the collection's ``last`` page backwards through ``prev``, each page's activities in
reverse order, until an activity older than the last harvest (``endTime`` before the
newest one that harvest saw). Only an object's most recent activity counts; ``Create``,
``Update`` and ``Add`` bring its record, ``Delete`` and ``Remove`` withdraw its twin,
``Move`` does both; after a ``Refresh`` only deletions are read further back (none at
all on a first harvest). Activities at the very moment the last harvest stopped at, which
it took already, are not taken again. An activity without an ``endTime`` is always taken
(a Level 0 stream is read whole each time: unchanged records write nothing). Objects of
a type other than ``HumanMadeObject`` (people, places, sets) are not twins: skipped.

**Each record** is then fetched from its ``id``, bounded like every answer (fetch.py), and
read as plain JSON in the shape the Linked Art context gives (no JSON-LD expansion: a
record whose ``@context`` is not Linked Art's is reported, since its terms could mean
anything). A record that answers badly (an HTTP error, not JSON, too large, not a
``HumanMadeObject``) is reported and the harvest goes on; one that gets no answer at all
ends the harvest (the source is down: the next one starts from the same place).

`described` is what a twin keeps of a record (records.Described), the same reading for
the SPARQL sources' CRM triples (sparql.py):

- ``identified_by``: its Names (the one classified Primary Name first) are the titles, its
  Identifiers the identifiers;
- ``classified_as``: the types (their labels);
- ``produced_by`` (and its ``part``s): ``carried_out_by`` the makers, ``timespan`` the
  date (its name as written, else its label, else begin/end), ``took_place_at`` places;
- ``referred_to_by``: statements, the descriptions; a Material Statement, and
  ``made_of``'s materials, are the media; a rights statement the rights;
- ``shows`` (when the visual item is embedded): what it is ``about`` or ``represents``, the
  subjects;
- ``representation``'s ``digitally_shown_by`` access points: its images (shown by);
  ``subject_of``'s ``digitally_carried_by`` access points: its pages (shown at);
- ``current_owner``: the providers.

Not read: dimensions, ``member_of`` (the source's own sets), ``part_of``, current location
and custodian, ``equivalent``, ``attributed_by``; they stay in the raw record, kept whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from .fetch import Limits, SourceFailed, get_json_text
from .records import AAT, PRIMARY_NAME, Described, Harvested, Listing
from .sources import Source

CONTEXT = "https://linked.art/ns/v1/linked-art.json"
OBJECT_TYPE = "HumanMadeObject"
MATERIAL_STATEMENT = AAT + "300435429"
RIGHTS_STATEMENT = AAT + "300435434"
ACCEPT = f'application/ld+json;profile="{CONTEXT}", application/ld+json, application/json'


@dataclass(frozen=True)
class Change:
    """An object's most recent activity in the stream: ``kind`` is include or remove."""

    identifier: str
    kind: str
    when: str


def list_records(
    source: Source, since: str | None, state: dict[str, Any], limits: Limits
) -> Listing:
    """The records changed in the source's stream ``since`` (all of them when None), or
    the one record at its address."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    document, text = get_json_text(source.url, limits, ACCEPT)
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == OBJECT_TYPE:
        said = read_record(source.url, document, text, now)
        return Listing(iter([said]), now, whole=True, total=1)
    if kind != "OrderedCollection":
        raise SourceFailed(
            f"{source.url}: neither a Change Discovery stream (an OrderedCollection) nor a "
            f"Linked Art record (a HumanMadeObject), but {kind!r}"
        )
    changes, newest, at_newest = read_stream(source.url, document, since, state, limits)
    if newest is None and not changes:  # nothing new: the next one starts where this did
        return Listing(iter([]), since or now, total=0, state=state)
    taken = {"taken_at_last": at_newest}
    return Listing(records(changes, limits), newest or now, total=len(changes), state=taken)


def moment(value: Any) -> datetime | None:
    """An ``endTime`` as a moment (UTC when it names no zone); None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def link(value: Any) -> str | None:
    """The ``id`` of a link (an object with one, or the URI itself)."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def read_stream(
    url: str,
    collection: dict[str, Any],
    since: str | None,
    state: dict[str, Any],
    limits: Limits,
) -> tuple[list[Change], str | None, list[str]]:
    """The objects changed since ``since``, newest first; the newest ``endTime`` read, and
    the activities at that moment (kind and object), which the next harvest skips."""
    stream = link(collection.get("id")) or url
    page_url = link(collection.get("last"))
    if page_url is None:
        raise SourceFailed(f"{url}: a Change Discovery stream without a last page")
    last_crawl = moment(since)
    taken_before = set(state.get("taken_at_last", [])) if last_crawl else set()
    processed: set[str] = set()
    changes: list[Change] = []
    newest: datetime | None = None
    newest_text: str | None = None
    at_newest: list[str] = []
    only_delete = False
    pages_read: set[str] = set()
    while page_url:
        if page_url in pages_read:
            raise SourceFailed(f"{page_url}: the stream's pages go round in a circle")
        pages_read.add(page_url)
        page, _ = get_json_text(page_url, limits, ACCEPT)
        items = page.get("orderedItems") if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise SourceFailed(f"{page_url}: a page without orderedItems")
        for activity in reversed(items):
            if not isinstance(activity, dict):
                continue
            kind = activity.get("type")
            when_text = activity.get("endTime") or activity.get("startTime")
            when = moment(when_text)
            if last_crawl and when and when < last_crawl:
                return changes, newest_text, at_newest
            if kind == "Refresh":
                if last_crawl is None:
                    return changes, newest_text, at_newest
                only_delete = True
                continue
            target = activity.get("object")
            identifier = link(target)
            if identifier is None or identifier in processed:
                continue
            if isinstance(target, dict) and target.get("type", OBJECT_TYPE) != OBJECT_TYPE:
                continue
            if when and (newest is None or when > newest):
                newest, newest_text, at_newest = when, when_text, []
            key = f"{kind} {identifier}"
            if when and when == newest:
                at_newest.append(key)
            if when and when == last_crawl and key in taken_before:
                processed.add(identifier)
                continue  # the last harvest took it
            removing = kind == "Delete" or (
                kind == "Remove" and link(activity.get("origin")) in (None, stream)
            )
            including = kind in ("Create", "Update") or (
                kind == "Add" and link(activity.get("target")) in (None, stream)
            )
            stamp = when_text if isinstance(when_text, str) else ""
            if removing or kind == "Move":
                changes.append(Change(identifier, "remove", stamp))
            if kind == "Move" and not only_delete:
                moved_to = link(activity.get("target"))
                if moved_to and moved_to not in processed:
                    changes.append(Change(moved_to, "include", stamp))
                    processed.add(moved_to)
            elif including and not only_delete:
                changes.append(Change(identifier, "include", stamp))
            processed.add(identifier)
        page_url = link(page.get("prev"))
    return changes, newest_text, at_newest


def records(changes: list[Change], limits: Limits) -> Iterator[Harvested]:
    for change in changes:
        if change.kind == "remove":
            yield Harvested(change.identifier, change.when)
            continue
        try:
            document, text = get_json_text(change.identifier, limits, ACCEPT)
        except SourceFailed as error:
            if isinstance(error.__cause__, requests.RequestException):  # no answer: down
                raise
            yield Harvested(change.identifier, problem=str(error))
            continue
        yield read_record(change.identifier, document, text, change.when)


def read_record(identifier: str, document: Any, text: str, when: str) -> Harvested:
    """A fetched record as harvested, or its problem."""
    if not isinstance(document, dict) or document.get("type") != OBJECT_TYPE:
        kind = document.get("type") if isinstance(document, dict) else type(document).__name__
        return Harvested(identifier, problem=f"not a Linked Art HumanMadeObject but {kind!r}")
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not contexts or contexts[-1] != CONTEXT:
        return Harvested(
            identifier,
            problem=f"its @context is {context!r}, not Linked Art's ({CONTEXT}): not read, "
            "since its terms could mean something else",
        )
    url = link(document.get("id")) or identifier
    return Harvested(identifier, when, url, text, described(document))


def many(value: Any) -> list[Any]:
    """A property's values as a list (JSON-LD lets one value stand alone)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def nodes(value: Any) -> list[dict[str, Any]]:
    return [v for v in many(value) if isinstance(v, dict)]


def classified(node: dict[str, Any], concept: str) -> bool:
    return any(link(c) == concept for c in many(node.get("classified_as")))


def text_of(node: dict[str, Any], key: str) -> str:
    value = node.get(key)
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return value.strip() if isinstance(value, str) else ""


def name_of(node: dict[str, Any]) -> str:
    """A referenced entity's name: its label, its first embedded name, or its id."""
    label = text_of(node, "_label")
    if label:
        return label
    for name in nodes(node.get("identified_by")):
        if name.get("type") == "Name" and text_of(name, "content"):
            return text_of(name, "content")
    return link(node) or ""


def add(found: list[str], *values: str) -> None:
    for value in values:
        if value and value not in found:
            found.append(value)


def access_points(nodes_: list[dict[str, Any]], via: str) -> list[str]:
    found: list[str] = []
    for node in nodes_:
        for digital in nodes(node.get(via)):
            add(found, *(link(a) or "" for a in many(digital.get("access_point"))))
    return found


def described(record: dict[str, Any]) -> Described:
    """What a Linked Art HumanMadeObject says, as records.Described holds it."""
    said = Described()
    names = [n for n in nodes(record.get("identified_by")) if n.get("type") == "Name"]
    names.sort(key=lambda n: not classified(n, PRIMARY_NAME["id"]))  # stable: primary first
    add(said.titles, *(text_of(n, "content") for n in names))
    if not said.titles:
        add(said.titles, text_of(record, "_label"))
    add(
        said.identifiers,
        *(
            text_of(i, "content")
            for i in nodes(record.get("identified_by"))
            if i.get("type") == "Identifier"
        ),
    )
    add(said.types, *(name_of(t) for t in nodes(record.get("classified_as"))))
    for production in nodes(record.get("produced_by")):
        for part in [production, *nodes(production.get("part"))]:
            add(said.creators, *(name_of(a) for a in nodes(part.get("carried_out_by"))))
            add(said.places, *(name_of(p) for p in nodes(part.get("took_place_at"))))
            for span in nodes(part.get("timespan")):
                add(said.dates, date_of(span))
    for statement in nodes(record.get("referred_to_by")):
        content = text_of(statement, "content")
        if classified(statement, MATERIAL_STATEMENT):
            add(said.media, content)
        elif classified(statement, RIGHTS_STATEMENT):
            add(said.rights, content)
        else:
            add(said.descriptions, content)
    add(said.media, *(name_of(m) for m in nodes(record.get("made_of"))))
    for visual in nodes(record.get("shows")):
        for key in ("about", "represents"):
            add(said.subjects, *(name_of(s) for s in nodes(visual.get(key))))
    add(said.shown_by, *access_points(nodes(record.get("representation")), "digitally_shown_by"))
    add(said.shown_at, *access_points(nodes(record.get("subject_of")), "digitally_carried_by"))
    add(said.providers, *(name_of(o) for o in nodes(record.get("current_owner"))))
    return said


def date_of(span: dict[str, Any]) -> str:
    """A time-span as its source wrote it: its name, its label, or its begin and end."""
    for name in nodes(span.get("identified_by")):
        if text_of(name, "content"):
            return text_of(name, "content")
    if text_of(span, "_label"):
        return text_of(span, "_label")
    begin, end = text_of(span, "begin_of_the_begin"), text_of(span, "end_of_the_end")
    return f"{begin}/{end}" if begin and end and begin != end else begin or end
