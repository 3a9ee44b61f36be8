"""The handler base of services that serve open data: anonymous reads from any origin.

The IIIF service (images, manifests) and the twins service (graph, object pages) serve
the shared data, which are open data: they never ask the hub who calls (no request waits
on it), take no cookie or token, and answer any origin (``Access-Control-Allow-Origin:
*``, never with credentials). Their answers are never framed, unless a handler names who
may frame it (`frame_ancestors`): the twins service's object pages, which JupyterLab shows.
"""

from __future__ import annotations

from typing import ClassVar

from .auth import JSONErrors


class OpenReads(JSONErrors):
    """Anonymous, readable from any origin; errors as JSON. A subclass names the methods
    and request headers its preflight allows and the reply headers scripts may read."""

    allowed_methods: ClassVar[str] = "GET, OPTIONS"
    allowed_headers: ClassVar[str] = "Accept"
    exposed_headers: ClassVar[str] = "Content-Type"

    @property
    def frame_ancestors(self) -> str:
        """The pages that may frame this handler's answers (CSP ``frame-ancestors``)."""
        return "'none'"

    def set_default_headers(self) -> None:
        # Never framed, as every service's pages (an <img> or a fetch is no frame), unless
        # the handler says by whom.
        ancestors = self.frame_ancestors
        self.set_header("Content-Security-Policy", f"frame-ancestors {ancestors}")
        if ancestors == "'none'":
            self.set_header("X-Frame-Options", "DENY")
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Access-Control-Expose-Headers", self.exposed_headers)
        self.set_header("X-Content-Type-Options", "nosniff")

    def options(self, *args: str, **kwargs: str) -> None:
        # A preflight (a script sending a header of its own): no credentials.
        self.set_header("Allow", self.allowed_methods)
        self.set_header("Access-Control-Allow-Methods", self.allowed_methods)
        self.set_header("Access-Control-Allow-Headers", self.allowed_headers)
        self.set_header("Access-Control-Max-Age", "600")
        self.set_status(200)  # with Allow, as every service's OPTIONS (base/openapi.py)
