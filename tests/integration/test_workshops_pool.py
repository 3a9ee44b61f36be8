"""The warm pool (hub/services/workshops/pool.py) on a real hub with real servers: before
an event starts its free seats get servers started ahead; a join gets one of them,
already running, never one another join got; the pool shrinks as seats fill, its
unclaimed accounts go (with their homes) when the event ends, and a wrong code claims
nothing.

A hub of the module's own: the pool starts servers for every event of its hub, which on
the shared hub would be the other modules' events too."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from echoes_hub.spawners import cgroups
from tests.hubclient import Hub, HubSession, wait_for
from tests.integration.workshops_support import (
    Attendee,
    api,
    hours,
    members,
    new_event,
    new_trainer,
    seated,
    wait_for_pool,
    waiting,
)

#: Servers that may wait in all: the tests' events stay within it.
POOL = 3
POOL_ARGS = [
    f"--WorkshopsService.pool_servers={POOL}",
    "--WorkshopsService.pool_interval=1",
    "--WorkshopsService.pool_concurrent_starts=2",
]


@pytest.fixture(scope="module")
def hub(hub_factory_module) -> Hub:
    return hub_factory_module(args=POOL_ARGS)


@pytest.fixture(scope="module")
def trainer(hub, admin) -> HubSession:
    return new_trainer(hub, admin)


@pytest.fixture
def event(hub, admin, trainer):
    """Makes open events (2 seats unless told), revoked when the test ends: their pools
    then go, so that the next test's event has the pool to itself."""
    made: list[dict] = []

    def make(seats: int = 2, **fields) -> dict:
        made.append(new_event(hub, trainer, seats=seats, **fields))
        return made[-1]

    yield make
    for one in made:
        api(hub, trainer, "DELETE", f"/{one['id']}")
    for one in made:
        wait_for(lambda one=one: not waiting(hub, admin, trainer, one), 120, "the pool to empty")


def started(server: dict) -> float:
    return datetime.fromisoformat(server["started"].replace("Z", "+00:00")).timestamp()


def test_the_pool_fills_to_the_free_seats_before_the_start(hub, admin, trainer, event):
    upcoming = event(seats=2, memory="640M", cpu=0.25, **hours(0.1, 2))  # in 6 minutes
    ready = wait_for_pool(hub, admin, trainer, upcoming, 2)
    assert all(name.startswith("guest-") for name in ready)
    # Started before anyone has the seat, yet already of the event's size.
    parent = cgroups.hub_parent(hub.state_dir)
    for name in ready:
        assert cgroups.server_group(parent, name).limits() == (640 * 2**20, 0.25)
    # Never more than the seats, though the pool could hold POOL servers.
    assert len(members(admin, upcoming)) == 2
    assert seated(hub, trainer, upcoming) == []


def test_joins_get_running_servers_never_the_same_and_the_pool_shrinks(hub, admin, trainer, event):
    three = event(seats=3)
    before = wait_for_pool(hub, admin, trainer, three, 3)
    attendees = [Attendee(hub), Attendee(hub)]
    with ThreadPoolExecutor(2) as pool:
        replies = list(
            pool.map(lambda a: a[1].join(three, display_name=f"A{a[0]}"), enumerate(attendees))
        )
    names = [a.session.name for a in attendees]
    assert all(r.status_code == 302 for r in replies), [r.text[:300] for r in replies]
    assert len(set(names)) == 2 and set(names) <= set(before), (names, before)
    model = api(hub, trainer, "GET", f"/{three['id']}").json()
    joined = {a["account"]: a for a in model["attendees"]}
    assert sorted(joined[n]["display_name"] for n in names) == ["A0", "A1"]
    for attendee, reply in zip(attendees, replies, strict=True):
        name = attendee.session.name
        # Straight to the lab that was already running: started before the join.
        assert reply.headers["Location"] == attendee.session.server_url(), reply.headers
        assert started(before[name]) < joined[name]["joined"]
        lab = attendee.session.http.get(attendee.session.server_url() + "lab", timeout=60)
        assert lab.status_code == 200 and lab.url.endswith("/lab"), lab.url
    # One seat left: one pooled server, never refilled past it.
    left = wait_for(
        lambda: len(members(admin, three)) == 3 and waiting(hub, admin, trainer, three),
        120,
        "the pool to hold one server for the one free seat",
    )
    assert set(left) == set(before) - set(names)


def test_a_wrong_code_claims_no_pooled_account(hub, admin, trainer, event):
    one = event(seats=1)
    before = wait_for_pool(hub, admin, trainer, one, 1)
    status, message = Attendee(hub).join_error(one, "0" * 12)
    assert (status, message) == (403, "that is not the code of this event")
    assert seated(hub, trainer, one) == []
    assert set(waiting(hub, admin, trainer, one)) == set(before)


def test_unclaimed_pooled_accounts_are_deleted_at_the_end(hub, admin, trainer, event):
    """The end here is the trainer's "End now": the same end, without waiting for it."""
    short = event(seats=1)
    [name] = wait_for_pool(hub, admin, trainer, short, 1)
    ended = api(hub, trainer, "POST", f"/{short['id']}/end")
    assert ended.status_code == 200 and ended.json()["state"] == "ended", ended.text
    wait_for(
        lambda: admin.api("GET", f"/users/{name}").status_code == 404,
        240,
        f"the unclaimed pooled account {name} to be deleted after the event's end",
        interval=2,
    )
    assert members(admin, short) == []
    assert not (hub.state_dir / "homes" / name).exists()  # with the home its server made
