"""The Web Annotation Protocol's operations, with no web framework: validate, authorise, store,
and render JSON-LD (annotations, AnnotationCollection, AnnotationPage).

IRIs are built from the service's public base URL (the hub's public URL plus the service
prefix), so they are the same however a client reached the service.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from . import permissions
from .errors import (
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    TooLarge,
    TooManyRequests,
    ValidationError,
)
from .jsontext import Raw
from .model import ANNO_CONTEXT, Parsed, check_iri, parse_annotation, parse_collection
from .permissions import Viewer
from .store import NewAnnotation, Query, Record, Store, now

LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
CONTAINER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
UID = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_CONTAINER = "default"
#: A label is one line of text shown to others: no control characters (tab and newline
#: included) and no bidirectional overrides, which could make it read as something else.
LABEL_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: How every stored document starts (the store writes compact JSON, @context first).
_CONTEXT_FIRST = f'{{"@context":"{ANNO_CONTEXT}",'
#: ActivityStreams' attributedTo, through the ``as:`` prefix of the W3C annotation context.
ATTRIBUTED_TO = "as:attributedTo"
UUID_ID = re.compile(
    r"^#?(?:urn:uuid:)?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)
#: Most annotations one export returns; ask for a narrower search beyond that.
EXPORT_LIMIT = 100_000


def check_container_name(name: Any) -> str:
    if not isinstance(name, str) or not CONTAINER_NAME.match(name):
        raise ValidationError(
            "a container name is 1 to 64 lowercase letters, digits, '-' or '_'", "name"
        )
    return name


class Annotations:
    """Annotation containers as the W3C protocol sees them, for authenticated viewers."""

    def __init__(self, store: Store, base_url: str, page_size: int = 100) -> None:
        self.store = store
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.page_size = page_size

    # IRIs -----------------------------------------------------------------------------

    def container_iri(self, container: str) -> str:
        return f"{self.base_url}containers/{container}/"

    def iri(self, record: Record) -> str:
        return f"{self.container_iri(record.container)}{record.uid}"

    @staticmethod
    def etag(record: Record) -> str:
        return f'"{record.uid}.{record.revision}"'

    def render(self, record: Record) -> dict:
        return {"@context": ANNO_CONTEXT, "id": self.iri(record), **record.doc}

    def render_raw(self, record: Record) -> Raw:
        """`render` as JSON text, made from the stored text without parsing it."""
        if record.source.startswith(_CONTEXT_FIRST):
            iri = json.dumps(self.iri(record), ensure_ascii=False)
            return Raw(f'{_CONTEXT_FIRST}"id":{iri},{record.source[len(_CONTEXT_FIRST) :]}')
        return Raw(json.dumps(self.render(record), ensure_ascii=False))

    # containers -----------------------------------------------------------------------

    def create_container(self, viewer: Viewer, body: Any) -> dict:
        if not isinstance(body, dict):
            raise ValidationError("a container is a JSON object with a name", "$")
        name = check_container_name(body.get("name"))
        label = body.get("label", "")
        if not isinstance(label, str) or len(label) > 500:
            raise ValidationError("label must be a string of at most 500 characters", "label")
        if LABEL_FORBIDDEN.search(label):
            raise ValidationError(
                "label must not contain control characters or direction overrides", "label"
            )
        return self.render_container_info(self.store.create_container(name, viewer.name, label))

    def render_container_info(self, row: dict) -> dict:
        return {
            "id": self.container_iri(row["name"]),
            "name": row["name"],
            "label": row["label"],
            "owner": row["owner"],
            "created": row["created"],
        }

    def container(self, name: str) -> dict:
        if not isinstance(name, str) or not CONTAINER_NAME.match(name):
            raise NotFound(f"no container {name!r}", "container")
        return self.store.get_container(name)

    def check_post(self, viewer: Viewer, name: str) -> None:
        """Who may add annotations to a container: everyone to the default one; to any
        other, its owner and administrators (a container is its owner's collection, so
        nobody else fills it). Reading follows each annotation's visibility."""
        row = self.container(name)
        if name != DEFAULT_CONTAINER and not viewer.admin and row["owner"] != viewer.name:
            raise Forbidden(
                f"only {row['owner']!r} (and administrators) add to container {name!r}",
                "container",
            )

    # one annotation -------------------------------------------------------------------

    def _new(
        self,
        viewer: Viewer,
        parsed: Parsed,
        uid: str,
        created: str | None,
        stored: tuple[dict, str] | None = None,
    ) -> NewAnnotation:
        """The annotation to store; ``stored`` is (creator, owner) when already decided."""
        creator, owner = stored or (permissions.creator_for(viewer, parsed.creator), viewer.name)
        permissions.check_share(viewer, parsed.visibility, parsed.group)
        stamp = now()
        doc = {
            "@context": ANNO_CONTEXT,  # first, as `render_raw` expects
            **parsed.doc,
            "creator": creator,
            "created": created or stamp,
            "modified": stamp,
            "generated": stamp,
            "visibility": f"group:{parsed.group}"
            if parsed.visibility == "group"
            else parsed.visibility,
        }
        if parsed.confidence is not None:
            doc["confidence"] = parsed.confidence
        software = isinstance(creator, dict) and "Software" in _as_list(creator.get("type"))
        return NewAnnotation(
            uid=uid,
            owner=owner,
            agent=str(creator.get("name"))[:200] if software else None,
            visibility=parsed.visibility,
            group=parsed.group,
            doc=doc,
            targets=parsed.targets,
            motivations=parsed.motivations,
            tags=parsed.tags,
            text=parsed.text,
        )

    def create(self, viewer: Viewer, container: str, body: Any) -> Record:
        self.check_post(viewer, container)
        item = self._new(viewer, parse_annotation(body), uuid.uuid4().hex, None)
        return self.store.insert(container, [item], viewer.name)[0]

    def create_many(
        self,
        viewer: Viewer,
        container: str,
        docs: list[Any],
        imported: bool,
        keep_creators: bool = False,
    ) -> list[Record]:
        """Create every annotation of ``docs`` in one transaction, or none if one is invalid.

        Imported annotations keep their ``created`` time; the creator follows
        `permissions.imported_creator`, and the IRI each had where it came from is added
        to ``via``.
        """
        return self.store.insert(
            container, self._items(viewer, container, docs, imported, keep_creators), viewer.name
        )

    def _items(
        self, viewer: Viewer, container: str, docs: list[Any], imported: bool, keep_creators: bool
    ) -> list[NewAnnotation]:
        self.check_post(viewer, container)
        items = []
        for i, doc in enumerate(docs):
            try:
                parsed = parse_annotation(doc, imported=imported)
            except ValidationError as error:
                raise ValidationError(error.message, f"items[{i}].{error.field}") from None
            stored = None
            if imported:
                creator, owner, original = permissions.imported_creator(
                    viewer, parsed.creator, keep_creators
                )
                stored = (creator, owner)
                _add_provenance(parsed.doc, doc.get("id"), original)
            created = parsed.created if imported else None
            items.append(self._new(viewer, parsed, uuid.uuid4().hex, created, stored))
        return items

    def read(self, viewer: Viewer, container: str, uid: str) -> Record:
        self.container(container)
        if not UID.match(uid):
            raise NotFound(f"no annotation {uid!r} in container {container!r}", "id")
        record = self.store.get(container, uid)
        if not permissions.can_read(viewer, record.owner, record.visibility, record.group):
            # Not 403: whether a private annotation exists is itself private.
            raise NotFound(f"no annotation {uid!r} in container {container!r}", "id")
        return record

    def changes(self, viewer: Viewer, since: int, limit: int) -> dict:
        """The change feed after change ``since``: each annotation changed since, once, in
        its current state when ``viewer`` may read it, else only its IRI and ``gone``
        (deleted, or not readable by the viewer any more, or never); ``last`` is where the
        next request starts. A follower that applies each entry as "this is now the
        annotation" (or "it is gone") holds what the viewer may read, whatever it missed."""
        last, records = self.store.changes_since(since, limit)
        found = []
        for record in records:
            entry: dict[str, Any] = {"id": self.iri(record)}
            readable = permissions.can_read(viewer, record.owner, record.visibility, record.group)
            if readable and not record.deleted:
                entry["annotation"] = self.render_raw(record)
            else:
                entry["gone"] = True
            found.append(entry)
        return {"since": since, "last": last, "changes": found}

    def _expected_revision(self, record: Record, if_match: str | None) -> int:
        if if_match is None:
            raise PreconditionRequired("send If-Match with the ETag you read", "If-Match")
        # Strong comparison (RFC 9110 13.1.1): a weak ETag (W/"...") never matches.
        tags = [t.strip() for t in if_match.split(",")]
        if "*" in tags or self.etag(record) in tags:
            return record.revision
        raise PreconditionFailed(
            "the annotation changed since you read it; read it again", "If-Match"
        )

    def replace(
        self, viewer: Viewer, container: str, uid: str, body: Any, if_match: str | None
    ) -> Record:
        record = self.read(viewer, container, uid)
        permissions.check_edit(viewer, record.owner)
        parsed = parse_annotation(body, own_iri=self.iri(record))
        if isinstance(body, dict) and body.get("id") not in (None, self.iri(record)):
            raise ValidationError("id does not match the annotation's IRI", "id")
        expected = self._expected_revision(record, if_match)
        # The owner stays the owner even when an administrator edits.
        owner = Viewer(record.owner, admin=viewer.admin, groups=viewer.groups)
        item = self._new(owner, parsed, uid, record.doc.get("created"))
        item.doc["generated"] = record.doc.get("generated", item.doc["generated"])
        return self.store.replace(record, item, expected, viewer.name)

    def delete(self, viewer: Viewer, container: str, uid: str, if_match: str | None) -> None:
        record = self.read(viewer, container, uid)
        permissions.check_edit(viewer, record.owner)
        expected = (
            record.revision if if_match is None else self._expected_revision(record, if_match)
        )
        self.store.delete(record, expected, viewer.name)

    def revisions(self, viewer: Viewer, container: str, uid: str) -> dict:
        """The revisions ``viewer`` could read when each was current (all, for the owner
        and administrators): making an annotation public does not publish its past."""
        record = self.read(viewer, container, uid)
        iri = self.iri(record)
        return {
            "id": f"{iri}/revisions",
            "annotation": iri,
            "items": [
                {**r, "doc": {"@context": ANNO_CONTEXT, "id": iri, **r["doc"]}}
                for r in self.store.revisions(record.pk)
                if permissions.can_read_revision(viewer, record.owner, r["doc"])
            ],
        }

    # collections ----------------------------------------------------------------------

    def collection(
        self, viewer: Viewer, query: Query, collection_iri: str, prefer: str = "descriptions"
    ) -> dict:
        """The AnnotationCollection of ``query``: total, first and last page (annotations as
        `jsontext.Raw`: write it with `jsontext.dumps`).

        ``prefer`` is "descriptions" (first page embedded), "iris" (first page embedded,
        items as IRIs) or "minimal" (pages as links only), from the Prefer header.
        """
        query.offset, query.limit = 0, self.page_size
        total, records = self.store.search(viewer, query)
        last = max(0, (total - 1) // self.page_size)
        iris = prefer == "iris"
        reply = {
            "@context": [ANNO_CONTEXT, LDP_CONTEXT],
            "id": collection_iri,
            "type": ["BasicContainer", "AnnotationCollection"],
            "total": total,
            "last": self._page_iri(collection_iri, last, iris),
        }
        if prefer == "minimal":
            reply["first"] = self._page_iri(collection_iri, 0, iris)
        else:
            reply["first"] = self._page(collection_iri, 0, total, records, iris, embedded=True)
        return reply

    def page(
        self, viewer: Viewer, query: Query, collection_iri: str, number: int, iris: bool
    ) -> dict:
        """One AnnotationPage of ``query`` (annotations as `jsontext.Raw`)."""
        query.offset, query.limit = number * self.page_size, self.page_size
        total, records = self.store.search(viewer, query)
        return self._page(collection_iri, number, total, records, iris, embedded=False)

    def _page(
        self,
        collection_iri: str,
        number: int,
        total: int,
        records: list[Record],
        iris: bool,
        embedded: bool,
    ) -> dict:
        page = {
            "id": self._page_iri(collection_iri, number, iris),
            "type": "AnnotationPage",
            "partOf": {"id": collection_iri, "total": total},
            "startIndex": number * self.page_size,
            "items": [self.iri(r) if iris else self.render_raw(r) for r in records],
        }
        if not embedded:
            page = {"@context": ANNO_CONTEXT, **page}
        if number > 0:
            page["prev"] = self._page_iri(collection_iri, number - 1, iris)
        if (number + 1) * self.page_size < total:
            page["next"] = self._page_iri(collection_iri, number + 1, iris)
        return page

    @staticmethod
    def _page_iri(collection_iri: str, number: int, iris: bool) -> str:
        params = {"page": number, **({"iris": 1} if iris else {})}
        separator = "&" if "?" in collection_iri else "?"
        return f"{collection_iri}{separator}{urlencode(params)}"

    def export(self, viewer: Viewer, query: Query, collection_iri: str) -> dict:
        """Everything ``query`` finds as one AnnotationCollection with one embedded page."""
        query.offset, query.limit = 0, EXPORT_LIMIT
        total, records = self.store.search(viewer, query)
        if total > EXPORT_LIMIT:
            raise ValidationError(
                f"{total} annotations match; export at most {EXPORT_LIMIT} at a time", "query"
            )
        return {
            "@context": ANNO_CONTEXT,
            "id": collection_iri,
            "type": "AnnotationCollection",
            "total": total,
            "generated": now(),
            # The page is part of this document, so its IRI is one in it.
            "first": {
                "id": f"{collection_iri}#page-0",
                "type": "AnnotationPage",
                "partOf": {"id": collection_iri, "total": total},
                "startIndex": 0,
                "items": [self.render(r) for r in records],
            },
        }

    def import_collection(
        self, viewer: Viewer, container: str, body: Any, keep_creators: bool = False
    ) -> list[Record]:
        """Import an AnnotationCollection or AnnotationPage, all or nothing.

        ``keep_creators`` (administrators, for migrations between stores) stores each
        creator as the document gives it instead of the importer.
        """
        items = self.prepare_import(viewer, container, body, keep_creators)
        return self.store.insert(container, items, viewer.name)

    def prepare_import(
        self,
        viewer: Viewer,
        container: str,
        body: Any,
        keep_creators: bool = False,
        max_items: int | None = None,
    ) -> list[NewAnnotation]:
        """Validate an import and make what to store, without writing (the slow part, which
        the service runs beside its event loop); `Store.insert` then writes it at once."""
        if keep_creators and not viewer.admin:
            raise Forbidden(
                "only administrators may import keeping the original creators", "creators"
            )
        docs = parse_collection(body)
        if max_items is not None and len(docs) > max_items:
            raise TooLarge(
                f"{len(docs)} annotations; import at most {max_items} at a time", "items"
            )
        return self._items(viewer, container, docs, imported=True, keep_creators=keep_creators)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _add_provenance(doc: dict, original_id: Any, original_creator: Any) -> None:
    """Record where an imported annotation came from, in W3C / ActivityStreams terms.

    ``via`` gains the IRI it had there (a bare UUID, as Mirador and Annotorious write
    ids, becomes ``urn:uuid:``; an id that is neither is not an IRI and is left out);
    ``as:attributedTo`` keeps the first foreign creator it was attributed to.
    """
    via = _original_iri(original_id)
    if via is not None:
        earlier = [v for v in _as_list(doc.get("via")) if v != via]
        doc["via"] = [*earlier, via] if earlier else via
    if original_creator is not None and ATTRIBUTED_TO not in doc:
        doc[ATTRIBUTED_TO] = original_creator


def _original_iri(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    bare = UUID_ID.match(value)
    if bare:
        return f"urn:uuid:{bare.group(1).lower()}"
    try:
        return check_iri(value, "id")
    except ValidationError:
        return None


class ImportQuota:
    """Per user: one import at a time, and at most ``per_hour`` started in any hour."""

    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self._started: dict[str, deque[float]] = {}
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def usage(self, user: str) -> dict:
        """What ``user`` has used of the quota (the service's description shows it)."""
        with self._lock:
            started = self._recent(user, time.monotonic())
            return {
                "running": user in self._running,
                "this_hour": len(started),
                "per_hour": self.per_hour,
            }

    def _recent(self, user: str, now_: float) -> deque[float]:
        started = self._started.setdefault(user, deque())
        while started and started[0] <= now_ - 3600:
            started.popleft()
        return started

    @contextmanager
    def admit(self, user: str) -> Iterator[None]:
        """Run one import of ``user``'s, or raise TooManyRequests (429) saying when to retry."""
        now_ = time.monotonic()
        with self._lock:
            started = self._recent(user, now_)
            if user in self._running:
                raise TooManyRequests("you have an import running; wait for it", "import", 1)
            if len(started) >= self.per_hour:
                wait = int(started[0] + 3600 - now_) + 1
                raise TooManyRequests(
                    f"at most {self.per_hour} imports an hour; retry in {wait} s", "import", wait
                )
            started.append(now_)
            self._running.add(user)
        try:
            yield
        finally:
            with self._lock:
                self._running.discard(user)
