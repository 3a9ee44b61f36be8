"""Local accounts: sign-up with admin approval, the first administrator, and login limits.

NativeAuthenticator keeps bcrypt hashes in the hub database. We add:
- on first run the administrator account is created with a random password that is
  printed once and stored only as a hash;
- limits on failed logins per account and per client address (hub/throttle.py);
  NativeAuthenticator's own per-account block is off by default, lasts under a second
  when switched on (its `seconds_before_next_try` defaults to 0, not the 600 its help
  names) and counts only accounts that exist;
- one answer for every refused login, whether the account is missing, unapproved or the
  password wrong, each after one bcrypt check (NativeAuthenticator told an unapproved
  account that its password was right, even while blocked, and answered a missing
  account without checking a hash).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import os
import secrets
import sys
import time

import bcrypt
from jupyterhub.handlers.base import BaseHandler
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator import handlers as native
from nativeauthenticator.orm import UserInfo
from tornado import web
from traitlets import Integer, Unicode, default

from .approval import REPLACED_ROUTES, ApprovalHandler, ApproveAllHandler
from .services.workshops import WorkshopsService, pool, workshops_settings
from .services.workshops.join import JoinHandler, log_in_attendee
from .services.workshops.model import normal_code
from .services.workshops.store import Store
from .settings import EchoesHub
from .spawners.profiles import Profile, parse_profile
from .throttle import FailureLimit, client_address

#: Hub user names double as parts of system user names and Docker volume names.
USERNAME_PATTERN = r"^[a-z][a-z0-9_-]{0,29}$"
#: Names the pattern allows but the proxy cannot route: configurable-http-proxy keeps its
#: routes in plain JavaScript objects, so a path segment named like an `Object.prototype`
#: property answers 500 (`/user/constructor/`); this is the only such name in lower case.
RESERVED_USERNAMES = frozenset({"constructor"})


#: The answer to every refused login.
REFUSED = "Invalid username or password, or the account is not approved yet."
#: bcrypt reads this many bytes of a password; bcrypt 5 raises on longer ones.
BCRYPT_BYTES = 72
#: A signed cookie naming the account last logged in from this browser.
DEVICE_COOKIE = "echoes-login-device"
DEVICE_DAYS = 30


@functools.cache
def _no_account_hash() -> bytes:
    """Checked when no account has the name, so that the answer takes as long."""
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt())


class LoginThrottled(Exception):
    """Too many failed logins for the account or from the address: wait `seconds`."""

    def __init__(self, wait: float) -> None:
        super().__init__(wait)
        self.seconds = math.ceil(wait)


class EchoesAuthenticator(NativeAuthenticator):
    """NativeAuthenticator that bootstraps the administrator account and limits failed
    logins per account and per client address."""

    allowed_failed_logins = Integer(
        5,
        config=True,
        help="""Failed logins an account may have in any `seconds_before_next_try` seconds,
        from anywhere; further logins to it are refused until the oldest of them is that
        old. A browser that logged in to the account before (a signed cookie, void once
        the password changes) is not held by this limit, so others cannot lock the owner
        out; the address limit still holds it. 0 turns the limit off.""",
    )

    seconds_before_next_try = Integer(
        120,
        config=True,
        help="The window, in seconds, of `allowed_failed_logins` and `failed_logins_per_address`.",
    )

    failed_logins_per_address = Integer(
        30,
        config=True,
        help="""Failed logins, to any accounts, allowed from one client address (an IPv6
        /64) in any `seconds_before_next_try` seconds; further logins from it are refused
        until the oldest of them is that old. The address is the one the proxy appended to
        X-Forwarded-For, so a client cannot choose it; set JupyterHub.trusted_downstream_ips
        when another proxy stands in front. 0 turns the limit off.""",
    )

    initial_admin_password = Unicode(
        config=True,
        help="""Password for the administrator account when it is first created. Leave
        empty (the default) to generate a random one that is printed once. Environment:
        ECHOES_ADMIN_PASSWORD, for unattended set-ups; it is never written to disk.""",
    )

    @default("initial_admin_password")
    def _default_initial_admin_password(self) -> str:
        return os.environ.get("ECHOES_ADMIN_PASSWORD", "")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_first_admin()
        self.account_limit = FailureLimit(self.allowed_failed_logins, self.seconds_before_next_try)
        self.address_limit = FailureLimit(
            self.failed_logins_per_address, self.seconds_before_next_try
        )

    def get_handlers(self, app) -> list[tuple]:
        replaced = {*REPLACED_ROUTES, r"/login", r"/change-password"}
        kept = [h for h in super().get_handlers(app) if h[0] not in replaced]
        return [
            *kept,
            (r"/authorize/([^/]+)", ApprovalHandler),
            (r"/authorize-all", ApproveAllHandler),
            (r"/login", LoginHandler),
            (r"/change-password", ChangePasswordHandler),
            (r"/join/([^/]+)", JoinHandler),
        ]

    @functools.cached_property
    def workshops(self) -> WorkshopsService:
        """The workshops service's settings, as the hub reads them."""
        return workshops_settings(self.config, EchoesHub(config=self.config).state_dir)

    @functools.cached_property
    def workshops_store(self) -> Store:
        """The events' store, which the join page takes seats in (services/workshops/)."""
        store = Store(self.workshops.database_url)
        store.create_schema()
        return store

    def is_attendee(self, name: str) -> bool:
        return name.startswith(self.workshops.account_prefix)

    def event_profile(self, name: str) -> Profile | None:
        """The size of an attendee's server: their event's CPU and memory, asked of the
        store at each spawn (None for everyone else; spawners/profiles.py's rule). A
        pooled account's server (services/workshops/pool.py) is sized for its event too,
        since a join attaches it to an attendee as it is."""
        if not self.is_attendee(name):
            return None
        store = self.workshops_store
        seat = store.seat(name)
        event_id = seat.event if seat else pool.pooled_event(store, name)
        if event_id is None:
            return None
        event = store.get(event_id)
        return parse_profile(
            {
                "slug": f"event-{event.id}",
                "display_name": event.title,
                "cpu_limit": event.cpu,
                "mem_limit": event.memory,
            }
        )

    def client_address(self, handler: BaseHandler) -> str:
        request = handler.request
        trusted = getattr(self.parent, "trusted_downstream_ips", [])
        address = request.connection.context.address
        # A unix socket has no address: then only X-Forwarded-For tells.
        peer = address[0] if isinstance(address, tuple) else ""
        return client_address(request.headers.get("X-Forwarded-For", ""), peer, trusted)

    async def authenticate(self, handler: BaseHandler, data: dict) -> str | None:
        """The user name if the password (and 2FA code) is right and the account approved.

        Refused logins all look alike: one bcrypt check each, one answer (REFUSED), and
        every one of them counts against the account and the address.
        """
        username = self.normalize_username(data.get("username", ""))[:128]
        password = data.get("password", "")
        user = self.get_user(username)
        address = self.client_address(handler)
        known_device = (
            user is not None
            and handler.get_signed_cookie(DEVICE_COOKIE, max_age_days=DEVICE_DAYS)
            == device_mark(user).encode()
        )
        wait = max(
            self.address_limit.wait(address),
            0 if known_device else self.account_limit.wait(username),
        )
        if wait > 0:
            self.log.warning("Login to %r from %s refused: too many failures", username, address)
            raise LoginThrottled(wait)
        stamps = (self.account_limit.fail(username), self.address_limit.fail(address))
        attendee = self.is_attendee(username)
        if attendee:  # a trainer's CSV: a one-time password, typed as codes are
            hashed = self.workshops_store.password_hash(username) or _no_account_hash()
            password = normal_code(password)
        else:
            hashed = user.password if user is not None else _no_account_hash()
        # bcrypt takes a good part of a second: off the event loop, as every request waits.
        secret = password.encode()[:BCRYPT_BYTES]
        right = await asyncio.to_thread(bcrypt.checkpw, secret, hashed)
        if attendee:
            # Spent at its first login (one statement: two at once cannot both have it).
            right = right and self.workshops_store.use_password(username, time.time()) is not None
        else:
            right = right and user is not None and bool(user.is_authorized)
            right = right and not (user.has_2fa and not user.is_valid_token(data.get("2fa")))
        if not right:
            return None
        # Only this attempt is taken back: earlier failures keep counting, so that
        # logging in to one's own account between guesses at others buys nothing.
        self.account_limit.forgive(username, stamps[0])
        self.address_limit.forgive(address, stamps[1])
        return username

    @default("auth_refresh_age")
    def _default_auth_refresh_age(self) -> int:
        # How soon sessions and tokens of a revoked account end (refresh_user); JupyterHub's
        # default is 300 s. Each refresh is one database query.
        return 60

    async def refresh_user(self, user, handler=None) -> bool:
        """A session or token lasts only while its account is approved, an attendee's
        (or a pooled account's, services/workshops/pool.py) while their event is not
        revoked. Accounts with no sign-up record (made through
        the hub's API before `add_user` gave them one) are not ours to judge."""
        if self.is_attendee(user.name):
            store = self.workshops_store
            seat = store.seat(user.name)
            # A pooled account (nobody's yet) for its server's own calls to the hub.
            event = seat.event if seat else pool.pooled_event(store, user.name)
            return event is not None and not store.get(event).revoked
        info = self.get_user(user.name)
        return info is None or bool(info.is_authorized)

    def add_user(self, user) -> None:
        """JupyterHub's hook for every account it adds (admin page, REST API) and, at
        each start, for every account it has. Attendees were named by the join page,
        whose names sign-ups may not take (validate_username), so they are not checked
        again. An account the administrator added gets an approved sign-up record whose
        password nobody knows: without one NativeAuthenticator could never log it in;
        the administrator sets its first password at /hub/change-password/<name>."""
        if self.is_attendee(user.name):
            return
        super().add_user(user)
        if UserInfo.find(self.db, user.name) is None:
            self.db.add(
                UserInfo(username=user.name, password=_no_account_hash(), is_authorized=True)
            )
            self.db.commit()

    def validate_username(self, username: str) -> bool:
        # Attendees' names are made by the join page only (services/workshops/join.py).
        return (
            username not in RESERVED_USERNAMES
            and not self.is_attendee(username)
            and super().validate_username(username)
        )

    def is_password_strong(self, password: str) -> bool:
        # Refused at sign-up and change rather than failing there with a server error.
        return len(password.encode()) <= BCRYPT_BYTES and super().is_password_strong(password)

    def _create_first_admin(self) -> None:
        for name in sorted(self.admin_users):
            if UserInfo.find(self.db, name) is not None:
                continue
            password = self.initial_admin_password or secrets.token_urlsafe(12)
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
            self.db.add(UserInfo(username=name, password=hashed, is_authorized=True))
            self.db.commit()
            if self.initial_admin_password:
                print(f"Created administrator {name!r} with the configured password.", flush=True)
            else:
                # Printed once, on this first run only; only the hash is kept.
                print(
                    f"Created administrator {name!r}. One-time password: {password}\n"
                    "Log in and change it at /hub/change-password. It will not be shown again.",
                    file=sys.stdout,
                    flush=True,
                )


