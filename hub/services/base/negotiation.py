"""Which of the representations a service offers a request's ``Accept`` header asks for.

No web framework here: the annotation service (JSON-LD, Turtle, N-Triples) and the twins
service (SPARQL results, RDF syntaxes, HTML pages) both choose with `choose`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def quality(accept: str, kinds: Sequence[str]) -> float:
    """The q the ``Accept`` header gives a representation known as any of ``kinds``:
    that of its most specific matching range (0 when none matches)."""
    best, specificity = 0.0, -1
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        kind = kind.lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        for candidate in kinds:
            major = candidate.split("/")[0]
            rank = {candidate: 2, f"{major}/*": 1, "*/*": 0}.get(kind, -1)
            if rank > specificity:
                best, specificity = q, rank
    return best


def choose(
    accept: str | None,
    offered: Sequence[str],
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> str | None:
    """The media type of ``offered`` to answer ``Accept: accept`` with: the first offered
    when it says nothing, else the one it rates highest (the earlier one of a tie); None
    when it takes none. ``aliases``: other media types that ask for an offered one (JSON
    for JSON-LD)."""
    if not accept or not accept.strip():
        return offered[0]
    aliases = aliases or {}
    rated = [
        (quality(accept, aliases.get(kind, (kind,))), -i, kind) for i, kind in enumerate(offered)
    ]
    q, _, best = max(rated)
    return best if q > 0 else None
