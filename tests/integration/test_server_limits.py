"""Memory and CPU limits of local servers (hub/spawners/cgroups.py), with a real hub, real
servers and real kernels: each server's cgroup holds its profile's limits (an attendee's
those of their event), a kernel that allocates past them is stopped by the OOM killer in
its group while another person's server and kernel keep answering, the group goes when the
server stops, and a new hub process removes the empty groups an earlier one left under
its own folder, never another hub's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from echoes_hub.spawners import cgroups
from tests.hubclient import STATE_ROOT, Hub, HubSession, Kernel, _alive, make_state_dir, wait_for
from tests.integration.conftest import add_user, in_ci, login_admin
from tests.integration.workshops_support import Attendee, new_event, new_trainer

HIERARCHY = cgroups.find_hierarchy()
# In CI (a machine like this one: root, v1 controllers) a missing part fails, never skips.
pytestmark = pytest.mark.skipif(
    not in_ci() and (HIERARCHY is None or os.geteuid() != 0),
    reason="needs root and cgroup controllers",
)


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    """A hub of this module's own, started where an earlier hub process of the same state
    folder left an empty group, and another hub has a group of its own."""
    state = make_state_dir(STATE_ROOT)
    stale = cgroups.create(cgroups.hub_parent(state), "left-behind", 2**26, 0.1, HIERARCHY)
    others = cgroups.hub_parent(state.parent / "another-hub")
    foreign = cgroups.create(others, "someone", 2**26, 0.1, HIERARCHY)
    hub = Hub(state)
    try:
        yield hub.start()
    finally:
        hub.kill_leftovers()
        for group, parent in ((stale, cgroups.hub_parent(state)), (foreign, others)):
            group.remove()
            cgroups.remove_if_empty(parent, HIERARCHY)


@pytest.fixture(scope="module")
def admin(hub: Hub) -> HubSession:
    return login_admin(hub)


def group_of(hub: Hub, name: str) -> cgroups.Group:
    """The group the server of `name` has or had."""
    paths = cgroups.group_paths(HIERARCHY, cgroups.hub_parent(hub.state_dir), name)
    return cgroups.Group(HIERARCHY, tuple(paths))


def test_the_first_server_removes_the_hubs_stale_groups_and_no_others(hub, admin) -> None:
    person = add_user(hub, admin, "first")
    person.start_server(options={"profile": "workshop"})
    assert all(path.is_dir() for path in group_of(hub, person.name).paths)
    assert not any(path.exists() for path in group_of(hub, "left-behind").paths)
    others = cgroups.hub_parent(hub.state_dir.parent / "another-hub")
    foreign = cgroups.group_paths(HIERARCHY, others, "someone")
    assert all(path.is_dir() for path in foreign)
    person.stop_server()


def test_a_kernel_past_the_events_memory_is_stopped_and_others_keep_working(hub, admin) -> None:
    trainer = new_trainer(hub, admin)
    event = new_event(hub, trainer, memory="512M", cpu=0.5)
    attendee = Attendee(hub)
    assert attendee.join(event).status_code == 302
    guest = attendee.session
    # The attendee asks for the standard size (2 GB): their event's size wins.
    guest.start_server(options={"profile": "standard"})
    other = add_user(hub, admin, "neighbour")
    other.start_server(options={"profile": "workshop"})

    group = group_of(hub, guest.name)
    # What the trainer's page reads: the running server's group, found by its user.
    assert cgroups.server_group(cgroups.hub_parent(hub.state_dir), guest.name) == group
    assert group.limits() == (512 * 2**20, 0.5)
    assert group_of(hub, other.name).limits() == (2**30, 0.5)
    guest_token, other_token = guest.new_token(), other.new_token()
    with Kernel(other.server_url(), other_token) as neighbour:
        assert neighbour.execute("x = 41\nprint(x + 1)").strip() == "42"
        kernel = Kernel(guest.server_url(), guest_token)
        pid = int(kernel.execute("import os\nprint(os.getpid())"))
        assert pid in group.pids()  # kernels inherit their server's group
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(kernel.execute, "b = bytearray(1024 * 2**20)\nprint('kept')")
            wait_for(lambda: not _alive(pid), 120, "the kernel past 512 MiB to be stopped")
            kernel.ws.close()  # ends the wait for an answer that will never come
            assert running.exception() is not None or "kept" not in running.result()
        assert group.oom_kills() >= 1
        # The attendee's server still answers, and the neighbour's kernel still works.
        status = requests.get(
            f"{guest.server_url()}api/status",
            headers={"Authorization": f"token {guest_token}"},
            timeout=30,
        )
        assert status.status_code == 200, status.text
        assert neighbour.execute("print(x + 1)").strip() == "42"
    requests.delete(
        f"{guest.server_url()}api/kernels/{kernel.id}",
        headers={"Authorization": f"token {guest_token}"},
        timeout=30,
    )

    guest.stop_server()
    wait_for(lambda: not any(p.exists() for p in group.paths), 60, "the group to be removed")
    other.stop_server()


def test_the_spawn_page_offers_sizes_to_people_and_none_to_attendees(hub, admin) -> None:
    person = add_user(hub, admin, "chooser")
    page = person.http.get(person.url("/hub/spawn"), timeout=60)
    assert page.status_code == 200
    assert 'name="profile" value="standard"' in page.text
    assert 'name="profile" value="workshop"' in page.text
    assert "Limits not enforced" not in page.text  # root, with controllers: they hold
    assert person.server_model() is None  # the form is shown, nothing started yet

    attendee = Attendee(hub)
    assert attendee.join(new_event(hub, new_trainer(hub, admin), memory="768M")).status_code == 302
    guest = attendee.session
    # No form: the page starts the server at once, at the event's size.
    page = guest.http.get(guest.url("/hub/spawn"), allow_redirects=False, timeout=60)
    assert page.status_code == 302, page.text[:500]
    assert "/hub/spawn-pending/" in page.headers["Location"]
    guest.wait_ready()
    assert group_of(hub, guest.name).limits() == (768 * 2**20, 1.0)
    guest.stop_server()
