"""The administrators' side of harvesting in the twins service: the sources page
(``harvest``), the same as JSON (``harvest/sources``), and "Harvest now"
(``harvest/sources/<name>/harvest``, POST, with the XSRF token when by cookie).

Only the hub's administrators: anyone else gets 403 (a person opening the page unsigned
is sent to the hub's login). Unlike the service's open reads, no CORS header: no other
origin reads what is here. The harvests themselves run in the service (harvest/schedule.py).
"""

from __future__ import annotations

from dataclasses import asdict
from http import HTTPStatus
from typing import Any

from ..base.auth import ServiceHandler
from ..base.errors import ServiceError
from .errors import NotFound
from .harvest.schedule import Harvester
from .harvest.sources import read_sources

#: Problems of a harvest the page shows (the JSON has them all).
PROBLEMS_SHOWN = 20


class NotAllowed(ServiceError):
    """The caller is not one of the hub's administrators."""

    status = HTTPStatus.FORBIDDEN


class HarvestingHandler(ServiceHandler):
    async def prepare(self) -> None:
        await super().prepare()
        if self._finished:  # sent to the login
            return
        if not self.viewer.admin:
            raise NotAllowed("only the hub's administrators see and run the harvests")
        if self.harvester is None:
            raise NotFound("this service has no harvest folder (TwinsApp.harvest_dir)")

    @property
    def harvester(self) -> Harvester | None:
        return self.settings.get("harvester")

    def sources(self) -> list[dict[str, Any]]:
        """Each declared source with its last harvests and whether one is going on."""
        harvester = self.harvester
        folder = harvester.folder
        with harvester.lock:
            running = asdict(harvester.running) if harvester.running else None
            waiting = list(harvester.waiting)
        index = folder.index()
        found = []
        for name, source in read_sources(folder.root).items():
            harvests = folder.state(name).get("harvests") or []
            found.append(
                {
                    **asdict(source),
                    "twins": index.get(name, {}).get("objects", 0),
                    "last": harvests[-1] if harvests else None,
                    "harvests": harvests,
                    "running": running if running and running["source"] == name else None,
                    "waiting": name in waiting,
                    "harvest_url": f"{self.settings['prefix']}harvest/sources/{name}/harvest",
                }
            )
        return found


class SourcesPage(HarvestingHandler):
    def get(self) -> None:
        self.render(
            "harvest.html",
            sources=self.sources(),
            problems_shown=PROBLEMS_SHOWN,
            xsrf=self.xsrf_token.decode(),
            viewer=self.viewer,
        )


class SourcesHandler(HarvestingHandler):
    def get(self) -> None:
        self.finish({"sources": self.sources()})


class HarvestNowHandler(HarvestingHandler):
    def post(self, name: str) -> None:
        if name not in read_sources(self.harvester.folder.root):
            raise NotFound(f"no source {name!r} (echoes harvest list)", "name")
        asked = self.harvester.ask(name)
        if self.from_page_form():  # the page's button: back to the page
            self.redirect(f"{self.settings['prefix']}harvest#{name}", status=303)
            return
        self.set_status(202)
        self.finish(
            {"source": name, "asked": asked, "status": f"{self.settings['prefix']}harvest/sources"}
        )
