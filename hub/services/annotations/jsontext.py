"""JSON text that embeds parts which are JSON text already.

Pages of search results hold stored annotations; writing them from the stored text
saves parsing and serialising every document on the hot path. `Raw` marks such a part
and `dumps` splices it in. A plain `json.dumps` refuses a `Raw`, so none slips through
as a quoted string.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: A string the serialised placeholder becomes; user text cannot produce it, because the
#: model refuses control characters (U+0000) in every string and key.
_PLACEHOLDER = re.compile(r'"\\u0000(\d+)\\u0000"')


class Raw:
    """A value that is JSON text already (one object, array, string or number)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def dumps(value: Any) -> str:
    """``value`` as JSON text (not ASCII-escaped), each `Raw` inside it spliced in as is."""
    parts: list[str] = []

    def mark(item: Any) -> Any:
        if isinstance(item, Raw):
            parts.append(item.text)
            return f"\x00{len(parts) - 1}\x00"
        if isinstance(item, dict):
            return {key: mark(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [mark(inner) for inner in item]
        return item

    text = json.dumps(mark(value), ensure_ascii=False)
    if not parts:
        return text
    return _PLACEHOLDER.sub(lambda found: parts[int(found.group(1))], text)
