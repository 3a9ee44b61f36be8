"""Fixtures shared by every test folder.

- `postgresql_url`: a SQLAlchemy URL of an empty database on a throwaway PostgreSQL server
  (tests/postgresql.py), for tests that run on both SQLite and PostgreSQL. Without a
  PostgreSQL server those tests are skipped, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.postgresql import postgresql_server, server_binaries


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    if server_binaries() is None:
        message = "PostgreSQL server not installed (make test installs it as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with postgresql_server() as url:
        yield url
