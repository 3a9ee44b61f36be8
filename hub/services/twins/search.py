"""Search the twins by words: an in-memory index of one snapshot's records.

``search?q=<words>`` finds the objects whose names, identifiers or statements (a Tate
artwork's medium, a skull's epoch, a rock art site's setting: the Linked Art record's own
``identified_by`` and ``referred_to_by``, and its label) contain every word, case-insensitively.
The index is made from the records a load read (`store.Snapshot.records`), on the first
search of that load, and kept while the snapshot of that build fingerprint is current: a
reload of a new build swaps the snapshot (store.py), and the next search makes the index of
the new one. No web framework here: the handler (handlers.py) is a thin layer over `Search`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import BadQuery
from .store import OBJECT, Snapshot

#: Results a search answers unless ``limit`` says fewer; the most it answers.
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
#: The longest ``q`` taken (characters): a search is for words, not documents.
MAX_QUERY = 200


@dataclass(frozen=True)
class Entry:
    """One object as the index holds it: what a result says, and its text, casefolded."""

    collection: str
    local_id: str
    label: str
    type: str
    names: str  # the label and names
    text: str  # names, identifiers and statements

    @property
    def iri(self) -> str:
        return f"{OBJECT}{self.collection}/{self.local_id}"


def contents(nodes: Any) -> Iterator[str]:
    """The ``content`` of each Linked Art node in ``nodes`` (names, identifiers, texts)."""
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and isinstance(node.get("content"), str):
            yield node["content"]


def entry(collection: str, local_id: str, record: dict[str, Any]) -> Entry:
    label = str(record.get("_label", ""))
    given = record.get("identified_by", [])
    names = [n for n in given if isinstance(n, dict) and n.get("type") == "Name"]
    identifiers = [n for n in given if isinstance(n, dict) and n.get("type") != "Name"]
    named = " ".join([label, *contents(names)]).casefold()
    said = " ".join([*contents(identifiers), *contents(record.get("referred_to_by", []))])
    kind = str(record.get("type", ""))
    return Entry(collection, local_id, label, kind, named, f"{named} {said.casefold()}")


@dataclass(frozen=True)
class Index:
    """The searchable entries of one snapshot, in the build's order."""

    fingerprint: str | None
    entries: tuple[Entry, ...]

    @classmethod
    def of(cls, snapshot: Snapshot) -> Index:
        found = tuple(
            entry(collection, local_id, record)
            for collection, records in snapshot.records.items()
            for local_id, record in records.items()
        )
        return cls(snapshot.fingerprint, found)

    def find(self, words: list[str], collection: str | None = None) -> list[Entry]:
        """Entries whose text holds every word: those whose names hold them all first,
        then the others, each in the build's order."""
        matched = [
            e
            for e in self.entries
            if (collection is None or e.collection == collection)
            and all(w in e.text for w in words)
        ]
        return sorted(matched, key=lambda e: not all(w in e.names for w in words))


@dataclass(frozen=True)
class Query:
    """A search as asked, checked (`BadQuery`, naming the parameter, otherwise)."""

    text: str
    collection: str | None
    limit: int

    @classmethod
    def parse(
        cls,
        q: str | None,
        collection: str | None,
        limit: str | None,
        collections: Mapping[str, Any],
    ) -> Query:
        """The search ``q`` (words), in ``collection`` (one of ``collections``) if given,
        at most ``limit`` results (a query argument: text)."""
        text = (q or "").strip()
        if not text:
            raise BadQuery("give the words to search for (q=...)", "q")
        if len(text) > MAX_QUERY:
            raise BadQuery(f"q is at most {MAX_QUERY} characters", "q")
        if collection is not None and collection not in collections:
            known = ", ".join(sorted(collections)) or "none loaded"
            raise BadQuery(f"no collection {collection!r} (the collections: {known})", "collection")
        try:
            number = DEFAULT_LIMIT if limit is None else int(limit)
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_LIMIT:
            raise BadQuery(f"limit is a whole number from 1 to {MAX_LIMIT}", "limit")
        return cls(text, collection, number)

    @property
    def words(self) -> list[str]:
        return self.text.casefold().split()


class Search:
    """The index of the snapshot that is current, made on its first search."""

    def __init__(self) -> None:
        self._index: Index | None = None

    def index(self, snapshot: Snapshot) -> Index:
        index = self._index
        if index is None or index.fingerprint != snapshot.fingerprint:
            # A reload swapped the snapshot (a new build): index the records it read.
            index = self._index = Index.of(snapshot)
        return index

    def answer(
        self, snapshot: Snapshot, query: Query, page_url: Callable[[str, str], str]
    ) -> dict[str, Any]:
        """The JSON answer; ``page_url(collection, local_id)`` is an object's page."""
        found = self.index(snapshot).find(query.words, query.collection)
        return {
            "query": query.text,
            "collection": query.collection,
            "total": len(found),
            "results": [
                {
                    "id": e.iri,
                    "collection": e.collection,
                    "local_id": e.local_id,
                    "label": e.label,
                    "type": e.type,
                    "page": page_url(e.collection, e.local_id),
                }
                for e in found[: query.limit]
            ],
        }
