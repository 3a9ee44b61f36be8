"""Following the annotation service's change feed, as an anonymous reader.

The twins service asks ``changes?since=N&wait=...`` (a long poll: the annotation service
answers as soon as something changes) and hands each page to `store.Twins.take`. As an
anonymous reader it is given only what anyone may read: public annotations; one that
was deleted or made private comes as ``gone`` and leaves the graph. So the graph can never
show anyone an annotation they could not read in the annotation service.

It starts from change 0 at every start of the service (the graph is made anew from the
data build then), and waits `RETRY` seconds after a failure (the annotation service
restarting, say) before asking again from where it was.
"""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .store import Twins

log = logging.getLogger(__name__)
#: Seconds the annotation service may hold a long poll (it allows up to 30).
WAIT = 25
#: Seconds to wait after a failed request before the next one.
RETRY = 2.0
#: Changes one request reads.
PAGE = 1000


async def follow(twins: Twins, annotations_url: str) -> None:
    """Take the annotation service's changes into ``twins``, for ever (cancel to stop)."""
    client = AsyncHTTPClient()
    since = 0
    while True:
        query = urlencode({"since": since, "limit": PAGE, "wait": WAIT})
        try:
            reply = await client.fetch(
                f"{annotations_url}changes?{query}",
                request_timeout=WAIT + 30,
                headers={"Accept": "application/json"},
            )
            feed = json.loads(reply.body)
            if feed["changes"]:
                await twins.take(feed["changes"])
            since = int(feed["last"])
        except (OSError, HTTPClientError, ValueError, KeyError, TypeError) as error:
            log.warning("the annotation service's change feed: %s; again in %gs", error, RETRY)
            await asyncio.sleep(RETRY)
