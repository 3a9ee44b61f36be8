"""Thin tornado handlers over the store and one route table (`ROUTES`), on the service
base: hub OAuth or token, errors as ``{"error", "message", "field"}`` JSON, OpenAPI.

The page (``""``) lists the caller's events and has the form that creates one; the form
posts to the same API as `echoes workshop create` (`api/events`), with the XSRF token,
and is sent back to the page. Trainers see their own events, administrators all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from jupyterhub.utils import url_path_join
from tornado.httpclient import HTTPClientError

from ..base.auth import ServiceHandler
from ..base.routes import Route
from ..viewer import Viewer
from .collect import checked_path, content_bytes, folder_names, write_as_owner
from .credentials import hash_password, new_password, parse_people, people_csv
from .errors import InvalidEvent, InvalidRequest, NotAllowed, NotFound
from .expiry import archive_path
from .live import Servers
from .materials import snapshot_files, source_folder, take_snapshot
from .model import FIELDS, new_account_name, parse_event
from .openapi import document
from .store import Event, Seat, Store, iso, new_event_id

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
        if event.state(time.time()) != "upcoming":  # the end's archives, once made
            model["archives"] = self.archives_of(event)
        # When the end's steps were done (expiry.py), or None.
        ending = self.store.ending(event.id)
        model["archived"] = iso(ending.archived) if ending.archived else None
        model["removed"] = iso(ending.removed) if ending.removed else None
        return model

    def archives_of(self, event: Event) -> list[dict[str, Any]]:
        """The attendees' archived homes (expiry.py), with their download links."""
        found = []
        for seat in self.store.seats_of(event.id):
            path = archive_path(self.settings["archives"], event.id, seat.account)
            if path.is_file():
                url = f"{self.settings['prefix']}api/events/{event.id}/archives/{seat.account}"
                found.append(
                    {
                        "account": seat.account,
                        "display_name": seat.display_name,
                        "size": path.stat().st_size,
                        "url": url,
                    }
                )
        return found

    def join_url(self, event: Event) -> str:
        """The one link of the event: the hub's join page (hub/services/workshops/join.py)."""
        hub = self.settings["hub_url"]
        return url_path_join(hub, "hub", "join", event.id)

    def snapshot(self, trainer: str, folder: str, event_id: str) -> None:
        """Copy the trainer's materials folder into the event's snapshot."""
        source = source_folder(self.settings["homes"], trainer, folder)
        take_snapshot(source, self.settings["materials"] / event_id)

    def own_archive(self, name: str) -> Path:
        """The archive of attendee `name`'s home while they may download it; else 404."""
        seat = self.store.seat(name)
        ending = self.store.ending(seat.event) if seat else None
        if ending is None or ending.archived is None:
            raise NotFound("no archive of your work: your event has not ended", "account")
        if time.time() >= ending.archived + self.service_settings.download_seconds:
            raise NotFound("the download time of your archive is over", "account")
        return archive_path(self.settings["archives"], seat.event, name)

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
            live=url_path_join(self.settings["prefix"], "events"),
            xsrf=self.xsrf_token.decode(),
            archive=self.archive_link(viewer.name),
        )

    def archive_link(self, name: str) -> str:
        """An attendee's link to their archive, while they may download it."""
        try:
            found = self.own_archive(name).is_file()
        except NotFound:
            found = False
        return f"{self.settings['prefix']}api/archive" if found else ""


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
        from_form = self.from_page_form()
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


class EndHandler(BaseHandler):
    async def post(self, event_id: str) -> None:
        """End the event now, not at its end time: servers stop and homes are archived
        as at the end (expiry.py, at its next round)."""
        event = self.own_event(event_id)
        if event.state(time.time()) == "upcoming":
            raise InvalidEvent("the event has not started: revoke it instead", "id")
        event = self.store.end_now(event.id, time.time())
        log.info("%s ended the event %s", self.viewer.name, event.id)
        if self.from_page_form():  # the page's button: back to the page, at the event
            self.redirect(f"{self.settings['prefix']}#{event.id}", status=303)
            return
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
        self.finish(materials_model(self.attendee_event()))


def materials_model(event: Event) -> dict[str, Any]:
    """What an attendee's server needs to pull the event's materials."""
    git = event.materials.startswith(("https://", "http://"))
    return {
        "event": event.id,
        "title": event.title,
        "version": event.materials_version,
        "kind": "git" if git else "folder",
        "source": event.materials if git else Path(event.materials).name,
    }


