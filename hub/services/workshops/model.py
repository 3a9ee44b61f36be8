"""An event's fields as a trainer gives them, checked: each refusal names its field.

No web framework and no database here: `parse_event` turns a JSON object (or a form's
fields) into an `EventFields`, or raises `InvalidEvent` naming the field.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from .errors import InvalidEvent

#: Crockford's base32: no I, L, O, U, so a code read aloud or from a slide is typed right.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Memory as Docker and the spawners write it: a number and an optional unit.
MEMORY = re.compile(r"^[1-9][0-9]*(\.[0-9]+)?[KMGT]?$")
MAX_CPU = 64.0
FIELDS = ("title", "start", "end", "seats", "cpu", "memory", "materials", "keep_work")
#: The longest display name an attendee types (join page) or a trainer's CSV gives.
MAX_DISPLAY_NAME = 60


@dataclass(frozen=True)
class EventFields:
    title: str
    start: datetime
    end: datetime
    seats: int
    cpu: float
    memory: str
    #: "" (none), a folder in the trainer's home (relative), or a git URL (https).
    materials: str
    keep_work: bool

    @property
    def materials_kind(self) -> str:
        """ "git", "folder" or "" (none)."""
        if not self.materials:
            return ""
        return "git" if is_git_url(self.materials) else "folder"


def new_code(length: int) -> str:
    """A join code: `length` letters of CODE_ALPHABET, 5 bits of entropy each."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_account_name(prefix: str) -> str:
    """An attendee's hub account: `prefix` (WorkshopsService.account_prefix) and ten random
    hex digits, never the name they gave, so nobody joins as someone else. The one rule
    of the join page and of a trainer's CSV."""
    return prefix + secrets.token_hex(5)


def normal_code(typed: str) -> str:
    """A code as typed (any case, spaces or dashes between groups) in its stored form."""
    return re.sub(r"[\s-]", "", typed).upper()


def is_git_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def moment(value: Any, field: str) -> datetime:
    """An ISO 8601 date and time; without a zone it is UTC."""
    if not isinstance(value, str):
        raise InvalidEvent(f"{field} must be an ISO 8601 date and time", field)
    try:
        when = datetime.fromisoformat(value)
    except ValueError as e:
        raise InvalidEvent(f"{field} is not an ISO 8601 date and time: {value!r}", field) from e
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _number(value: Any, field: str, kind: type) -> Any:
    if isinstance(value, str):  # a form's field
        try:
            value = kind(value)
        except ValueError as e:
            raise InvalidEvent(f"{field} must be a number", field) from e
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidEvent(f"{field} must be a number", field)
    if kind is int and value != int(value):
        raise InvalidEvent(f"{field} must be a whole number", field)
    return kind(value)


def _flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "on", "1", "yes"):
        return True
    if value in ("false", "off", "0", "no", ""):
        return False
    raise InvalidEvent(f"{field} must be true or false", field)


def _materials(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or len(value) > 1000:
        raise InvalidEvent("materials must be a folder in your home or a git URL", "materials")
    if is_git_url(value):
        return value
    if "://" in value or value.startswith("git@"):
        raise InvalidEvent("a git URL of the materials must be https:// (or http://)", "materials")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts:
        raise InvalidEvent("materials: a folder relative to your home, without '..'", "materials")
    return str(path)


def parse_event(body: Any, max_seats: int) -> EventFields:
    """The event a trainer asks for; `InvalidEvent` names the first wrong field."""
    if not isinstance(body, dict):
        raise InvalidEvent("send a JSON object with the event's fields", "$")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise InvalidEvent(f"unknown field {unknown[0]!r}", unknown[0])
    for field in ("title", "start", "end", "seats"):
        if body.get(field) in (None, ""):
            raise InvalidEvent(f"{field} is required", field)
    title = body["title"]
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise InvalidEvent("title must be text of 1 to 200 characters", "title")
    start, end = moment(body["start"], "start"), moment(body["end"], "end")
    if end <= start:
        raise InvalidEvent("end must come after start", "end")
    seats = _number(body["seats"], "seats", int)
    if not 1 <= seats <= max_seats:
        raise InvalidEvent(f"seats must be 1 to {max_seats}", "seats")
    cpu = _number(body.get("cpu", 1), "cpu", float)
    if not 0 < cpu <= MAX_CPU:
        raise InvalidEvent(f"cpu must be more than 0 and at most {MAX_CPU:g}", "cpu")
    memory = body.get("memory") or "1G"
    if not isinstance(memory, str) or not MEMORY.match(memory):
        raise InvalidEvent("memory must be a size such as 512M or 2G", "memory")
    return EventFields(
        title=title.strip(),
        start=start,
        end=end,
        seats=seats,
        cpu=cpu,
        memory=memory,
        materials=_materials(body.get("materials")),
        keep_work=_flag(body.get("keep_work", False), "keep_work"),
    )
