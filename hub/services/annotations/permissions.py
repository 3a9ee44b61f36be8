"""Who may see, change and claim what: the visibility and ownership rules in one place.

- An annotation belongs to the hub user who created it (its *owner*), directly as a
  ``Person`` or through a ``Software`` agent acting on that user's behalf.
- The owner and administrators see it always; others see it when it is public, or
  shared with a hub group they belong to.
- Only the owner or an administrator changes or deletes it.
- The creator is set by the server from the requester's identity: a request may claim
  to be a Software agent acting for itself, never to be another person or to act for one.
- Imports (collections written by Mirador, Annotorious or another store) follow the same
  rule without refusing: the importer becomes the creator (their Software agent of the
  same name if the original was Software; a Software creator that names no owner and no
  id is the importer's, as on create), the original IRI is kept in ``via`` and the
  original creator, as the document gave it, in ``as:attributedTo`` (ActivityStreams,
  whose ``as:`` prefix the W3C annotation context defines). Both are the importer's
  account of where the annotation came from, kept as provenance, not identities the hub
  vouches for. Administrators may import keeping the original creators (migrations
  between stores): then the owner is the hub user the creator names
  (``urn:echoes:user:<name>``, or the user an ``urn:echoes:agent:`` acts for), else the
  administrator.
"""

from __future__ import annotations

import re
from typing import Any

from ..viewer import Viewer
from .errors import Forbidden
from .model import Creator

USER_IRI = "urn:echoes:user:"
AGENT_IRI = "urn:echoes:agent:"
_HUB_NAME = re.compile(r"^[^\s/:]{1,64}$")


def person(name: str) -> dict:
    """The Person a hub user is in annotations."""
    return {"id": f"{USER_IRI}{name}", "type": "Person", "nickname": name}


def agent(owner: str, name: str, version: str) -> dict:
    """The Software agent ``name`` acting for the hub user ``owner``."""
    found = {"id": f"{AGENT_IRI}{owner}:{name}", "type": "Software", "name": name}
    if version:
        found["version"] = version
    found["actedOnBehalfOf"] = person(owner)
    return found


def creator_for(viewer: Viewer, claim: Creator | None) -> dict:
    """The creator to store for a request by ``viewer`` that claims ``claim``."""
    if claim is None:
        return person(viewer.name)
    if claim.kind == "Person":
        if claim.name and claim.name not in (viewer.name, f"urn:echoes:user:{viewer.name}"):
            raise Forbidden(
                f"you are {viewer.name!r}; you cannot create as {claim.name!r}", "creator"
            )
        return person(viewer.name)
    if claim.on_behalf_of and claim.on_behalf_of not in (
        viewer.name,
        f"urn:echoes:user:{viewer.name}",
    ):
        raise Forbidden(
            f"you are {viewer.name!r}; an agent cannot act for {claim.on_behalf_of!r} through you",
            "creator.actedOnBehalfOf",
        )
    return agent(viewer.name, claim.name, claim.version)


def imported_creator(viewer: Viewer, claim: Creator | None, keep: bool) -> tuple[dict, str, Any]:
    """What to store for an annotation ``viewer`` imports that names ``claim`` as creator:
    the creator, the owner, and the original creator to keep as provenance (or None).

    ``keep`` (administrators only; the caller checks) stores the claim as it is.
    """
    if claim is None:
        return person(viewer.name), viewer.name, None
    if keep:
        return claim.claim, _hub_user_of(claim) or viewer.name, None
    me = (viewer.name, f"{USER_IRI}{viewer.name}")
    if claim.kind == "Software":
        mine = claim.on_behalf_of in ("", *me) and claim.iri in (
            "",
            f"{AGENT_IRI}{viewer.name}:{claim.name}",
        )
        return agent(viewer.name, claim.name, claim.version), viewer.name, _unless(mine, claim)
    mine = claim.kind == "Person" and (claim.iri == me[1] or (not claim.iri and claim.name in me))
    return person(viewer.name), viewer.name, _unless(mine, claim)


def _unless(mine: bool, claim: Creator) -> Any:
    return None if mine else claim.claim


def _hub_user_of(claim: Creator) -> str | None:
    """The hub user an ECHOES creator IRI names (a person, or whom an agent acts for)."""
    if claim.iri.startswith(USER_IRI):
        name = claim.iri.removeprefix(USER_IRI)
    elif claim.iri.startswith(AGENT_IRI):
        name = claim.iri.removeprefix(AGENT_IRI).split(":", 1)[0]
    elif claim.kind == "Software" and claim.on_behalf_of.startswith(USER_IRI):
        name = claim.on_behalf_of.removeprefix(USER_IRI)
    else:
        return None
    return name if _HUB_NAME.match(name) else None


def creator_keys(creator: str) -> tuple[str | None, str | None]:
    """The (owner, agent name) a search by ``creator`` matches, as stored.

    A person IRI ``urn:echoes:user:X`` is X's own annotations, made by X or by X's
    agents (agent None); an agent IRI
    ``urn:echoes:agent:X:N`` is those of X's agent N: the owner is part of an agent's
    identity, so nobody's agent answers for another person's. A bare name gives
    (None, name): the hub user of that name, or the requester's own agent of that name.
    """
    if creator.startswith(USER_IRI):
        return creator.removeprefix(USER_IRI), None
    if creator.startswith(AGENT_IRI):
        owner, _, name = creator.removeprefix(AGENT_IRI).partition(":")
        return owner, name
    return None, creator


def check_share(viewer: Viewer, visibility: str, group: str | None) -> None:
    """Only members of a group (or administrators) may share with it."""
    if visibility == "group" and not viewer.admin and group not in viewer.groups:
        raise Forbidden(f"you are not a member of group {group!r}", "visibility")


def can_read(viewer: Viewer, owner: str, visibility: str, group: str | None) -> bool:
    return (
        viewer.admin
        or owner == viewer.name
        or visibility == "public"
        or (visibility == "group" and group in viewer.groups)
    )


def can_read_revision(viewer: Viewer, owner: str, doc: dict) -> bool:
    """Whether ``viewer`` could read a revision when it was current: its own visibility."""
    value = doc.get("visibility", "private")
    if isinstance(value, str) and value.startswith("group:"):
        return can_read(viewer, owner, "group", value[6:])
    return can_read(viewer, owner, value if value == "public" else "private", None)


def check_edit(viewer: Viewer, owner: str) -> None:
    if not (viewer.admin or owner == viewer.name):
        raise Forbidden("only the creator or an administrator may change this annotation")