class MaterialsFilesHandler(MaterialsHandler):
    async def get(self) -> None:
        event = self.attendee_event()
        if event.materials.startswith(("https://", "http://")):
            raise NotFound("git materials are pulled from their repository", "kind")
        files = snapshot_files(self.settings["materials"] / event.id)
        self.finish({"version": event.materials_version, "files": files})


class CredentialsHandler(BaseHandler):
    """A trainer's CSV of names and e-mails in, printable one-time credentials out."""

    async def post(self, event_id: str) -> None:
        event = self.own_event(event_id)
        if event.state(time.time()) in ("ended", "revoked"):
            raise InvalidEvent(f"the event is {event.state(time.time())}", "id")
        uploads = self.request.files.get("people")  # the page's form; else the body
        data = uploads[0]["body"] if uploads else self.request.body
        people = parse_people(data, event.seats - event.taken, self.store.emails_of(event.id))
        prefix = self.service_settings.account_prefix
        passwords = [new_password() for _ in people]
        hashes = await asyncio.to_thread(lambda: [hash_password(p) for p in passwords])
        login_url = url_path_join(self.settings["hub_url"], "hub", "login")
        cards, rows = [], []
        for person, password, hashed in zip(people, passwords, hashes, strict=True):
            account = new_account_name(prefix)
            rows.append(
                {
                    "account": account,
                    "display_name": person.name,
                    "email": person.email,
                    "password": hashed,
                }
            )
            cards.append(
                {
                    "name": person.name,
                    "email": person.email,
                    "username": account,
                    "password": password,
                    "login_url": login_url,
                }
            )
        self.store.add_people(event.id, rows, time.time())
        log.info("%s added %d people to the event %s", self.viewer.name, len(cards), event.id)
        self.set_header("Cache-Control", "no-store")  # shown once: never from a cache
        self.set_status(201)
        accept = self.request.headers.get("Accept", "")
        if uploads or "text/html" in accept:
            self.render(
                "credentials.html",
                event=self.event_model(event),
                cards=cards,
                csv=people_csv(cards),
            )
        elif "text/csv" in accept:
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.finish(people_csv(cards))
        else:
            self.finish({"event": event.id, "people": cards})


class ArchiveDownload(BaseHandler):
    async def send_archive(self, path: Path, account: str) -> None:
        if not path.is_file():
            raise NotFound(f"no archive of {account}'s home", "account")
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f'attachment; filename="{account}.zip"')
        self.set_header("Cache-Control", "private, no-store")
        with path.open("rb") as archive:
            while chunk := archive.read(1 << 20):
                self.write(chunk)
                await self.flush()
        self.finish()


class ArchiveHandler(ArchiveDownload):
    async def get(self, event_id: str, account: str) -> None:
        """An attendee's archive, for the event's trainer (and administrators)."""
        event = self.own_event(event_id)
        seat = self.store.seat(account)
        if seat is None or seat.event != event.id:
            raise NotFound(f"no attendee {account!r} in this event", "account")
        await self.send_archive(archive_path(self.settings["archives"], event.id, account), account)


