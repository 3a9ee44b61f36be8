"""Thin tornado handlers over the store and one route table (`ROUTES`), on the service
base: hub OAuth or token, errors as ``{"error", "message", "field"}`` JSON, OpenAPI.

The page (``""``) lists the caller's events and has the form that creates one; the form
posts to the same API as `echoes workshop create` (`api/events`), with the XSRF token,
and is sent back to the page. Trainers see their own events, administrators all.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from jupyterhub.utils import url_path_join

from ..base.auth import ServiceHandler
from ..base.routes import Route
from ..viewer import Viewer
from .errors import InvalidEvent, NotAllowed, NotFound
from .model import FIELDS, parse_event
from .openapi import document
from .store import Event, Store

HERE = Path(__file__).parent
log = logging.getLogger("echoes.workshops")


class BaseHandler(ServiceHandler):
    @property
    def store(self) -> Store:
        return self.settings["store"]

    def is_trainer(self, viewer: Viewer) -> bool:
        return viewer.admin or self.service_settings.trainers_group in viewer.groups

    def own_event(self, event_id: str) -> Event:
        """The event, if the caller runs it (or is an administrator); else 404."""
        event = self.store.get(event_id)
        viewer = self.viewer
        if not (viewer.admin or viewer.name == event.trainer):
            raise NotFound(f"no event {event_id!r}", "id")
        return event

    def event_model(self, event: Event) -> dict[str, Any]:
        model = event.to_dict(time.time(), with_code=True)
        model["join_url"] = self.join_url(event)
        return model

    def join_url(self, event: Event) -> str:
        """The one link of the event: the hub's join page (hub/services/workshops/join.py)."""
        hub = self.settings["hub_url"]
        return url_path_join(hub, "hub", "join", event.id)

    def visible_events(self) -> list[Event]:
        viewer = self.viewer
        return self.store.list(None if viewer.admin else viewer.name)


class PageHandler(BaseHandler):
    async def get(self) -> None:
        viewer = self.viewer
        self.render(
            "page.html",
            viewer=viewer,
            trainer=self.is_trainer(viewer),
            events=[self.event_model(e) for e in self.visible_events()],
            api=url_path_join(self.settings["prefix"], "api/events"),
            xsrf=self.xsrf_token.decode(),
        )


class EventsHandler(BaseHandler):
    async def get(self) -> None:
        self.finish({"events": [self.event_model(e) for e in self.visible_events()]})

    async def post(self) -> None:
        viewer = self.viewer
        if not self.is_trainer(viewer):
            group = self.service_settings.trainers_group
            raise NotAllowed(
                f"only members of the group {group!r} and administrators create events"
            )
        from_form = self.request.headers.get("Content-Type", "").startswith(
            "application/x-www-form-urlencoded"
        )
        body = self.form_fields() if from_form else self.json_body()
        fields = parse_event(body, self.service_settings.max_seats)
        event = self.store.create(viewer.name, fields, self.service_settings.code_length)
        log.info("%s created the event %s (%s)", viewer.name, event.id, event.title)
        if from_form:  # the page's form: back to the page, at the new event
            self.redirect(f"{self.settings['prefix']}#{event.id}", status=303)
            return
        self.set_status(201)
        self.finish(self.event_model(event))

    def json_body(self) -> Any:
        try:
            return json.loads(self.request.body or b"{}")
        except ValueError as e:
            raise InvalidEvent(f"the request body is not JSON: {e}", "$") from e

    def form_fields(self) -> dict[str, str]:
        given = {name: self.get_body_argument(name, "") for name in FIELDS}
        # An unticked box is not sent; empty optional fields take their defaults.
        given["keep_work"] = given["keep_work"] or "false"
        return {k: v for k, v in given.items() if v != "" or k in ("title", "start", "end")}


class EventHandler(BaseHandler):
    async def get(self, event_id: str) -> None:
        event = self.own_event(event_id)
        model = self.event_model(event)
        model["attendees"] = [
            {"account": s.account, "display_name": s.display_name, "joined": s.joined}
            for s in self.store.seats_of(event.id)
        ]
        self.finish(model)

    async def delete(self, event_id: str) -> None:
        """Revoke: the code stops working; attendees' sessions end (EchoesAuthenticator)."""
        self.own_event(event_id)
        event = self.store.revoke(event_id)
        log.info("%s revoked the event %s", self.viewer.name, event.id)
        self.finish(self.event_model(event))


class OpenAPIHandler(BaseHandler):
    require_user = False

    async def get(self) -> None:
        self.finish(document(ROUTES, self.settings["public_url"]))


ROUTES = [
    Route("", PageHandler, {"get": "The trainer's page: their events and the form for a new one"}),
    Route(
        "openapi.json",
        OpenAPIHandler,
        {"get": "This OpenAPI description"},
        replies={"get": "OpenAPI"},
    ),
    Route(
        "api/events",
        EventsHandler,
        {
            "get": "The caller's events (administrators: all), with codes and join links",
            "post": "Create an event (trainers and administrators); JSON, or the page's form",
        },
        replies={"get": "Events", "post": "Event"},
        body="NewEvent",
    ),
    Route(
        "api/events/{event_id}",
        EventHandler,
        {
            "get": "One of the caller's events, with its attendees",
            "delete": "Revoke the event: its code stops working and its attendees' "
            "sessions end; the record stays",
        },
        replies={"get": "Event", "delete": "Event"},
    ),
]