def device_mark(user: UserInfo) -> str:
    """What a browser's device cookie holds for `user`: their name and a digest of their
    password hash, so that a password change voids the cookies of the old one."""
    return f"{user.username}:{hashlib.sha256(user.password).hexdigest()[:16]}"


class LoginHandler(native.LoginHandler):
    """NativeAuthenticator's login page with one answer for every refused login; marks
    the browser of a successful login (DEVICE_COOKIE); a throttled login is a 429."""

    async def post(self) -> None:
        data = {
            name: self.get_argument(name, strip=name == "username")
            for name in self.request.body_arguments
            if name != "_xsrf"
        }
        try:
            if self.authenticator.is_attendee(
                self.authenticator.normalize_username(data.get("username", ""))
            ):
                user = await self.log_in_attendee(data)
            else:
                user = await self.login_user(data)
        except LoginThrottled as throttled:
            self.set_status(429)
            self.set_header("Retry-After", str(throttled.seconds))
            message = f"Too many failed logins. Try again in {throttled.seconds} seconds."
            self.finish(await self._render(login_error=message, username=data.get("username")))
            return
        if user is None:
            self.set_status(403)
            self.finish(await self._render(login_error=REFUSED, username=data.get("username")))
            return
        self._jupyterhub_user = user
        if self.authenticator.is_attendee(user.name):  # no password to remember a device by
            self.redirect(self.get_next_url(user))
            return
        self.set_signed_cookie(
            DEVICE_COOKIE,
            device_mark(self.authenticator.get_user(user.name)),
            expires_days=DEVICE_DAYS,
            path=self.hub.base_url,
            httponly=True,
            secure=self.request.protocol == "https",
            samesite="Lax",
        )
        self.redirect(self.get_next_url(user))

    async def log_in_attendee(self, data: dict):
        """An account of a trainer's CSV, with its one-time password: logged in as the
        join page logs attendees in (JupyterHub's own login would refuse the name, which
        sign-ups may not take), or None."""
        name = await self.authenticator.authenticate(self, data)
        seat = self.authenticator.workshops_store.seat(name) if name else None
        if seat is None:
            return None
        event = self.authenticator.workshops_store.get(seat.event)
        self.log.info("%s logged in to the event %s", name, event.id)
        return log_in_attendee(self, name, event)


class ChangePasswordHandler(native.ChangePasswordHandler):
    """NativeAuthenticator's page to change one's password, with the current password
    checked as a login is (counted, limited), so that a session left open is no way to
    guess it without limit."""

    @web.authenticated
    async def post(self) -> None:
        name = self.current_user.name
        current = self.get_body_argument("old_password", strip=False)
        try:
            right = await self.authenticator.authenticate(
                self, {"username": name, "password": current}
            )
        except LoginThrottled as throttled:
            self.set_status(429)
            message = f"Too many failed attempts. Try again in {throttled.seconds} seconds."
            right = None
        else:
            message = "Your current password was incorrect. Please try again."
        # NativeAuthenticator checks the password again, with no limit on its length.
        if right is None or len(current.encode()) > BCRYPT_BYTES:
            html = await self.render_template(
                "change-password.html",
                user_name=name,
                result_message=message,
                alert="alert-danger",
            )
            self.finish(html)
            return
        await super().post()
