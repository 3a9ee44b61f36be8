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
from .materials import snapshot_files, source_folder, take_snapshot
from .model import FIELDS, parse_event
from .openapi import document
from .store import Event, Store, new_event_id

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

    def snapshot(self, trainer: str, folder: str, event_id: str) -> None:
        """Copy the trainer's materials folder into the event's snapshot."""
        source = source_folder(self.settings["homes"], trainer, folder)
        take_snapshot(source, self.settings["materials"] / event_id)

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
        event_id = new_event_id()
        if fields.materials_kind == "folder":  # before the event exists: refused, no event
            self.snapshot(viewer.name, fields.materials, event_id)
        options = self.service_settings
        event = self.store.create(viewer.name, fields, options.code_length, event_id)
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


class PushHandler(BaseHandler):
    async def post(self, event_id: str) -> None:
        """The trainer's update: a new snapshot of their folder (or, for git, a new
        version to pull); attendees' servers merge it into their homes."""
        event = self.own_event(event_id)
        if not event.materials:
            raise InvalidEvent("this event has no materials", "materials")
        if not event.materials.startswith(("https://", "http://")):
            self.snapshot(event.trainer, event.materials, event.id)
        event = self.store.push_materials(event.id)
        log.info(
            "%s pushed version %d of %s's materials",
            self.viewer.name,
            event.materials_version,
            event.id,
        )
        self.finish(self.event_model(event))


class MaterialsHandler(BaseHandler):
    """An attendee's materials, asked for by their server (echoes/materials.py)."""

    def attendee_event(self) -> Event:
        seat = self.store.seat(self.viewer.name)
        event = self.store.get(seat.event) if seat else None
        if event is None or event.revoked or not event.materials:
            raise NotFound("no materials for you: you are not an attendee of an event with any")
        return event

    async def get(self) -> None:
        event = self.attendee_event()
        git = event.materials.startswith(("https://", "http://"))
        self.finish(
            {
                "event": event.id,
                "title": event.title,
                "version": event.materials_version,
                "kind": "git" if git else "folder",
                "source": event.materials if git else Path(event.materials).name,
            }
        )


class MaterialsFilesHandler(MaterialsHandler):
    async def get(self) -> None:
        event = self.attendee_event()
        if event.materials.startswith(("https://", "http://")):
            raise NotFound("git materials are pulled from their repository", "kind")
        files = snapshot_files(self.settings["materials"] / event.id)
        self.finish({"version": event.materials_version, "files": files})


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
    Route(
        "api/events/{event_id}/materials",
        PushHandler,
        {"post": "Push the materials again (a new snapshot of the trainer's folder)"},
        replies={"post": "Event"},
    ),
    Route(
        "api/materials",
        MaterialsHandler,
        {"get": "The calling attendee's materials: their version, kind and source"},
        replies={"get": "Materials"},
    ),
    Route(
        "api/materials/files",
        MaterialsFilesHandler,
        {"get": "The files of the calling attendee's folder materials (base64)"},
        replies={"get": "MaterialsFiles"},
    ),
]
