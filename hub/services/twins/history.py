"""What the public interpretations of an object said at a date: the citable snapshot.

``objects/<collection>/<id>/interpretations?at=<time>`` gives each public interpretation
of the object (and each response to one) as it was at that time: one made later is left
out, one changed since is read as it was then from the annotation service's revisions
(anonymously: the revisions anyone could read when each was current), and the status and
agreements are those of the responses made by then. The reply carries the time and a
digest of what it lists, so a citation can say exactly what it cites.

Visibility wins over history: an annotation public then but private now is not shown (its
owner withdrew it), nor one public now that was private then.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .commons import Commons
from .errors import BadQuery, QueryFailed

SERVICE_PATH = "/services/annotations/"


def moment(value: str, field: str = "at") -> datetime:
    """An ISO 8601 time (a date, or a date and time; UTC when it names no zone)."""
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadQuery(f"{field} is an ISO 8601 time, e.g. 2026-12-01T12:00:00Z", field) from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def stamp_of(doc: dict, key: str) -> datetime | None:
    value = doc.get(key)
    return moment(value, key) if isinstance(value, str) else None


def digest(items: list[dict[str, Any]]) -> str:
    text = json.dumps(items, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


async def revision_at(annotations_url: str, annotation: str, at: datetime) -> dict | None:
    """The document of ``annotation`` current at ``at`` that anyone could read, or None."""
    internal = annotations_url + annotation.partition(SERVICE_PATH)[2] + "/revisions"
    try:
        reply = await AsyncHTTPClient().fetch(internal, request_timeout=30, raise_error=False)
    except (OSError, HTTPClientError) as error:
        raise QueryFailed(f"the annotation service's revisions: {error}") from None
    if reply.code == 404:
        return None
    if reply.code != 200:
        raise QueryFailed(f"the annotation service's revisions answered {reply.code}")
    found = None
    for revision in json.loads(reply.body).get("items", []):
        if moment(revision["at"], "at") <= at:
            found = None if revision["action"] == "delete" else revision["doc"]
    return found


async def interpretations_at(
    commons: Commons, annotations_url: str, obj: str, at: datetime
) -> list[dict[str, Any]]:
    """The public interpretations of ``obj`` as they were at ``at``."""
    then = Commons(commons.objects)
    named = commons.of_object.get(obj, [])
    for annotation in [*named, *(r for a in named for r in commons.answers.get(a, []))]:
        doc = commons.docs.get(annotation)
        created = stamp_of(doc, "created") if doc else None
        if doc is None or created is None or created > at:
            continue
        modified = stamp_of(doc, "modified")
        if modified is not None and modified > at:
            doc = await revision_at(annotations_url, annotation, at)
            if doc is None or doc.get("visibility") != "public":
                continue
        then.apply({"id": annotation, "annotation": doc})
    return then.interpretations(obj)
