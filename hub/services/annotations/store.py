"""Storage of containers, annotations and their revisions (SQLAlchemy Core).

SQLite by default: one file, WAL journal, ``synchronous=FULL`` so that every
acknowledged write survives a crash, FTS5 for word search. PostgreSQL when the URL
says so: a GIN index over ``to_tsvector('simple', text)`` does the word search.

Searchable keys (targets, tags, motivations) live in one narrow ``facets`` table
indexed by (kind, value), so "all annotations on this canvas" is an index lookup.
Every change appends the new document to ``revisions``; nothing is overwritten
without its previous state being kept, and appends the annotation to ``changes``, whose
growing ``seq`` orders every change the store took: the change feed other services follow
(`changes_since`). One service process owns a database: it
hands out primary keys itself, which lets a batch insert use plain executemany.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from ..base.database import database_engine
from .errors import Conflict, NotFound, PreconditionFailed, ValidationError
from .permissions import Viewer, creator_keys

metadata = MetaData()

containers = Table(
    "containers",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("label", Text, nullable=False, default=""),
    Column("owner", String(64), nullable=False),
    Column("created", String(40), nullable=False),
)

annotations = Table(
    "annotations",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=False),
    Column("uid", String(32), nullable=False, unique=True),
    Column("container", String(64), ForeignKey("containers.name"), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("agent", String(200)),
    Column("visibility", String(8), nullable=False),
    Column("grp", String(64)),
    Column("modified", String(40), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("doc", Text, nullable=False),
    Column("text", Text, nullable=False, default=""),
    Index("ix_annotations_container", "container", "pk"),
    Index("ix_annotations_owner", "owner", "pk"),
    Index("ix_annotations_agent", "agent", "pk"),
)

#: kind: "t" target source IRI, "g" tag, "m" motivation.
facets = Table(
    "facets",
    metadata,
    Column("kind", String(1), nullable=False),
    Column("value", String(2048), nullable=False),
    Column("pk", Integer, ForeignKey("annotations.pk"), nullable=False),
    PrimaryKeyConstraint("kind", "value", "pk"),
    Index("ix_facets_pk", "pk"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("pk", Integer, ForeignKey("annotations.pk"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("action", String(8), nullable=False),
    Column("by_user", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("doc", Text, nullable=False),
    PrimaryKeyConstraint("pk", "revision"),
)

#: One row per change of an annotation (create, update, delete, rewrite), in the order
#: taken: what the change feed (`Store.changes_since`) reads.
changes = Table(
    "changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("pk", Integer, ForeignKey("annotations.pk"), nullable=False),
)

_WORD = re.compile(r"\w+", re.UNICODE)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Record:
    """One stored annotation; ``source`` is its JSON-LD document (without its id) as stored.

    ``doc`` parses it on first use: pages of search results are written from ``source``
    as it is, without parsing and serialising every document again.
    """

    pk: int
    uid: str
    container: str
    owner: str
    visibility: str
    group: str | None
    revision: int
    modified: str
    source: str
    deleted: bool = False

    @cached_property
    def doc(self) -> dict:
        return json.loads(self.source)


@dataclass
class NewAnnotation:
    """What the store needs to keep an annotation: the full document and its index keys."""

    uid: str
    owner: str
    agent: str | None
    visibility: str
    group: str | None
    doc: dict
    targets: list[str]
    motivations: list[str]
    tags: list[str]
    text: str


@dataclass
class Query:
    """A search; every given criterion must hold. ``q`` is words that must all occur."""

    container: str | None = None
    target: str | None = None
    creator: str | None = None
    motivation: str | None = None
    tag: str | None = None
    visibility: str | None = None
    q: str | None = None
    offset: int = 0
    limit: int = 100


class Store:
    """The annotation database; methods are synchronous and each is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = database_engine(url)
        self.sqlite = self.engine.dialect.name == "sqlite"
        self._lock = threading.Lock()
        self._next_pk = 0

    def create_schema(self) -> None:
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            if self.sqlite:
                conn.execute(
                    text("CREATE VIRTUAL TABLE IF NOT EXISTS annotation_words USING fts5(text)")
                )
            else:
                conn.execute(
                    text(
                        "CREATE INDEX IF NOT EXISTS ix_annotations_words ON annotations "
                        "USING gin (to_tsvector('simple', text))"
                    )
                )
            self._next_pk = (conn.scalar(select(func.max(annotations.c.pk))) or 0) + 1
            # A database from before the change feed: its annotations as one change each.
            if self._next_pk > 1 and conn.scalar(select(func.count()).select_from(changes)) == 0:
                conn.execute(
                    insert(changes).from_select(
                        ["pk"], select(annotations.c.pk).order_by(annotations.c.pk)
                    )
                )

    def close(self) -> None:
        self.engine.dispose()

    # containers -----------------------------------------------------------------------

    def create_container(self, name: str, owner: str, label: str = "") -> dict:
        with self.engine.begin() as conn:
            if conn.scalar(select(containers.c.name).where(containers.c.name == name)):
                raise Conflict(f"container {name!r} exists", "name")
            row = {"name": name, "label": label, "owner": owner, "created": now()}
            conn.execute(insert(containers).values(**row))
            return row

    def ensure_container(self, name: str, owner: str, label: str = "") -> dict:
        try:
            return self.get_container(name)
        except NotFound:
            return self.create_container(name, owner, label)

    def get_container(self, name: str) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(select(containers).where(containers.c.name == name)).first()
        if row is None:
            raise NotFound(f"no container {name!r}", "container")
        return dict(row._mapping)

    def list_containers(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(containers).order_by(containers.c.name)).all()
        return [dict(r._mapping) for r in rows]

    # annotations ----------------------------------------------------------------------

    def insert(self, container: str, items: list[NewAnnotation], by: str) -> list[Record]:
        """Store ``items`` in one transaction: all of them or, on error, none."""
        if not items:
            return []
        with self._lock:
            first = self._next_pk
            self._next_pk += len(items)
        rows, facet_rows, revision_rows, word_rows, records = [], [], [], [], []
        stamp = now()
        for pk, item in enumerate(items, start=first):
            doc = json.dumps(item.doc, ensure_ascii=False, separators=(",", ":"))
            modified = item.doc.get("modified") or item.doc.get("created") or stamp
            rows.append(
                (
                    pk,
                    item.uid,
                    container,
                    item.owner,
                    item.agent,
                    item.visibility,
                    item.group,
                    modified,
                    1,
                    False,
                    doc,
                    item.text,
                )
            )
            facet_rows += [(r["kind"], r["value"], pk) for r in _facet_rows(pk, item)]
            revision_rows.append((pk, 1, "create", by, stamp, doc))
            if item.text:
                word_rows.append((pk, item.text))
            records.append(
                Record(
                    pk,
                    item.uid,
                    container,
                    item.owner,
                    item.visibility,
                    item.group,
                    1,
                    modified,
                    doc,
                )
            )
        # Plain executemany through the driver: a batch of thousands skips per-row compiling.
        with self.engine.begin() as conn:
            _bulk(conn, annotations, rows)
            _bulk(conn, facets, facet_rows)
            _bulk(conn, revisions, revision_rows)
            _changed(conn, [r[0] for r in rows])
            if self.sqlite and word_rows:
                conn.exec_driver_sql(
                    "INSERT INTO annotation_words(rowid, text) VALUES (?, ?)", word_rows
                )
        return records

    def get(self, container: str, uid: str) -> Record:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(annotations).where(
                    annotations.c.uid == uid,
                    annotations.c.container == container,
                    annotations.c.deleted.is_(False),
                )
            ).first()
        if row is None:
            raise NotFound(f"no annotation {uid!r} in container {container!r}", "id")
        return _record(row)

    def replace(
        self, current: Record, item: NewAnnotation, expected_revision: int, by: str
    ) -> Record:
        """Replace the document of ``current`` if its revision is still ``expected_revision``."""
        revision = expected_revision + 1
        doc = json.dumps(item.doc, ensure_ascii=False, separators=(",", ":"))
        with self.engine.begin() as conn:
            _update_if_unchanged(
                conn,
                current,
                expected_revision,
                agent=item.agent,
                visibility=item.visibility,
                grp=item.group,
                modified=item.doc["modified"],
                revision=revision,
                doc=doc,
                text=item.text,
            )
            conn.execute(delete(facets).where(facets.c.pk == current.pk))
            rows = _facet_rows(current.pk, item)
            if rows:
                conn.execute(insert(facets), rows)
            conn.execute(
                insert(revisions).values(
                    pk=current.pk, revision=revision, action="update", by_user=by, at=now(), doc=doc
                )
            )
            _changed(conn, [current.pk])
            if self.sqlite:
                conn.execute(
                    text("DELETE FROM annotation_words WHERE rowid = :pk"), {"pk": current.pk}
                )
                if item.text:
                    conn.execute(
                        text("INSERT INTO annotation_words(rowid, text) VALUES (:pk, :text)"),
                        {"pk": current.pk, "text": item.text},
                    )
        return Record(
            current.pk,
            current.uid,
            current.container,
            current.owner,
            item.visibility,
            item.group,
            revision,
            item.doc["modified"],
            doc,
        )

    def delete(self, current: Record, expected_revision: int, by: str) -> None:
        """Mark ``current`` deleted; its revisions stay, the last one records the deletion."""
        with self.engine.begin() as conn:
            _update_if_unchanged(
                conn,
                current,
                expected_revision,
                deleted=True,
                revision=expected_revision + 1,
                modified=now(),
            )
            conn.execute(delete(facets).where(facets.c.pk == current.pk))
            conn.execute(
                insert(revisions).values(
                    pk=current.pk,
                    revision=expected_revision + 1,
                    action="delete",
                    by_user=by,
                    at=now(),
                    doc=current.source,
                )
            )
            _changed(conn, [current.pk])
            if self.sqlite:
                conn.execute(
                    text("DELETE FROM annotation_words WHERE rowid = :pk"), {"pk": current.pk}
                )

    def rewrite(
        self,
        targets: list[str],
        change: Callable[[dict], tuple[dict, list[str]] | None],
        action: str,
        by: str,
    ) -> int:
        """Give every live annotation on one of ``targets`` the document that ``change``
        makes of its own (with the IRIs it is found by), as a new revision; ``change``
        returns None to leave one as it is. One transaction: all of them or none. Returns
        how many changed."""
        if not targets:
            return 0
        on_targets = select(facets.c.pk).where(facets.c.kind == "t", facets.c.value.in_(targets))
        changed = 0
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(annotations).where(
                    annotations.c.deleted.is_(False), annotations.c.pk.in_(on_targets)
                )
            ).all()
            for record in map(_record, rows):
                result = change(record.doc)
                if result is None:
                    continue
                doc, found_by = result
                source = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
                revision = record.revision + 1
                conn.execute(
                    update(annotations)
                    .where(annotations.c.pk == record.pk)
                    .values(doc=source, revision=revision, modified=doc["modified"])
                )
                conn.execute(delete(facets).where(facets.c.pk == record.pk, facets.c.kind == "t"))
                conn.execute(
                    insert(facets), [{"kind": "t", "value": t, "pk": record.pk} for t in found_by]
                )
                conn.execute(
                    insert(revisions).values(
                        pk=record.pk,
                        revision=revision,
                        action=action,
                        by_user=by,
                        at=doc["modified"],
                        doc=source,
                    )
                )
                _changed(conn, [record.pk])
                changed += 1
        return changed

    def revisions(self, pk: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(revisions).where(revisions.c.pk == pk).order_by(revisions.c.revision)
            ).all()
        return [
            {
                "revision": r.revision,
                "action": r.action,
                "by": r.by_user,
                "at": r.at,
                "doc": json.loads(r.doc),
            }
            for r in rows
        ]

    # the change feed --------------------------------------------------------------------

    def changes_since(self, since: int, limit: int) -> tuple[int, list[Record]]:
        """The annotations changed after change ``since`` (at most ``limit`` changes read),
        each once in its current state (deleted ones too), in the order of their last
        change; and the number of the last change read (``since`` when none)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(changes.c.seq, changes.c.pk)
                .where(changes.c.seq > since)
                .order_by(changes.c.seq)
                .limit(limit)
            ).all()
            if not rows:
                return since, []
            last = {pk: seq for seq, pk in rows}
            found = conn.execute(select(annotations).where(annotations.c.pk.in_(last))).all()
        records = sorted(map(_record, found), key=lambda r: last[r.pk])
        return rows[-1].seq, records

    def last_change(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.max(changes.c.seq))) or 0

    # search ---------------------------------------------------------------------------

    def search(self, viewer: Viewer, query: Query) -> tuple[int, list[Record]]:
        """Annotations ``viewer`` may read that match ``query``: the total and one page.

        Written as SQL with bound parameters: this is the hot path, and building the
        statement with SQLAlchemy expressions cost ten times the query itself.
        """
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        where, params = self._where(viewer, query, mark)
        columns = ", ".join(c.name for c in annotations.columns)
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT {columns} FROM annotations WHERE {where} "
                f"ORDER BY pk LIMIT {mark} OFFSET {mark}",
                (*params, query.limit, query.offset),
            ).all()
            # A page that is neither full nor empty ends the results: it tells the total,
            # which saves counting (one query less for most searches on one target).
            if 0 < len(rows) < query.limit or (not rows and query.offset == 0):
                total = query.offset + len(rows)
            else:
                total = conn.exec_driver_sql(
                    f"SELECT count(*) FROM annotations WHERE {where}", tuple(params)
                ).scalar()
        return total or 0, [_record(r) for r in rows]

    def _where(self, viewer: Viewer, query: Query, mark: str) -> tuple[str, list]:
        clauses, params = [f"deleted = {mark}"], [False]
        if query.container:
            clauses.append(f"container = {mark}")
            params.append(query.container)
        for kind, value in (("t", query.target), ("m", query.motivation), ("g", query.tag)):
            if value:
                clauses.append(
                    f"pk IN (SELECT pk FROM facets WHERE kind = {mark} AND value = {mark})"
                )
                params += [kind, value]
        if query.creator:
            owner, agent = creator_keys(query.creator)
            if owner is None:  # a bare name: that hub user, or the requester's own agent
                clauses.append(f"(owner = {mark} OR (owner = {mark} AND agent = {mark}))")
                params += [agent, viewer.name, agent]
            elif agent is None:
                clauses.append(f"owner = {mark}")
                params.append(owner)
            else:
                clauses.append(f"owner = {mark} AND agent = {mark}")
                params += [owner, agent]
        if query.visibility:
            if query.visibility.startswith("group:"):
                clauses.append(f"visibility = 'group' AND grp = {mark}")
                params.append(query.visibility[6:])
            else:
                clauses.append(f"visibility = {mark}")
                params.append(query.visibility)
        if query.q is not None:
            words = _WORD.findall(query.q)
            if not words:
                raise ValidationError("give at least one word to search for", "q")
            if self.sqlite:
                words_match = (
                    f"SELECT rowid FROM annotation_words WHERE annotation_words MATCH {mark}"
                )
                clauses.append(f"pk IN ({words_match})")
                params.append(" ".join(f'"{w}"' for w in words))
            else:
                clauses.append(f"to_tsvector('simple', text) @@ plainto_tsquery('simple', {mark})")
                params.append(" ".join(words))
        if not viewer.admin:
            groups = sorted(viewer.groups)
            shared = ""
            if groups:
                shared = (
                    f" OR (visibility = 'group' AND grp IN ({', '.join(mark for _ in groups)}))"
                )
            clauses.append(f"(owner = {mark} OR visibility = 'public'{shared})")
            params += [viewer.name, *groups]
        return " AND ".join(clauses), params


def _bulk(conn, table: Table, rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in column order) into ``table`` with one executemany."""
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(c.name for c in table.columns)
    marks = ", ".join(mark for _ in table.columns)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


