"""Fixtures shared by every test folder.

- `reachable_environment` (automatic): as root, user servers and apps run as other system
  users, who must reach this checkout's virtual environment; a checkout in a folder only
  root can enter (`d=$(mktemp -d) && git clone . $d/c`) is opened for traversal.
- `postgresql_url`: a SQLAlchemy URL of an empty database on a throwaway PostgreSQL server
  (tests/postgresql.py), for tests that run on both SQLite and PostgreSQL. Without a
  PostgreSQL server those tests are skipped, except in CI (CI=true), where that fails.
- `oxigraph_url`: the root URL of a throwaway Oxigraph server (tests/oxigraph.py), the
  twins service's other back end; emptied by `DROP ALL` for each test that asks for it.
  `twins_backend` runs a test on each back end: "" (the embedded store), then that URL.
- `shared_hub(args=())`: one real hub per distinct command-line settings for the whole
  run, started on first use and stopped at the end (the `hub` of e2e modules and of
  integration modules marked `shared_hub` is `shared_hub()`). A hub costs seconds to
  start and memory while it runs: tests that only need "a hub with these settings" share
  one; tests that stop, restart or break a hub, or look at all of it, have their own.

The terminal summary says how many real hubs the run started, and which modules took
longest (setup, call and teardown of their tests summed: a module's own hub, browser and
kernels are in its first test's setup and its last one's teardown). A failed test that used a
`hub` gets the end of that hub's log (services included) and of its apps' Voila logs in
its report: CI keeps nothing else of a hub once the run is over.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.hubclient import Hub, make_state_dir, open_for_traversal, stop_hubs
from tests.oxigraph import oxigraph_server
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


@pytest.fixture(scope="session")
def oxigraph_session() -> Iterator[str]:
    with oxigraph_server(timeout=2) as url:
        yield url


@pytest.fixture
def oxigraph_url(oxigraph_session) -> str:
    reply = requests.post(
        oxigraph_session + "update",
        data="DROP ALL",
        headers={"Content-Type": "application/sparql-update"},
        timeout=60,
    )
    assert reply.status_code in (200, 204), reply.text
    return oxigraph_session


@pytest.fixture(params=["embedded", "server"])
def twins_backend(request) -> str:
    return request.getfixturevalue("oxigraph_url") if request.param == "server" else ""


@pytest.fixture(scope="session")
def shared_hub() -> Iterator[Callable[..., Hub]]:
    hubs: dict[tuple[str, ...], Hub] = {}

    def hub_with(args: list[str] = ()) -> Hub:
        key = tuple(args)
        if key not in hubs:
            hub = Hub(make_state_dir(), args=list(args))
            try:
                hub.start()
            except BaseException:
                stop_hubs([hub])
                raise
            hubs[key] = hub
        return hubs[key]

    yield hub_with
    stop_hubs(list(hubs.values()))


#: Lines of each log a failed test's report ends with.
LOG_TAIL = 60


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    hub = getattr(item, "funcargs", {}).get("hub")
    if report.failed and isinstance(hub, Hub):
        report.sections.append((f"end of the hub's log ({hub.log_path})", tail(hub.log_path)))
        voila_logs = sorted(
            (hub.state_dir / "apps").glob("run/*/*/voila.log"), key=os.path.getmtime
        )
        for path in voila_logs[-2:]:
            report.sections.append((f"end of an app's Voila log ({path})", tail(path)))
    return report


def tail(path: Path) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-LOG_TAIL:])
    except OSError as e:
        return f"(unreadable: {e})"


#: Seconds per test module (setup + call + teardown), for the terminal summary.
MODULE_SECONDS: Counter[str] = Counter()
#: How many of the slowest modules the terminal summary lists.
SLOWEST_MODULES = 15


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    MODULE_SECONDS[report.nodeid.split("::")[0]] += report.duration


@pytest.hookimpl(trylast=True)  # after --durations' list
def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if MODULE_SECONDS:
        terminalreporter.write_sep("=", f"slowest {SLOWEST_MODULES} modules (wall seconds)")
        for module, seconds in MODULE_SECONDS.most_common(SLOWEST_MODULES):
            terminalreporter.write_line(f"{seconds:8.1f}s {module}")
        total = sum(MODULE_SECONDS.values())
        terminalreporter.write_line(f"{total:8.1f}s in all {len(MODULE_SECONDS)} modules")
    if Hub.starts:
        terminalreporter.write_sep(
            "=",
            f"{len(Hub.hubs)} real hubs, {Hub.starts} hub starts, "
            f"at most {Hub.most_at_once} running at once",
        )
