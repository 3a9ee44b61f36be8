"""The warm pool: servers started ahead for an event's free seats, so that joining is a
redirect to a lab that already runs.

From `WorkshopsService.pool_lead_time` before an event starts until it ends, the
workshops service (`WarmPool`, in its process) keeps one pooled account per free seat:
a hub account named as the join page names attendees, in the event's group, with its
server started, through the hub's REST API with the service's token (so it works with
any spawner: local processes, containers). At most `pool_concurrent_starts` start at
once and `pool_servers` wait in all; the pool shrinks as seats fill (an attendee who got
a new account took a seat a pooled one was waiting for) and its unclaimed accounts are
stopped and deleted, with the homes their servers made (homes.py), when the event ends
or is revoked.

A join (join.py, in the hub) claims a ready account with one statement (`claim`), which
deletes its pool row and renames the join's seat to it, so two joins never get the
same account; a join that finds none gets a new account and a spawn, as without pool.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import delete, insert, select, update

from . import WorkshopsService
from .homes import Homes
from .hubapi import HubAPI
from .store import Event, Store, pool, seats

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pooled:
    account: str
    event: str
    created: float
    ready: float | None


def pooled(store: Store, event_id: str | None = None) -> list[Pooled]:
    """The pool's accounts, or those of one event, oldest first."""
    query = select(pool).order_by(pool.c.created)
    if event_id is not None:
        query = query.where(pool.c.event == event_id)
    with store.engine.connect() as conn:
        return [Pooled(**row) for row in conn.execute(query).mappings()]


def pooled_event(store: Store, account: str) -> str | None:
    """The event `account` waits for in the pool, or None."""
    with store.engine.connect() as conn:
        return conn.execute(select(pool.c.event).where(pool.c.account == account)).scalar()


def add(store: Store, account: str, event_id: str, now: float) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(pool).values(account=account, event=event_id, created=now))


def mark_ready(store: Store, account: str, now: float) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(pool).where(pool.c.account == account, pool.c.ready.is_(None)).values(ready=now)
        )


def take_back(store: Store, account: str) -> bool:
    """Remove `account` from the pool; False when a join claimed it first."""
    with store.engine.begin() as conn:
        return bool(conn.execute(delete(pool).where(pool.c.account == account)).rowcount)


def claim(store: Store, event_id: str, seat_account: str) -> str | None:
    """Give the seat taken as `seat_account` one of the event's ready pooled accounts:
    the account, or None when none is ready. One DELETE ... RETURNING picks and removes
    it, so two joins never claim the same one (a second writer waits for the first and
    then finds the row gone)."""
    oldest = (
        select(pool.c.account)
        .where(pool.c.event == event_id, pool.c.ready.is_not(None))
        .order_by(pool.c.ready)
        .limit(1)
        .scalar_subquery()
    )
    with store.engine.begin() as conn:
        account = conn.execute(
            delete(pool).where(pool.c.account == oldest).returning(pool.c.account)
        ).scalar()
        if account is not None:
            conn.execute(
                update(seats).where(seats.c.account == seat_account).values(account=account)
            )
    return account


def pool_size(event: Event, waiting_elsewhere: int, settings: WorkshopsService) -> int:
    """How many accounts `event`'s pool should hold: one per free seat, within what the
    hub-wide `pool_servers` leaves after the other events' pools."""
    free = max(event.seats - event.taken, 0)
    return max(min(free, settings.pool_servers - waiting_elsewhere), 0)


def surplus(rows: list[Pooled], size: int) -> list[Pooled]:
    """The pooled accounts of an event beyond `size` (joins that found no ready account
    took seats), to remove now: ready ones only; those still starting count, and go at a
    later tick once up (the hub deletes no account in the middle of its start)."""
    extra = len(rows) - size
    return [row for row in rows if row.ready is not None][:extra] if extra > 0 else []


def in_window(event: Event, now: float, lead_time: float) -> bool:
    """Whether `event` has a pool now: from `lead_time` before its start to its end."""
    return not event.revoked and event.start - lead_time <= now < event.end


class WarmPool:
    """Keeps each event's pool at its size (`tick`, every `pool_interval` seconds)."""

    def __init__(self, store: Store, settings: WorkshopsService, hub: HubAPI, homes: Homes) -> None:
        self.store = store
        self.settings = settings
        self.hub = hub
        self.homes = homes

    async def run(self) -> None:
        while True:
            try:
                await self.tick(time.time())
            except Exception:  # the next tick tries again; the service keeps serving
                log.exception("warm pool: tick failed")
            await asyncio.sleep(self.settings.pool_interval)

    async def tick(self, now: float) -> None:
        settings = self.settings
        events = {e.id: e for e in self.store.list() if in_window(e, now, settings.pool_lead_time)}
        rows = pooled(self.store)
        servers = await self.hub.servers(settings.account_prefix) if rows else {}
        kept: list[Pooled] = []
        for row in rows:
            server = servers.get(row.account)
            if server is not None and not server.get("ready"):
                kept.append(row)  # still starting: the hub deletes no account mid-spawn
                continue
            if server is not None and row.ready is None:
                mark_ready(self.store, row.account, now)
                row = Pooled(row.account, row.event, row.created, now)
            if row.event not in events:
                await self.remove(row, "its event ended or was revoked")
            elif server is None:
                await self.remove(row, "its server stopped or failed to start")
            else:
                kept.append(row)
        starting = sum(1 for row in kept if row.ready is None)
        for event in events.values():
            mine = [row for row in kept if row.event == event.id]
            size = pool_size(event, len(kept) - len(mine), settings)
            for row in surplus(mine, size):
                await self.remove(row, "its event has fewer free seats")
                kept.remove(row)
            missing = size - len(mine)
            while missing > 0 and starting < settings.pool_concurrent_starts:
                if await self.start(event, now):
                    starting += 1
                    kept.append(Pooled("", event.id, now, None))
                missing -= 1

    async def start(self, event: Event, now: float) -> bool:
        """Make a pooled account for `event` and request its server."""
        account = self.settings.account_prefix + secrets.token_hex(5)
        add(self.store, account, event.id, now)
        name = quote(account)
        code, body = await self.hub.call("POST", f"/users/{name}")
        if code == 201:
            await self.hub.call("POST", f"/groups/{quote(event.group)}")  # 409: it exists
            code, body = await self.hub.call(
                "POST", f"/groups/{quote(event.group)}/users", {"users": [account]}
            )
        if code in (200, 201):
            code, body = await self.hub.call("POST", f"/users/{name}/server")
        if code in (201, 202):
            log.info("warm pool: starting %s for event %s", account, event.id)
            return True
        log.warning(
            "warm pool: could not start %s for event %s: %s %s", account, event.id, code, body
        )
        await self.remove(Pooled(account, event.id, now, None), "its start failed")
        return False

    async def remove(self, row: Pooled, why: str) -> None:
        """Stop and delete a pooled account that no join claimed."""
        if not take_back(self.store, row.account):
            return  # claimed by a join meanwhile: an attendee's now
        # Its home goes before the account, as at the end of events (expiry.py): a volume
        # only once its container is gone, a local home before its system user.
        await self.hub.stop_servers(row.account)
        await asyncio.to_thread(self.homes.remove, row.account)
        code, body = await self.hub.call("DELETE", f"/users/{quote(row.account)}")
        if code not in (204, 404):
            log.warning("warm pool: could not delete %s: %s %s", row.account, code, body)
            return
        log.info("warm pool: removed %s of event %s: %s", row.account, row.event, why)
