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
    LargeBinary,
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
# Trainers' CSV uploads: one row an attendee account (with its seat in `seats`), its
# one-time password as a bcrypt hash only, used at most once (`used`).
credentials = Table(
    "credentials",
    metadata,
    Column("account", Text, ForeignKey("seats.account"), primary_key=True),
    Column("event", Text, ForeignKey("events.id"), nullable=False, index=True),
    Column("email", Text, nullable=False),
    Column("password", LargeBinary, nullable=False),
    Column("used", Float),  # when it logged in, or NULL
)
# The end of an event (expiry.py): when its servers were stopped and homes archived,
# and when its accounts were removed; NULL: not yet.
endings = Table(
    "endings",
    metadata,
    Column("event", Text, ForeignKey("events.id"), primary_key=True),
    Column("archived", Float),
    Column("removed", Float),
)


# The trainer's live page (live.py): raised hands, messages to all, the log of trainers
# opening an attendee's server, and the token each attendee's seat gives the service.
hands = Table(
    "hands",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", Text, ForeignKey("events.id"), nullable=False, index=True),
    Column("account", Text, nullable=False, index=True),
    Column("raised", Float, nullable=False),
    Column("handled", Float),  # when a trainer marked it handled, or NULL
    Column("handled_by", Text),
)
messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", Text, ForeignKey("events.id"), nullable=False, index=True),
    Column("sender", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("sent", Float, nullable=False),
)
helps = Table(
    "helps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", Text, ForeignKey("events.id"), nullable=False, index=True),
    Column("account", Text, nullable=False, index=True),
    Column("trainer", Text, nullable=False),
    Column("opened", Float, nullable=False),
)
#: A hub API token owned by the attendee, made by the hub when they join (access.py),
#: with scopes on their own server only: how the service reads it for the trainer.
server_access = Table(
    "server_access",
    metadata,
    Column("account", Text, ForeignKey("seats.account"), primary_key=True),
    Column("token", Text, nullable=False),
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
class Ending:
    event: str
    archived: float | None = None
    removed: float | None = None


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

    def end_now(self, event_id: str, now: float) -> Event:
        """Move an open event's end to `now` (the trainer ends it early; expiry.py then
        does what the end does); an event already ended keeps its end."""
        with self.engine.begin() as conn:
            conn.execute(
                update(events)
                .where(events.c.id == event_id, events.c.start <= now, events.c.end > now)
                .values(end=now)
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

    # CSV credentials (credentials.py)

    def add_people(self, event_id: str, people: list[dict], now: float) -> None:
        """Seat every one of `people` (account, display_name, email, password hash) with
        their credentials, all or none: `EventFull` when the seats run out meanwhile."""
        count = select(func.count()).where(seats.c.event == event_id).scalar_subquery()
        limit = select(events.c.seats).where(events.c.id == event_id).scalar_subquery()
        with self.engine.begin() as conn:
            for person in people:
                row = select(
                    literal(person["account"]),
                    literal(event_id),
                    literal(person["display_name"]),
                    literal(now),
                ).where(count < limit)
                columns = ["account", "event", "display_name", "joined"]
                if not conn.execute(insert(seats).from_select(columns, row)).rowcount:
                    raise EventFull("the event's seats ran out", "people")
                conn.execute(
                    insert(credentials).values(
                        account=person["account"],
                        event=event_id,
                        email=person["email"],
                        password=person["password"],
                    )
                )

    def emails_of(self, event_id: str) -> frozenset[str]:
        query = select(credentials.c.email).where(credentials.c.event == event_id)
        with self.engine.connect() as conn:
            return frozenset(conn.execute(query).scalars())

    def password_hash(self, account: str) -> bytes | None:
        """The hash of `account`'s one-time password, if it has one and it is unused."""
        query = select(credentials.c.password).where(
            credentials.c.account == account, credentials.c.used.is_(None)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def use_password(self, account: str, now: float) -> Event | None:
        """Spend `account`'s one-time password (once: one UPDATE, so two logins at once
        cannot both have it) if its event is open; the event, or None."""
        open_events = select(events.c.id).where(
            events.c.start <= now, events.c.end > now, events.c.revoked.is_(None)
        )
        with self.engine.begin() as conn:
            used = conn.execute(
                update(credentials)
                .where(
                    credentials.c.account == account,
                    credentials.c.used.is_(None),
                    credentials.c.event.in_(open_events),
                )
                .values(used=now)
            ).rowcount
        seat = self.seat(account) if used else None
        return self.get(seat.event) if seat else None

    # The end of events (expiry.py)

    def due_endings(self, now: float) -> list[Event]:
        """Ended events whose end is not finished yet (accounts not removed)."""
        done = select(endings.c.event).where(endings.c.removed.is_not(None))
        query = self._select().where(events.c.end <= now, events.c.id.not_in(done))
        with self.engine.connect() as conn:
            return [Event(**row) for row in conn.execute(query).mappings()]

    def ending(self, event_id: str) -> Ending:
        with self.engine.connect() as conn:
            row = conn.execute(select(endings).where(endings.c.event == event_id)).mappings()
            found = row.first()
        return Ending(**found) if found else Ending(event_id)

    def mark_ending(self, event_id: str, step: str, now: float) -> Ending:
        """Record that `step` ("archived" or "removed") of the event's end is done."""
        with self.engine.begin() as conn:
            if conn.execute(select(endings.c.event).where(endings.c.event == event_id)).first():
                conn.execute(update(endings).where(endings.c.event == event_id).values({step: now}))
            else:
                conn.execute(insert(endings).values(event=event_id, **{step: now}))
        return self.ending(event_id)

    # The trainer's live page (live.py): hands, messages, helps, the attendees' tokens.

    def raise_hand(self, event_id: str, account: str) -> Hand:
        """The attendee's raised hand: their open one if they have one, else a new one."""
        with self.engine.begin() as conn:
            open_hand = conn.execute(
                select(hands.c.id).where(hands.c.account == account, hands.c.handled.is_(None))
            ).first()
            if open_hand is None:
                conn.execute(
                    insert(hands).values(event=event_id, account=account, raised=time.time())
                )
        return self.last_hand(account)

    def last_hand(self, account: str) -> Hand | None:
        query = select(hands).where(hands.c.account == account).order_by(hands.c.id.desc())
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return Hand(**row) if row else None

    def hands_of(self, event_id: str) -> list[Hand]:
        query = select(hands).where(hands.c.event == event_id).order_by(hands.c.id)
        with self.engine.connect() as conn:
            return [Hand(**row) for row in conn.execute(query).mappings()]

    def handle_hand(self, event_id: str, hand_id: int, trainer: str) -> Hand:
        """Mark a hand of the event handled (idempotent); `NotFound` for another's."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(hands).where(hands.c.id == hand_id, hands.c.event == event_id)
            ).first()
            if row is None:
                raise NotFound(f"no raised hand {hand_id} in this event", "hand")
            conn.execute(
                update(hands)
                .where(hands.c.id == hand_id, hands.c.handled.is_(None))
                .values(handled=time.time(), handled_by=trainer)
            )
            row = conn.execute(select(hands).where(hands.c.id == hand_id)).mappings().first()
        return Hand(**row)

    def add_message(self, event_id: str, sender: str, text: str) -> dict:
        now = time.time()
        with self.engine.begin() as conn:
            row = {"event": event_id, "sender": sender, "text": text, "sent": now}
            conn.execute(insert(messages).values(**row))
        return self.messages_of(event_id)[-1]

    def messages_of(self, event_id: str) -> list[dict]:
        query = select(messages).where(messages.c.event == event_id).order_by(messages.c.id)
        with self.engine.connect() as conn:
            return [{**row, "sent": iso(row["sent"])} for row in conn.execute(query).mappings()]

    def record_help(self, event_id: str, account: str, trainer: str) -> dict:
        with self.engine.begin() as conn:
            conn.execute(
                insert(helps).values(
                    event=event_id, account=account, trainer=trainer, opened=time.time()
                )
            )
        return self.helps_of(account)[-1]

    def helps_of(self, account: str) -> list[dict]:
        """Who opened the attendee's server to help, and when, oldest first."""
        query = select(helps).where(helps.c.account == account).order_by(helps.c.id)
        with self.engine.connect() as conn:
            return [
                {"trainer": row["trainer"], "opened": iso(row["opened"])}
                for row in conn.execute(query).mappings()
            ]

    def set_access(self, account: str, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(server_access).values(account=account, token=token))

    def access_token(self, account: str) -> str | None:
        query = select(server_access.c.token).where(server_access.c.account == account)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()


@dataclass(frozen=True)
class Hand:
    id: int
    event: str
    account: str
    raised: float
    handled: float | None
    handled_by: str | None

    def to_dict(self) -> dict:
        model = asdict(self)
        model["raised"] = iso(self.raised)
        model["handled"] = iso(self.handled) if self.handled else None
        return model