class MyArchiveHandler(ArchiveDownload):
    async def get(self) -> None:
        """The caller's own archive, for `download_seconds` after the end of their event."""
        name = self.viewer.name
        await self.send_archive(self.own_archive(name), name)


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
        "api/events/{event_id}/end",
        EndHandler,
        {
            "post": "End the event now: its servers stop and its homes are archived as at "
            "its end (an upcoming event is revoked instead)"
        },
        replies={"post": "Event"},
    ),
    Route(
        "api/events/{event_id}/materials",
        PushHandler,
        {"post": "Push the materials again (a new snapshot of the trainer's folder)"},
        replies={"post": "Event"},
    ),
    Route(
        "api/events/{event_id}/credentials",
        CredentialsHandler,
        {
            "post": "Add people from a CSV (columns name, email; text/csv or the page's "
            "form): one account each, with a one-time password, shown only in this reply "
            "(JSON, or text/html: cards to print, or text/csv)"
        },
        replies={"post": "Credentials"},
    ),
    Route(
        "api/events/{event_id}/archives/{account}",
        ArchiveHandler,
        {"get": "An attendee's home as archived at the end of the event (zip)"},
        replies={"get": "Zip"},
    ),
    Route(
        "api/archive",
        MyArchiveHandler,
        {
            "get": "The caller's own home as archived at the end of their event (zip), "
            "for WorkshopsService.download_seconds"
        },
        replies={"get": "Zip"},
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


# The trainer's live page (live.py, access.py): who joined, their servers, raised hands,
# help, messages and collecting; and the attendee's side of it, asked by their server.


class LiveHandler(BaseHandler):
    @property
    def servers(self) -> Servers:
        return self.settings["servers"]

    def json_object(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as e:
            raise InvalidRequest(f"the request body is not JSON: {e}", "$") from e
        if not isinstance(body, dict):
            raise InvalidRequest("send a JSON object", "$")
        return body

    def attendee_of(self, event: Event, account: str) -> Seat:
        seat = self.store.seat(account)
        if seat is None or seat.event != event.id:
            raise NotFound(f"no attendee {account!r} in this event", "account")
        return seat

    def my_seat(self) -> tuple[Seat, Event]:
        seat = self.store.seat(self.viewer.name)
        if seat is None:
            raise NotFound("you are not an attendee of an event", "account")
        return seat, self.store.get(seat.event)


class LivePageHandler(LiveHandler):
    async def get(self, event_id: str) -> None:
        event = self.own_event(event_id)
        prefix = self.settings["prefix"]
        self.render(
            "live.html",
            event=self.event_model(event),
            api=url_path_join(prefix, "api/events", event.id),
            back=prefix,
            xsrf=self.xsrf_token.decode(),
        )


class LiveStatusHandler(LiveHandler):
    async def get(self, event_id: str) -> None:
        """Everything the page shows, read afresh: the page polls it."""
        event = self.own_event(event_id)
        seats = self.store.seats_of(event.id)
        statuses = await asyncio.gather(
            *(self.servers.status(s.account, self.store.access_token(s.account)) for s in seats)
        )
        hands = self.store.hands_of(event.id)
        attendees = []
        for seat, status in zip(seats, statuses, strict=True):
            mine = [h for h in hands if h.account == seat.account]
            attendees.append(
                {
                    "account": seat.account,
                    "display_name": seat.display_name,
                    "joined": iso(seat.joined),
                    "server": status,
                    "hand": mine[-1].to_dict() if mine else None,
                    "helpers": self.store.helps_of(seat.account),
                }
            )
        self.finish(
            {
                "event": self.event_model(event),
                "attendees": attendees,
                "hands": [h.to_dict() for h in hands if not h.handled],
                "messages": self.store.messages_of(event.id),
            }
        )


class HandHandler(LiveHandler):
    async def post(self, event_id: str, hand_id: str) -> None:
        """Mark a raised hand handled: the attendee sees it has been seen."""
        event = self.own_event(event_id)
        if not hand_id.isdigit():
            raise InvalidRequest(f"not a hand's number: {hand_id!r}", "hand")
        hand = self.store.handle_hand(event.id, int(hand_id), self.viewer.name)
        log.info("%s handled %s's raised hand in %s", self.viewer.name, hand.account, event.id)
        self.finish(hand.to_dict())


class MessagesHandler(LiveHandler):
    async def post(self, event_id: str) -> None:
        """A message to every attendee, shown in their JupyterLab."""
        event = self.own_event(event_id)
        text = self.json_object().get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE:
            raise InvalidRequest(f"text must be 1 to {MAX_MESSAGE} characters", "text")
        message = self.store.add_message(event.id, self.viewer.name, text.strip())
        log.info("%s sent a message to the attendees of %s", self.viewer.name, event.id)
        self.set_status(201)
        self.finish(message)


class HelpHandler(LiveHandler):
    async def post(self, event_id: str, account: str) -> None:
        """Open the attendee's server to the caller: a share with them, made as the
        attendee (administrators reach every server already), logged and shown to the
        attendee."""
        event = self.own_event(event_id)
        seat = self.attendee_of(event, account)
        viewer = self.viewer
        if not viewer.admin:
            token = self.store.access_token(seat.account)
            if not token:
                raise NotFound("no access to this attendee's server", "account")
            try:
                await self.servers.share(seat.account, token, viewer.name)
            except HTTPClientError as error:
                message = error.response.body.decode(errors="replace") if error.response else ""
                raise InvalidRequest(
                    f"the hub refused to share the server: {error.code} {message[:300]}",
                    "account",
                ) from None
        helped = self.store.record_help(event.id, seat.account, viewer.name)
        log.info("%s opened %s's server to help (event %s)", viewer.name, seat.account, event.id)
        user = quote(seat.account, safe="")
        self.finish({**helped, "url": url_path_join(self.settings["hub_url"], "user", user, "lab")})


class CollectHandler(LiveHandler):
    async def post(self, event_id: str) -> None:
        """Copy `path` from every attendee's running server into the trainer's home."""
        event = self.own_event(event_id)
        path = checked_path(self.json_object().get("path"))
        home = self.settings["homes"].folder(event.trainer)
        if home is None:
            raise InvalidRequest(f"{event.trainer} has no home here yet", "path")
        seats = self.store.seats_of(event.id)
        folders = folder_names([(s.account, s.display_name) for s in seats])
        results = await asyncio.gather(
            *(self.collect_one(event, seat, path, home, folders[seat.account]) for seat in seats)
        )
        log.info("%s collected %s from %s's attendees", self.viewer.name, path, event.id)
        self.finish({"path": path, "attendees": results})

    async def collect_one(self, event: Event, seat: Seat, path: str, home: Path, folder: str):
        found = {"account": seat.account, "display_name": seat.display_name, "saved": None}
        token = self.store.access_token(seat.account)
        try:
            user = await self.servers.user(seat.account, token or "")
            url = self.servers.server_url(user)
            if url is None:
                found["problem"] = "their server is not running"
                return found
            data = content_bytes(await self.servers.file(url, token or "", path))
        except HTTPClientError as error:
            found["problem"] = "no such file" if error.code == 404 else f"error {error.code}"
            return found
        except (OSError, ValueError, KeyError, InvalidRequest) as error:
            found["problem"] = str(error)
            return found
        relative = PurePosixPath("collected", event.id, folder, path)
        await asyncio.to_thread(write_as_owner, home, relative, data)
        found["saved"] = f"~/{relative}"
        return found


class AttendeeHandler(LiveHandler):
    async def get(self) -> None:
        """The calling attendee's side, asked by their server at each check (the one
        channel: echoes/materials.py): their event, its materials if any, the trainer's
        messages, their raised hand and who opened their server to help."""
        seat, event = self.my_seat()
        materials = materials_model(event) if event.materials and not event.revoked else None
        hand = self.store.last_hand(seat.account)
        self.finish(
            {
                "event": event.id,
                "title": event.title,
                "display_name": seat.display_name,
                "materials": materials,
                "messages": self.store.messages_of(event.id),
                "hand": hand.to_dict() if hand else None,
                "helpers": self.store.helps_of(seat.account),
            }
        )


class RaiseHandHandler(LiveHandler):
    async def post(self) -> None:
        """The calling attendee raises their hand (once: again is the same hand)."""
        seat, event = self.my_seat()
        if event.revoked:
            raise NotFound("your event has been closed", "account")
        hand = self.store.raise_hand(event.id, seat.account)
        log.info("%s raised a hand in %s", seat.account, event.id)
        self.set_status(201)
        self.finish(hand.to_dict())


MAX_MESSAGE = 2000
ROUTES += [
    Route("events/{event_id}", LivePageHandler, {"get": "The trainer's live page of an event"}),
    Route(
        "api/events/{event_id}/live",
        LiveStatusHandler,
        {"get": "Who joined, each server's state, memory, activity and notebooks, raised hands"},
        replies={"get": "Live"},
    ),
    Route(
        "api/events/{event_id}/hands/{hand_id}",
        HandHandler,
        {"post": "Mark a raised hand handled"},
        replies={"post": "Hand"},
    ),
    Route(
        "api/events/{event_id}/messages",
        MessagesHandler,
        {"post": "Send a message to every attendee (shown in their JupyterLab)"},
        replies={"post": "Message"},
        body="NewMessage",
    ),
    Route(
        "api/events/{event_id}/attendees/{account}/help",
        HelpHandler,
        {"post": "Open the attendee's server to the caller (a share), logged and shown to them"},
        replies={"post": "Help"},
    ),
    Route(
        "api/events/{event_id}/collect",
        CollectHandler,
        {"post": "Copy a file from every attendee's server to ~/collected/<event>/ of the trainer"},
        replies={"post": "Collected"},
        body="Collect",
    ),
    Route(
        "api/attendee",
        AttendeeHandler,
        {"get": "The calling attendee's event, materials, messages, hand and helpers"},
        replies={"get": "Attendee"},
    ),
    Route(
        "api/hands",
        RaiseHandHandler,
        {"post": "The calling attendee raises their hand"},
        replies={"post": "Hand"},
    ),
]
