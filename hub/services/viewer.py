"""Who makes a request to a managed service: a hub user with the groups and admin flag
the hub reports, or anonymous (name "", a visitor of a public app). One class for every
service; only the name is positional, so the flags cannot be given in the wrong order."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any


@dataclass(frozen=True)
class Viewer:
    """The authenticated hub user making a request, or anonymous."""

    name: str = ""
    _: KW_ONLY
    admin: bool = False
    groups: frozenset[str] = frozenset()

    @classmethod
    def of(cls, user: dict[str, Any]) -> Viewer:
        """The viewer a hub user model (the hub's REST API, or ``HubAuth``) describes."""
        return cls(
            user["name"], admin=bool(user.get("admin")), groups=frozenset(user.get("groups") or ())
        )

    @property
    def anonymous(self) -> bool:
        return not self.name
