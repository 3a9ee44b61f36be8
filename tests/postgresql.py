"""A throwaway PostgreSQL server for tests that run the same checks on SQLite and PostgreSQL.

It uses Debian's server binaries (the Makefile installs the `postgresql` package as root),
runs a fresh cluster in a temporary folder on a free loopback port with trust
authentication, and stops it afterwards. As root the cluster runs as the `postgres`
system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.hubclient import free_port_block


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _run_as_postgres(cmd: list[str]) -> None:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


@contextmanager
def postgresql_server(database: str = "echoes_test") -> Iterator[str]:
    """Start a cluster; yield a SQLAlchemy URL of an empty database on it."""
    binaries = server_binaries()
    if binaries is None:
        raise RuntimeError("no PostgreSQL server installed (Debian package `postgresql`)")
    base = Path(tempfile.mkdtemp(prefix="echoes-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(base, account.pw_uid, account.pw_gid)
    data = base / "data"
    port = free_port_block(1)
    _run_as_postgres(
        [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"]
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run_as_postgres(
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(base / "server.log"),
            "-w",
            "start",
        ]
    )
    try:
        _run_as_postgres(
            [
                str(binaries / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                database,
            ]
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
    finally:
        _run_as_postgres(
            [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        )
        shutil.rmtree(base, ignore_errors=True)
