"""Workshops: events a trainer runs, which attendees join with a code, no sign-up.

This module holds the settings, `WorkshopsService` (read by the hub and by the service,
hub/services/base/settings.py), and `workshops_service`, the managed-service entry and the
scopes users need. The service itself is `app.WorkshopsApp` (its own process, on the
service base), in layers: `model` (an event's fields, checked), `store` (SQLAlchemy:
events and seats, SQLite WAL by default), thin `handlers` over one route table (page,
JSON API, OpenAPI generated from it).

Joining happens on the hub (`join`), because only the hub can log a person in: the join
page takes the event's code and a display name, takes a seat in the same store (one
statement, so concurrent joins never pass the seat limit), makes a hub account of its
own for the attendee (`account_prefix` and a random part; the display name is only
shown), puts it in the event's group and logs it in. The store is the service's; the
hub, the same account on the same machine, opens it too (SQLite WAL: readers never wait,
a writer waits `busy_timeout`).

The warm pool (`pool`, in the service process; on unless `pool_servers` is 0) starts
servers ahead for the free seats, which joins then claim.

Who creates events: members of the hub group `trainers_group` and administrators.
"""

from __future__ import annotations

import os
from typing import ClassVar

from traitlets import Float, Integer, Unicode, default, validate
from traitlets.config import Config

from ...deployment import Deployment
from ...settings import absolute_sqlite_url
from ..base.settings import ServiceSettings, service_entry
from .access import attendee_role

NAME = "workshops"
#: What one server waiting in the warm pool costs (docs/workshops.md, "Sizing": 115 to
#: 152 MiB idle, measured), to size the pool's default to the machine.
POOLED_SERVER_MEMORY = 150 * 2**20
MAX_DEFAULT_POOL = 100
#: Every user (the CLI, a trainer's server) may reach the service with their own tokens.
USER_SCOPES = [f"access:services!service={NAME}"]
#: What the service itself does on the hub at the end of an event (expiry.py): stop the
#: attendees' servers, take them out of the event's group, remove their accounts.
SERVICE_SCOPES = ["read:servers", "delete:servers", "groups", "delete:users"]


class WorkshopsService(ServiceSettings):
    """Settings of the workshops service (`c.WorkshopsService.<name>`)."""

    name: ClassVar[str] = NAME
    module: ClassVar[str] = "echoes_hub.services.workshops"

    trainers_group = Unicode(
        "trainers",
        config=True,
        help="""The hub group whose members may create events (administrators may too).
        Add trainers to it on the hub's admin page.""",
    )

    account_prefix = Unicode(
        "guest-",
        config=True,
        help="""Attendees' hub accounts are named this prefix and a random part, never
        after the display name they type, so nobody can join as someone else. Sign-ups
        with a name that starts with it are refused.""",
    )

    code_length = Integer(
        12,
        min=8,
        config=True,
        help="""Characters of an event's join code, from a 32-letter alphabet (5 bits
        each: 12 give 60 bits). With the hub's limit of failed attempts per address
        (EchoesAuthenticator.failed_logins_per_address) guessing one is hopeless.""",
    )

    max_seats = Integer(500, min=1, config=True, help="The most seats one event may have.")

    expiry_interval = Float(
        30,
        min=0.1,
        config=True,
        help="""Seconds between two looks for events whose end has passed: their
        attendees' servers are stopped and, unless they keep their work, their homes
        archived and removed (docs/workshops.md). An event ends at most this late.""",
    )

    download_seconds = Float(
        7 * 24 * 3600,
        min=0,
        config=True,
        help="""Seconds after an event's end during which its attendees (who do not keep
        their work) may download the archive of their home with their own login; then
        their accounts are removed. The trainer keeps the archives.""",
    )

    database_url = Unicode(
        config=True,
        help="""SQLAlchemy URL of the workshops database. Default: SQLite file
        workshops.sqlite in the hub state folder (WAL).""",
    )

    pool_servers = Integer(
        min=0,
        config=True,
        help="""The warm pool (pool.py): most servers started ahead and waiting for
        attendees, across all events; each event's pool holds one per free seat within
        this. Joining then takes a second instead of a server's start. Each waiting
        server costs memory (docs/workshops.md measures it: about 150 MiB). Default: as
        many as a quarter of this machine's memory holds at 150 MiB each (40 on 24 GiB,
        13 on 8 GiB), at most 100. 0: no pool, every join starts a server.""",
    )

    @default("pool_servers")
    def _default_pool_servers(self) -> int:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return min(MAX_DEFAULT_POOL, memory // 4 // POOLED_SERVER_MEMORY)

    pool_lead_time = Integer(
        900,
        min=0,
        config=True,
        help="""Seconds before an event's start from which its warm pool fills (it lasts
        until the event's end).""",
    )

    pool_concurrent_starts = Integer(
        4,
        min=1,
        config=True,
        help="""Most pooled servers starting at once, so that filling the pool leaves the
        machine usable (a start takes about a CPU second or more).""",
    )

    pool_interval = Float(
        5.0,
        min=0.5,
        config=True,
        help="""Seconds between two checks of the warm pool: how soon it refills after
        joins, and how soon a started server becomes claimable.""",
    )

    state_dir = Unicode(".", help="The hub state folder (set from EchoesHub.state_dir).")

    @default("database_url")
    def _default_database_url(self) -> str:
        return absolute_sqlite_url(f"sqlite:///{self.state_dir}/workshops.sqlite")

    @validate("database_url")
    def _absolute_database_url(self, proposal: dict) -> str:
        return absolute_sqlite_url(proposal["value"])


def workshops_settings(c: Config, state_dir: str) -> WorkshopsService:
    """The service's settings as the hub reads them (the state folder is the hub's)."""
    return WorkshopsService(config=c, state_dir=state_dir)


#: What the warm pool does through the hub's API: make and delete its accounts, put them
#: in their event's group, start their servers, see whether they are ready.
POOL_SCOPES = ["admin:users", "admin:groups", "servers"]


def workshops_service(c: Config, deployment: Deployment) -> tuple[dict, list[dict], list[str]]:
    """The managed-service entry for the hub, the roles it needs (its own, `workshops_role`;
    the attendees', which lets them share their server with a trainer: access.py), and
    the scopes users need to use it."""
    settings = deployment.settings
    options = workshops_settings(c, settings.state_dir)
    # Join links name the hub's public address, where attendees log in.
    environment = {"ECHOES_HUB_URL": settings.public_url}
    # Where homes are (homes.py): for materials, collecting and the end of events.
    if deployment.servers == "local":
        environment["ECHOES_HOMES_DIR"] = str(settings.state_path / "homes")
    else:
        environment["ECHOES_HOME_VOLUME"] = deployment.home_volume
        environment["ECHOES_CONTAINER_PREFIX"] = deployment.container_prefix
    entry = service_entry(
        options, deployment, default_port=settings.port + 6, environment=environment, display=True
    )
    return entry, [workshops_role(options), attendee_role(options.trainers_group)], USER_SCOPES


def workshops_role(options: WorkshopsService) -> dict:
    """The service's role on the hub: what the end of an event needs (SERVICE_SCOPES)
    and, with the warm pool on, what the pool does (POOL_SCOPES)."""
    scopes = SERVICE_SCOPES + (POOL_SCOPES if options.pool_servers > 0 else [])
    return {"name": "workshops-service", "scopes": scopes, "services": [NAME]}
