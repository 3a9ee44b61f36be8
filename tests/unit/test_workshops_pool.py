"""The warm pool's rules (hub/services/workshops/pool.py) on a real SQLite store: joins at
once never claim the same account and only claim ready ones; the pool's size follows
the free seats within the hub-wide budget, from the lead time before the start to the end."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

from echoes_hub.services.workshops import WorkshopsService, pool
from tests.unit.test_workshops import store_with_event


def test_joins_at_once_claim_each_ready_account_once_and_no_starting_one(tmp_path):
    store, event = store_with_event(tmp_path, seats=8)
    now = time.time()
    for i in range(5):
        pool.add(store, f"guest-pool{i}", event.id, now)
        if i < 4:
            pool.mark_ready(store, f"guest-pool{i}", now + i)

    def join(i: int) -> str | None:
        store.take_seat(event.id, event.code, f"person {i}", f"guest-new{i}", time.time())
        return pool.claim(store, event.id, f"guest-new{i}")

    with ThreadPoolExecutor(8) as threads:
        claimed = list(threads.map(join, range(8)))
    got = [name for name in claimed if name]
    assert sorted(got) == [f"guest-pool{i}" for i in range(4)]
    # Each claimed account is its seat's now; the others kept their new accounts.
    seats = {seat.account for seat in store.seats_of(event.id)}
    assert len(seats) == 8 and set(got) <= seats
    assert [row.account for row in pool.pooled(store)] == ["guest-pool4"]
    assert pool.take_back(store, "guest-pool4") and not pool.take_back(store, "guest-pool0")


def test_the_pool_holds_the_free_seats_within_the_budget_and_its_hours(tmp_path):
    store, event = store_with_event(tmp_path, seats=3, start=600, end=3600)
    settings = WorkshopsService(pool_servers=10, pool_lead_time=900)
    assert pool.pool_size(event, 0, settings) == 3
    assert pool.pool_size(event, 8, settings) == 2  # other events' pools wait too
    assert pool.pool_size(event, 12, settings) == 0
    now = time.time()
    assert pool.in_window(event, now, 900)
    assert not pool.in_window(event, now, 300)  # too early
    assert not pool.in_window(event, event.end, 900)  # ended
    assert not pool.in_window(store.revoke(event.id), now, 900)


def test_only_what_passes_the_size_is_removed_and_only_ready_accounts():
    ready = [pool.Pooled(f"guest-r{i}", "e", 0, 1) for i in range(3)]
    starting = [pool.Pooled(f"guest-s{i}", "e", 0, None) for i in range(2)]
    # Filling up (the bug: a negative slice removed ready ones while the pool filled).
    assert pool.surplus(ready + starting, 20) == []
    assert pool.surplus(ready + starting, 5) == []
    assert pool.surplus(ready + starting, 6) == []
    assert pool.surplus(ready + starting, 3) == ready[:2]
    assert pool.surplus(starting + ready, 0) == ready


def test_the_pool_is_on_by_default_sized_to_a_quarter_of_the_machines_memory():
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    size = WorkshopsService().pool_servers
    assert size == min(100, memory // 4 // (150 * 2**20)) and size > 0
    assert WorkshopsService(pool_servers=0).pool_servers == 0
