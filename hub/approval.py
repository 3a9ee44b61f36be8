"""Administrator approval of sign-ups, by POST with an XSRF token.

NativeAuthenticator approves and discards sign-ups on a plain GET of a link, so a link
clicked by a logged-in administrator on another site could approve an account. Here the
same actions are POSTed from a form, which JupyterHub checks for its XSRF token, and they
set a state instead of toggling it, so repeating a request changes nothing.

Revoking ends the account's access, not only its next login: its servers stop here, and
its sessions and tokens end at their next use after `auth_refresh_age`
(EchoesAuthenticator.refresh_user). Discarding also removes the hub's user, tokens
included, as NativeAuthenticator's own discard did.
"""

from __future__ import annotations

from jupyterhub.scopes import needs_scope
from nativeauthenticator.handlers import LocalBase
from nativeauthenticator.orm import UserInfo
from tornado import web

ACTIONS = ("approve", "revoke", "discard")


class ApprovalHandler(LocalBase):
    """POST /hub/authorize/<name> with action=approve|revoke|discard."""

    async def get(self, username: str) -> None:
        raise web.HTTPError(405, "Approval is a POST from the form at /hub/authorize")

    @needs_scope("admin:users")
    async def post(self, username: str) -> None:
        action = self.get_body_argument("action", "")
        if action not in ACTIONS:
            raise web.HTTPError(400, f"action must be one of {', '.join(ACTIONS)}")
        info = UserInfo.find(self.db, username)
        if info is None:
            raise web.HTTPError(404, f"nobody signed up as {username!r}")
        if action == "discard":
            if info.is_authorized:
                raise web.HTTPError(400, "revoke an approved account before discarding it")
            self.db.delete(info)
        else:
            info.is_authorized = action == "approve"
        self.db.commit()
        user = self.find_user(username)
        if user is not None and action == "revoke":
            for name, spawner in list(user.spawners.items()):
                if spawner.active and not spawner.pending:
                    await self.stop_single_user(user, name)
        if user is not None and action == "discard":
            self.users.delete(username)
        self.log.info("Administrator %s: %s %s", self.current_user.name, action, username)
        self.redirect(f"{self.hub.base_url}authorize#{username}")


class ApproveAllHandler(LocalBase):
    """POST /hub/authorize-all: approve every pending sign-up at once (a class of 30
    who signed up need not be approved 30 times)."""

    async def get(self) -> None:
        raise web.HTTPError(405, "Approving all is a POST from the form at /hub/authorize")

    @needs_scope("admin:users")
    async def post(self) -> None:
        pending = self.db.query(UserInfo).filter(UserInfo.is_authorized.is_(False)).all()
        for info in pending:
            info.is_authorized = True
        self.db.commit()
        names = ", ".join(info.username for info in pending) or "nobody"
        self.log.info("Administrator %s: approve all: %s", self.current_user.name, names)
        self.redirect(f"{self.hub.base_url}authorize")


#: NativeAuthenticator routes replaced by ApprovalHandler.
REPLACED_ROUTES = {r"/authorize/([^/]*)", r"/discard/([^/]*)"}
