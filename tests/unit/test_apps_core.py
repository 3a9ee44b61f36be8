"""The apps service's core, without a web server: shares, access rules, validation,
the store's versions, the proxy's filters, and the OpenAPI description against routes."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest

from echoes_hub.services.apps import proxy
from echoes_hub.services.apps.errors import AppFailed, InvalidRequest, NotFound
from echoes_hub.services.apps.model import (
    ANONYMOUS,
    Share,
    Viewer,
    can_manage,
    can_view,
    parse_publication,
)
from echoes_hub.services.apps.runner import MAX_ACCOUNT_LENGTH, account_name, ensure_account
from echoes_hub.services.apps.store import AppStore

POTTERY = Path(__file__).resolve().parents[2] / "notebooks" / "apps" / "pottery-explorer.ipynb"
ALICE, BOB = Viewer("alice"), Viewer("bob", groups=frozenset({"team"}))
ADMIN, EVE = Viewer("root", admin=True), Viewer("eve")


@pytest.mark.parametrize(
    ("share", "allowed"),
    [
        ("public", {"anonymous", "bob", "eve"}),
        ("hub", {"bob", "eve"}),
        ("group:team", {"bob"}),
        ("user:eve", {"eve"}),
    ],
)
def test_each_share_mode_allows_exactly_its_viewers(share, allowed):
    viewers = {"anonymous": ANONYMOUS, "bob": BOB, "eve": EVE}
    seen = {name for name, v in viewers.items() if can_view("alice", Share.parse(share), v)}
    assert seen == allowed
    assert can_view("alice", Share.parse(share), ALICE)  # the author
    assert can_view("alice", Share.parse(share), ADMIN)


def test_only_author_and_admins_manage():
    assert can_manage("alice", ALICE) and can_manage("alice", ADMIN)
    assert not can_manage("alice", BOB) and not can_manage("alice", ANONYMOUS)


@pytest.mark.parametrize("text", ["friends", "group:", "user:a b", "public:x", ""])
def test_bad_shares_are_refused_by_name(text):
    with pytest.raises(InvalidRequest, match="share"):
        Share.parse(text)


def body(**extra) -> dict:
    return {"notebook": json.loads(POTTERY.read_text()), "share": "hub", **extra}


def test_publication_validation_names_the_problem():
    with pytest.raises(InvalidRequest, match="notebook"):
        parse_publication({"notebook": {"cells": "x"}})
    with pytest.raises(InvalidRequest, match="relative"):
        parse_publication(body(files={"../../etc/passwd": ""}))
    with pytest.raises(InvalidRequest, match="base64"):
        parse_publication(body(files={"data.csv": "not base64!"}))
    publication = parse_publication(body(files={"d/x.csv": base64.b64encode(b"1,2").decode()}))
    assert publication.files == {"d/x.csv": b"1,2"}


def test_store_keeps_versions_as_read_only_snapshots_and_unpublishes(tmp_path):
    store = AppStore(tmp_path / "apps")
    first = store.publish("alice", "pots", parse_publication(body(title="Pots")))
    second = store.publish("alice", "pots", parse_publication(body(share="public")))
    assert (first.version, second.version, second.share) == (1, 2, "public")
    assert [v["version"] for v in store.versions("alice", "pots")] == [1, 2]
    assert store.notebook(second).exists() and store.notebook(first).exists()
    assert store.notebook(second).stat().st_mode & 0o777 == 0o644
    store.set_check("alice", "pots", 1, False, "superseded")  # an old version's result
    assert store.get("alice", "pots").ok
    store.set_check("alice", "pots", 2, False, "ZeroDivisionError: division by zero")
    assert store.get("alice", "pots").error.startswith("ZeroDivisionError")
    reopened = AppStore(tmp_path / "apps")  # what was acknowledged is on disk
    assert reopened.get("alice", "pots").version == 2
    reopened.unpublish("alice", "pots")
    with pytest.raises(NotFound):
        reopened.get("alice", "pots")
    assert not (tmp_path / "apps" / "snapshots" / "alice" / "pots").exists()


def test_snapshots_belong_to_their_authors_group_only(tmp_path):
    """As root the store gives each author's snapshots to that author's apps group."""
    groups = {"alice": 4242, "bob": 4343}
    store = AppStore(tmp_path / "apps", groups.get)
    app = store.publish("alice", "pots", parse_publication(body(files={"d/x.csv": "MSwy"})))
    folder = tmp_path / "apps" / "snapshots" / "alice"
    for path in [folder, *folder.rglob("*")]:
        if os.geteuid() == 0:
            assert path.stat().st_gid == 4242, path
        assert path.stat().st_mode & 0o777 == (0o750 if path.is_dir() else 0o640), path
    assert store.notebook(app).exists()
    # Snapshots an older version left world-readable are closed by the service at start.
    store.notebook(app).chmod(0o644)
    assert AppStore(tmp_path / "apps", groups.get).authors() == {"alice"}
    store.close("alice", groups["alice"])
    assert store.notebook(app).stat().st_mode & 0o777 == 0o640


def test_each_author_gets_a_distinct_valid_system_user_name():
    names = {
        author: account_name("echoesapp-", author)
        for author in ["ann", "a" * 30, "a" * 29 + "b", "Mixed.Case@x", "app-author-123456"]
    }
    assert names["ann"] == "echoesapp-ann"
    assert names["app-author-123456"] == "echoesapp-app-author-123456"
    assert len(set(names.values())) == len(names)
    for name in names.values():
        assert len(name) <= MAX_ACCOUNT_LENGTH and re.match(r"^[a-z_][a-z0-9_-]*$", name)
    # Never the name of a user server's account (echoes-<hub user>).
    assert not any(name.startswith("echoes-") for name in names.values())


def test_an_existing_system_user_is_never_taken_as_an_apps_account():
    with pytest.raises(AppFailed, match="not the apps account of mallory"):
        ensure_account("daemon", "mallory")


def test_proxy_lets_through_only_what_a_dashboard_needs():
    kernel = "0" * 8 + "-0000-0000-0000-" + "0" * 12
    assert proxy.http_allowed("GET", "")
    assert proxy.http_allowed("GET", "voila/static/voila.js")
    assert proxy.http_allowed("POST", f"voila/api/shutdown/{kernel}")
    for method, path in [
        ("GET", "api/contents"),
        ("GET", "api/kernels"),
        ("POST", "api/kernels"),
        ("GET", "api/sessions"),
        ("GET", "api/terminals"),
        ("GET", "voila/tree"),
        ("GET", "voila/render/app.ipynb"),
        ("GET", "app.ipynb"),
        ("DELETE", f"api/kernels/{kernel}"),
        ("POST", ""),
    ]:
        assert not proxy.http_allowed(method, path), (method, path)


#: The tables exactly as the store made them with raw sqlite3, before SQLAlchemy.
SQLITE3_SCHEMA = """
CREATE TABLE IF NOT EXISTS apps (
    author TEXT NOT NULL, name TEXT NOT NULL, title TEXT NOT NULL,
    description TEXT NOT NULL, share TEXT NOT NULL, version INTEGER NOT NULL,
    published_at REAL NOT NULL, ok INTEGER NOT NULL DEFAULT 1,
    error TEXT NOT NULL DEFAULT '', PRIMARY KEY (author, name)
);
CREATE TABLE IF NOT EXISTS versions (
    author TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
    published_at REAL NOT NULL, PRIMARY KEY (author, name, version)
);
"""


def test_a_database_written_before_sqlalchemy_opens_and_reads(tmp_path):
    """apps.sqlite files of deployments from before the SQLAlchemy store keep working."""
    import sqlite3

    root = tmp_path / "apps"
    (root / "snapshots").mkdir(parents=True)
    db = sqlite3.connect(root / "apps.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SQLITE3_SCHEMA)
    db.execute("INSERT INTO versions VALUES ('alice', 'pots', 1, 100.5)")
    db.execute("INSERT INTO versions VALUES ('alice', 'pots', 2, 200.5)")
    db.execute(
        "INSERT OR REPLACE INTO apps VALUES ('alice', 'pots', 'Pots', 'd', 'public', 2, 200.5, "
        "0, 'ZeroDivisionError')"
    )
    db.close()
    store = AppStore(root)
    app = store.get("alice", "pots")
    assert (app.title, app.share, app.version, app.published_at) == ("Pots", "public", 2, 200.5)
    assert (app.ok, app.error) == (False, "ZeroDivisionError")
    assert store.versions("alice", "pots") == [
        {"version": 1, "published_at": 100.5},
        {"version": 2, "published_at": 200.5},
    ]
    assert store.authors() == {"alice"}
    assert store.publish("alice", "pots", parse_publication(body())).version == 3
    assert store.get("alice", "pots").ok is True


def test_the_launcher_runs_a_notebook_without_the_hub_package(tmp_path):
    """The launcher runs in the user image, where the hub package is not installed."""
    import subprocess
    import sys

    import nbformat

    notebook = tmp_path / "app.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")]), notebook)
    no_hub = (
        "import runpy, sys; sys.modules['echoes_hub'] = None; "
        "runpy.run_module('echoes.apps.launch', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", no_hub, "check", str(notebook), "60"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (
        json.loads(done.stdout.splitlines()[-1])["error"] == "ZeroDivisionError: division by zero"
    )


def test_an_older_database_gets_the_notebooks_path_and_versions_keep_it(tmp_path):
    """apps.sqlite as written before apps knew their notebook's path: opened as it is."""
    import sqlite3

    (tmp_path / "apps").mkdir()
    with sqlite3.connect(tmp_path / "apps" / "apps.sqlite") as db:
        db.execute(
            "CREATE TABLE apps (author TEXT NOT NULL, name TEXT NOT NULL, title TEXT NOT NULL,"
            " description TEXT NOT NULL, share TEXT NOT NULL, version INTEGER NOT NULL,"
            " published_at FLOAT NOT NULL, ok BOOLEAN NOT NULL, error TEXT NOT NULL,"
            " PRIMARY KEY (author, name))"
        )
        db.execute("INSERT INTO apps VALUES ('alice', 'old', 'Old', '', 'hub', 1, 0, 1, '')")
    store = AppStore(tmp_path / "apps")
    assert store.get("alice", "old").source == ""
    first = store.publish("alice", "pots", parse_publication(body(source="work/pots.ipynb")))
    again = store.publish("alice", "pots", parse_publication(body()))
    assert first.source == again.source == "work/pots.ipynb"
    for bad in ("/etc/passwd", "../bob/x.ipynb", 7):
        with pytest.raises(InvalidRequest, match="source"):
            parse_publication(body(source=bad))
