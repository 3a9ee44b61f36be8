"""What the trainer's live page may do with an attendee's server, granted by the hub
when the attendee joins (join.py), for that attendee's own server only.

The hub (the only one that can) makes a token owned by the new attendee, with scopes on
their own server and nothing else (`attendee_token_scopes`), valid until a day after the
event ends, and hands it to the workshops service through the store. With it the service
reads, for the event's trainer, the server's state and last activity (the hub's REST
API), its sessions (notebooks open), its memory (echoes.server's `usage`) and a notebook
to collect (its contents API); and, when the trainer asks to help, shares the server
with that trainer (JupyterHub 5 shares, made as the attendee: the role `ATTENDEE_ROLE`
lets attendees share their own server with trainers). The service never holds a token
that reaches anyone else's server: another event's attendees have tokens of their own.
"""

from __future__ import annotations

from jupyterhub import orm
from jupyterhub.roles import grant_role

from .store import Event, Store

#: The role of every attendee: they may share their own server with a trainer (the
#: trainer's page asks, the service records it and tells the attendee).
ATTENDEE_ROLE = "workshop-attendee"
#: The token outlives the event by a day, for collecting notebooks after the end.
GRACE_SECONDS = 24 * 3600


def attendee_role(trainers_group: str) -> dict:
    """The role's definition, in the hub's `load_roles` (so a restart keeps it)."""
    return {
        "name": ATTENDEE_ROLE,
        "description": "A workshop attendee: may share their own server with trainers",
        "scopes": ["shares!user", f"read:users:name!group={trainers_group}"],
    }


def attendee_token_scopes(account: str, trainers_group: str) -> list[str]:
    own = f"!user={account}"
    return [
        f"access:servers{own}",
        f"read:servers{own}",
        f"read:users:activity{own}",
        f"shares{own}",
        f"read:users:name!group={trainers_group}",
    ]


def grant_server_access(
    db, user: orm.User, event: Event, store: Store, trainers_group: str, now: float
) -> None:
    """Give the new attendee `ATTENDEE_ROLE` and the service their server's token."""
    role = orm.Role.find(db, ATTENDEE_ROLE)
    if role is not None:  # defined in load_roles by hub/config.py
        grant_role(db, user, role)
    token = user.new_api_token(
        scopes=attendee_token_scopes(user.name, trainers_group),
        note=f"workshops: the trainer's page of event {event.id}",
        expires_in=max(int(event.end - now), 0) + GRACE_SECONDS,
    )
    store.set_access(user.name, token)
