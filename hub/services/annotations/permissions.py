"""Who may see, change and claim what: the visibility and ownership rules in one place.

- An annotation belongs to the hub user who created it (its *owner*), directly as a
  ``Person`` or through a ``Software`` agent acting on that user's behalf.
- The owner and administrators see it always; others see it when it is public, or
  shared with a hub group they belong to.
- Only the owner or an administrator changes or deletes it.
- The creator is set by the server from the requester's identity: a request may claim
  to be a Software agent acting for itself, never to be another person or to act for one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden
from .model import Creator


@dataclass(frozen=True)
class Viewer:
    """The authenticated hub user making a request."""

    name: str
    admin: bool = False
    groups: frozenset[str] = frozenset()


def person(name: str) -> dict:
    """The Person a hub user is in annotations."""
    return {"id": f"urn:echoes:user:{name}", "type": "Person", "nickname": name}


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
    return {
        "id": f"urn:echoes:agent:{viewer.name}:{claim.name}",
        "type": "Software",
        "name": claim.name,
        "version": claim.version,
        "actedOnBehalfOf": person(viewer.name),
    }


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


def check_edit(viewer: Viewer, owner: str) -> None:
    if not (viewer.admin or owner == viewer.name):
        raise Forbidden("only the creator or an administrator may change this annotation")
