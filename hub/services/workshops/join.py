"""Joining an event, on the hub: the one link of an event is /hub/join/<event id>.

Learnt from JupyterHub 5's SharedPasswordAuthenticator (one shared secret lets people in)
and jupyterhub-tmpauthenticator (a hub handler makes an account and logs it in with the
hub's own `user_from_username` and `set_login_cookie`), without their weaknesses: the
shared secret (the event's code) only takes a seat, it is never a password of an account,
so nobody can log in as anyone else with it; the account's name is `account_prefix` and a
random part, never what the attendee types (the display name, only shown to the trainer);
the code works only within the event's hours, up to its seats, until it is revoked. Wrong
codes count against the client address as failed logins do (the hub's own limit,
EchoesAuthenticator.failed_logins_per_address), so codes cannot be guessed.

When the event's warm pool (pool.py) has a ready server, the seat gets that account
instead of a new one, and the attendee goes straight to the running lab.

The regular login form (NativeAuthenticator's accounts, approved by an administrator)
stays as it is: this page is an extra door into an account of the event, no approval
click. Attendees' sessions last while their event is not revoked
(EchoesAuthenticator.refresh_user).
"""

from __future__ import annotations

import time

from jupyterhub import orm
from jupyterhub.handlers.base import BaseHandler
from jupyterhub.utils import url_path_join

from . import pool
from .access import grant_server_access
from .errors import InvalidEvent, JoinRefused, NotFound, WorkshopError, WrongCode
from .model import MAX_DISPLAY_NAME, new_account_name
from .store import Event, Store


def log_in_attendee(handler: BaseHandler, account: str, event: Event):
    """Log `handler`'s browser in to the attendee `account` (made now if new) in the
    event's group, with the trainer page's access to their server (access.py): after the
    join form, and after a CSV account's one-time password."""
    user = handler.user_from_username(account)
    group = orm.Group.find(handler.db, event.group)
    if group is None:
        group = orm.Group(name=event.group)
        handler.db.add(group)
    if group not in user.groups:
        user.groups.append(group)
    handler.db.commit()
    authenticator = handler.authenticator
    grant_server_access(
        handler.db,
        user.orm_user,
        event,
        authenticator.workshops_store,
        authenticator.workshops.trainers_group,
        time.time(),
    )
    handler.set_login_cookie(user)
    return user


class JoinHandler(BaseHandler):
    """GET: the join form (code, display name); POST: take a seat and log in."""

    @property
    def workshops(self):
        return self.authenticator.workshops

    @property
    def store(self) -> Store:
        return self.authenticator.workshops_store

    async def get(self, event_id: str) -> None:
        try:
            event = self.store.get(event_id)
        except NotFound as missing:
            await self.answer(missing, None)
            return
        await self.answer(None, event.title)

    async def post(self, event_id: str) -> None:
        authenticator = self.authenticator
        limit = authenticator.address_limit
        address = authenticator.client_address(self)
        display_name = " ".join(self.get_body_argument("display_name", "").split())
        code = self.get_body_argument("code", "")
        wait = limit.wait(address)
        if wait > 0:
            self.set_header("Retry-After", str(int(wait) + 1))
            refused = JoinRefused(f"too many wrong codes: try again in {int(wait) + 1} s", "code")
            refused.status = 429
            await self.answer(refused, None, display_name)
            return
        if not 1 <= len(display_name) <= MAX_DISPLAY_NAME:
            await self.answer(
                InvalidEvent(
                    f"type a display name of 1 to {MAX_DISPLAY_NAME} characters", "display_name"
                ),
                None,
                display_name,
            )
            return
        stamp = limit.fail(address)
        account = new_account_name(self.workshops.account_prefix)
        try:
            event = self.store.take_seat(event_id, code, display_name, account, time.time())
        except JoinRefused as refused:
            if not isinstance(refused, WrongCode):
                limit.forgive(address, stamp)  # only wrong codes are guesses
            self.log.warning("Join of event %s from %s refused: %s", event_id, address, refused)
            await self.answer(refused, None, display_name)
            return
        limit.forgive(address, stamp)
        # A server started ahead for this seat (pool.py), if one is ready.
        account = pool.claim(self.store, event.id, account) or account
        user = log_in_attendee(self, account, event)
        self.log.info("%s joined the event %s as %s", display_name, event.id, account)
        if user.spawner.ready:
            self.redirect(user.url)  # the warm lab, at once
        else:
            self.redirect(url_path_join(self.hub.base_url, "spawn"))

    async def answer(
        self, error: WorkshopError | None, title: str | None, display_name: str = ""
    ) -> None:
        """The form, with the refusal if any: JSON for a program that asks for it."""
        if error is not None:
            self.set_status(error.status)
            if "application/json" in self.request.headers.get("Accept", ""):
                self.finish(error.as_json())
                return
        html = await self.render_template(
            "join.html",
            title=title,
            error=error.message if error else "",
            field=(error.field or "") if error else "",
            display_name=display_name,
        )
        self.finish(html)
