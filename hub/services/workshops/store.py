"""Events and their seats in SQL (SQLite WAL by default, base/database.py: every
acknowledged write survives a crash).

A seat is taken by one INSERT ... SELECT that counts the seats taken in the same
statement, so joins arriving at once, in the hub or anywhere else, never pass the limit.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    func,
    insert,
    literal,
    select,
    update,
)

from ..base.database import database_engine
from .errors import EventFull, JoinRefused, NotFound, WrongCode
from .model import EventFields, new_code, normal_code

metadata = MetaData()
events = Table(
    "events",
    metadata,
    Column("id", Text, primary_key=True),
    Column("title", Text, nullable=False),
    Column("trainer", Text, nullable=False),
    Column("start", Float, nullable=False),  # POSIX seconds, UTC
    Column("end", Float, nullable=False),
    Column("seats", Integer, nullable=False),
    Column("cpu", Float, nullable=False),
    Column("memory", Text, nullable=False),
    Column("materials", Text, nullable=False),
    Column("keep_work", Boolean, nullable=False),
    Column("code", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("revoked", Float),  # when, or NULL
    # Bumped at each push of the materials: attendees' servers pull when it changes.
    Column("materials_version", Integer, nullable=False, default=1),
)
seats = Table(
    "seats",
    metadata,
    Column("account", Text, primary_key=True),
    Column("event", Text, ForeignKey("events.id"), nullable=False, index=True),
    Column("display_name", Text, nullable=False),
    Column("joined", Float, nullable=False),
)
# The warm pool (pool.py): hub accounts made ahead for an event's free seats, each with a
# server started; a join claims a ready one (deletes its row) and seats it.
pool = Table(
    "pool",
    metadata,
    Column("account", Text, primary_key=True),
    Column("event", Text, ForeignKey("events.id"), nullable=False, index=True),
    Column("created", Float, nullable=False),
    Column("ready", Float),  # when its server answered, or NULL while it starts
)


@dataclass(frozen=True)
class Event:
    id: str
    title: str
    trainer: str
    start: float
    end: float
    seats: int
    cpu: float
    memory: str
    materials: str
    keep_work: bool
    code: str
    created: float
    revoked: float | None
    materials_version: int = 1
    taken: int = 0

    @property
    def group(self) -> str:
        """The hub group of the event's attendees."""
        return f"workshop-{self.id}"

    def state(self, now: float) -> str:
        if self.revoked:
            return "revoked"
        if now < self.start:
            return "upcoming"
        return "open" if now < self.end else "ended"

    def to_dict(self, now: float, with_code: bool) -> dict:
        model = asdict(self)
        for name in ("start", "end", "created", "revoked"):
            if model[name] is not None:
                model[name] = iso(model[name])
        model["group"] = self.group
        model["state"] = self.state(now)
        if not with_code:
            model.pop("code")
        return model


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Seat:
    account: str
    event: str
    display_name: str
    joined: float


def new_event_id() -> str:
    return secrets.token_hex(4)


TAKEN = select(seats.c.event, func.count().label("taken")).group_by(seats.c.event).subquery()


class Store:
    def __init__(self, url: str) -> None:
        self.engine = database_engine(url)

    def create_schema(self) -> None:
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def create(
        self, trainer: str, fields: EventFields, code_length: int, event_id: str = ""
    ) -> Event:
        row = {
            "id": event_id or new_event_id(),
            "title": fields.title,
            "trainer": trainer,
            "start": fields.start.timestamp(),
            "end": fields.end.timestamp(),
            "seats": fields.seats,
            "cpu": fields.cpu,
            "memory": fields.memory,
            "materials": fields.materials,
            "keep_work": fields.keep_work,
            "code": new_code(code_length),
            "created": time.time(),
            "revoked": None,
            "materials_version": 1,
        }
        with self.engine.begin() as conn:
            conn.execute(insert(events).values(**row))
        return self.get(row["id"])

    def _select(self):
        taken = func.coalesce(TAKEN.c.taken, 0).label("taken")
        return select(events, taken).outerjoin(TAKEN, TAKEN.c.event == events.c.id)

    def get(self, event_id: str) -> Event:
        with self.engine.connect() as conn:
            row = conn.execute(self._select().where(events.c.id == event_id)).mappings().first()
        if row is None:
            raise NotFound(f"no event {event_id!r}", "id")
        return Event(**row)

    def list(self, trainer: str | None = None) -> list[Event]:
        """Every event, or those of `trainer`, newest first."""
        query = self._select().order_by(events.c.start.desc())
        if trainer is not None:
            query = query.where(events.c.trainer == trainer)
        with self.engine.connect() as conn:
            return [Event(**row) for row in conn.execute(query).mappings()]

    def revoke(self, event_id: str) -> Event:
        """End the event's code and its attendees' access (idempotent)."""
        self.get(event_id)
        with self.engine.begin() as conn:
            conn.execute(
                update(events)
                .where(events.c.id == event_id, events.c.revoked.is_(None))
                .values(revoked=time.time())
            )
        return self.get(event_id)

    def push_materials(self, event_id: str) -> Event:
        """A new version of the event's materials: attendees' servers pull it."""
        with self.engine.begin() as conn:
            conn.execute(
                update(events)
                .where(events.c.id == event_id)
                .values(materials_version=events.c.materials_version + 1)
            )
        return self.get(event_id)

    def take_seat(
        self, event_id: str, code: str, display_name: str, account: str, now: float
    ) -> Event:
        """Seat `account` at the event if `code` is its code, the event is open and a
        seat is free; otherwise `JoinRefused` says why."""
        try:
            event = self.get(event_id)
        except NotFound:
            raise JoinRefused("this join link names no event", "event") from None
        if not secrets.compare_digest(normal_code(code).encode(), event.code.encode()):
            raise WrongCode("that is not the code of this event", "code")
        state = event.state(now)
        if state == "revoked":
            raise JoinRefused("the trainer has closed this event's code", "code")
        if state == "upcoming":
            raise JoinRefused(f"this event opens at {iso(event.start)}", "code")
        if state == "ended":
            raise JoinRefused(f"this event ended at {iso(event.end)}", "code")
        count = select(func.count()).where(seats.c.event == event_id).scalar_subquery()
        row = select(
            literal(account), literal(event_id), literal(display_name), literal(now)
        ).where(and_(count < event.seats))
        with self.engine.begin() as conn:
            added = conn.execute(
                insert(seats).from_select(["account", "event", "display_name", "joined"], row)
            ).rowcount
        if not added:
            raise EventFull(f"all {event.seats} seats of this event are taken", "code")
        return self.get(event_id)

    def seats_of(self, event_id: str) -> list[Seat]:
        query = select(seats).where(seats.c.event == event_id).order_by(seats.c.joined)
        with self.engine.connect() as conn:
            return [Seat(**row) for row in conn.execute(query).mappings()]

    def seat(self, account: str) -> Seat | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(seats).where(seats.c.account == account)).mappings().first()
        return Seat(**row) if row else None
