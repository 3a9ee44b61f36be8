"""Request logs as tornado writes them, without the credentials a URL may carry."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit

from tornado import web

#: Query arguments that carry credentials (hub tokens, OAuth codes and states, XSRF tokens).
SECRET_ARGUMENTS = frozenset(["token", "access_token", "code", "state", "_xsrf"])


def scrub_uri(uri: str) -> str:
    """``uri`` with the values of credential-bearing query arguments blanked."""
    parts = urlsplit(uri)
    if not parts.query:
        return uri
    query = [
        (name, "[secret]" if name.lower() in SECRET_ARGUMENTS else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return parts._replace(query=urlencode(query, safe="[]:/")).geturl()


def request_summary(request) -> str:
    """What tornado's logs say of a request, scrubbed."""
    return f"{request.method} {scrub_uri(request.uri or '')} ({request.remote_ip})"


def log_request(handler: web.RequestHandler) -> None:
    """Tornado's access log line (its `log_function`), scrubbed: tornado's own writes the
    full URI, ?token= included."""
    status = handler.get_status()
    log = logging.getLogger("tornado.access")
    method = log.info if status < 400 else log.warning if status < 500 else log.error
    request = handler.request
    method("%d %s %.2fms", status, request_summary(request), 1000.0 * request.request_time())
