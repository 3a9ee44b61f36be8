"""The service skeleton (hub/services/base/) on a service of two routes, in process: what
every managed service gets from it without writing it again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

import pytest
import requests
from sqlalchemy import text
from tornado import web
from traitlets import Unicode
from traitlets.config import Config

from echoes_hub.deployment import Deployment
from echoes_hub.services.annotations.store import Store
from echoes_hub.services.apps.store import AppStore
from echoes_hub.services.base.app import ServiceApp
from echoes_hub.services.base.auth import ServiceHandler
from echoes_hub.services.base.errors import ServiceError
from echoes_hub.services.base.routes import Route
from echoes_hub.services.base.settings import CONFIG_VARIABLE, ServiceSettings, service_entry
from echoes_hub.settings import EchoesHub
from tests.inprocess import InProcess


class EchoService(ServiceSettings):
    name: ClassVar[str] = "echo"
    module: ClassVar[str] = "tests.unit.echo"
    secret_url = Unicode("", config=True, help="A setting that may hold a password.")


class Missing(ServiceError):
    status = 404


class EchoHandler(ServiceHandler):
    def get(self) -> None:
        viewer = self.viewer
        self.finish({"name": viewer.name, "anonymous": viewer.anonymous})

    def post(self) -> None:
        what = self.get_query_argument("fail", "")
        if what == "missing":
            raise Missing("no such thing", "thing")
        if what == "http":
            raise web.HTTPError(409, "taken by %s", "someone")
        raise RuntimeError("a secret detail of the fault")


class PublicHandler(EchoHandler):
    require_user = False


class EchoApp(ServiceApp):
    settings_class = EchoService

    def make_web_app(self) -> web.Application:
        return self.web_app(
            [
                Route("", EchoHandler, {"get": "who", "post": "fail"}),
                Route("public", PublicHandler, {"get": "who, if anyone"}),
            ]
        )


@pytest.fixture
def echo() -> Iterator[str]:
    async def start(port: int) -> web.Application:
        app = EchoApp(config=Config({"EchoService": {"max_body_size": 100}}))
        return app.make_web_app()

    running = InProcess(start)
    try:
        yield f"http://127.0.0.1:{running.port}/services/echo/"
    finally:
        running.stop()


def test_errors_are_json_with_their_status_and_faults_hide_their_detail(echo, caplog):
    ann = InProcess.session("ann")
    assert ann.get(echo).json() == {"name": "ann", "anonymous": False}
    missing = ann.post(f"{echo}?fail=missing")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Missing", "message": "no such thing", "field": "thing"}
    taken = ann.post(f"{echo}?fail=http")
    assert taken.status_code == 409
    assert taken.json() == {"error": "Conflict", "message": "taken by someone"}
    fault = ann.post(f"{echo}?fail=fault")
    assert fault.status_code == 500 and "secret" not in fault.text
    assert fault.json() == {"error": "Internal Server Error", "message": "Internal Server Error"}
    assert fault.headers["Content-Type"] == "application/json"
    assert "a secret detail of the fault" in caplog.text  # the traceback is for the log
    too_big = ann.post(echo, data=b"x" * 101)
    assert too_big.status_code == 413 and too_big.json()["error"] == "TooLarge"


def test_nobody_is_refused_unless_the_handler_lets_anonymous_visitors_in(echo):
    refused = requests.get(echo, timeout=30)
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    anonymous = requests.get(f"{echo}public", timeout=30).json()
    assert anonymous == {"name": "", "anonymous": True}


def test_the_entry_hands_the_settings_over_in_the_environment_only(tmp_path, monkeypatch):
    settings = EchoesHub(state_dir=str(tmp_path), port=8300)
    url = "postgresql+psycopg://echo:hunter2@db/echo"
    c = Config({"EchoService": {"secret_url": url}})
    deployment = Deployment(settings, "local", service_ports={"echo": 8399})
    entry = service_entry(EchoService(config=c), deployment, default_port=8301)
    assert entry["name"] == "echo" and entry["url"] == "http://127.0.0.1:8399"
    assert "hunter2" not in json.dumps(entry["command"])
    assert entry["command"][-2:] == ["-m", "tests.unit.echo"]
    # The service process reads the same class from what the hub resolved.
    monkeypatch.setenv(CONFIG_VARIABLE, entry["environment"][CONFIG_VARIABLE])
    app = EchoApp()
    app.initialize([])
    assert app.service_settings.secret_url == url
    assert app.public_url == "http://echo--service.localhost:8300/services/echo/"
    # A port set for the service wins over the one picked at start; without either, the
    # service's own default.
    c.EchoService.port = 8500
    assert service_entry(EchoService(config=c), deployment, default_port=1)["url"].endswith(":8500")
    alone = Deployment(settings, "local", services_ip="172.17.0.1")
    entry = service_entry(EchoService(), alone, default_port=8301)
    assert entry["url"] == "http://172.17.0.1:8301"


def test_every_services_sqlite_database_is_durable(tmp_path):
    """Both stores open SQLite through the base: WAL, and a commit survives a crash."""
    annotations = Store(f"sqlite:///{tmp_path}/annotations.sqlite").engine
    apps = AppStore(tmp_path / "apps").engine
    for engine in (annotations, apps):
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
