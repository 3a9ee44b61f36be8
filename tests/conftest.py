"""Fixtures shared by every test folder.

- `reachable_environment` (automatic): as root, user servers and apps run as other system
  users, who must reach this checkout's virtual environment; a checkout in a folder only
  root can enter (`d=$(mktemp -d) && git clone . $d/c`) is opened for traversal.
- `postgresql_url`: a SQLAlchemy URL of an empty database on a throwaway PostgreSQL server
  (tests/postgresql.py), for tests that run on both SQLite and PostgreSQL. Without a
  PostgreSQL server those tests are skipped, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hubclient import open_for_traversal
from tests.postgresql import postgresql_server, server_binaries


@pytest.fixture(scope="session", autouse=True)
def reachable_environment() -> None:
    open_for_traversal(Path(sys.executable).parent)


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    if server_binaries() is None:
        message = "PostgreSQL server not installed (make test installs it as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with postgresql_server() as url:
        yield url