def _changed(conn, pks: list[int]) -> None:
    """Log a change of each annotation ``pks``, in the transaction that made it. On
    PostgreSQL the table is locked first, to the transaction's end: sequence numbers
    are handed out at insert, so without it a later number could commit before an
    earlier one and a reader that saw the later would never see the earlier."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE changes IN SHARE ROW EXCLUSIVE MODE"))
    conn.execute(insert(changes), [{"pk": pk} for pk in pks])


def _facet_rows(pk: int, item: NewAnnotation) -> list[dict]:
    rows = [{"kind": "t", "value": t, "pk": pk} for t in item.targets]
    rows += [{"kind": "m", "value": m, "pk": pk} for m in dict.fromkeys(item.motivations)]
    rows += [{"kind": "g", "value": g, "pk": pk} for g in item.tags]
    return rows


def _record(row) -> Record:
    return Record(
        pk=row.pk,
        uid=row.uid,
        container=row.container,
        owner=row.owner,
        visibility=row.visibility,
        group=row.grp,
        revision=row.revision,
        modified=row.modified,
        source=row.doc,
        deleted=row.deleted,
    )


def _update_if_unchanged(conn, current: Record, expected_revision: int, **values) -> None:
    """Update the live row of ``current`` only if it is still at ``expected_revision``."""
    changed = conn.execute(
        update(annotations)
        .where(
            annotations.c.pk == current.pk,
            annotations.c.revision == expected_revision,
            annotations.c.deleted.is_(False),
        )
        .values(**values)
    ).rowcount
    if changed != 1:
        raise PreconditionFailed(
            "the annotation changed since you read it; read it again", "If-Match"
        )
