"""Local accounts: sign-up with admin approval, and the first administrator.

NativeAuthenticator keeps bcrypt hashes in the hub database. We add one thing:
on first run the administrator account is created with a random password that
is printed once and stored only as a hash.
"""

from __future__ import annotations

import os
import secrets
import sys

import bcrypt
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.orm import UserInfo
from traitlets import Unicode, default

from .approval import REPLACED_ROUTES, ApprovalHandler

#: Hub user names double as parts of system user names and Docker volume names.
USERNAME_PATTERN = r"^[a-z][a-z0-9_-]{0,29}$"


class EchoesAuthenticator(NativeAuthenticator):
    """NativeAuthenticator that bootstraps the administrator account on first run."""

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

    def get_handlers(self, app) -> list[tuple]:
        handlers = [h for h in super().get_handlers(app) if h[0] not in REPLACED_ROUTES]
        return [*handlers, (r"/authorize/([^/]+)", ApprovalHandler)]

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
