"""Every path setting is absolute once read: the services and servers run in other folders.

`make up` from a fresh clone gave the annotation service `sqlite:///.echoes/...` while it ran
inside `.echoes` (a traitlets @validate does not run for a @default value).
"""

from __future__ import annotations

import json
from pathlib import Path

from traitlets.config import Config

from echoes_hub.prepare import prepare_and_apply
from echoes_hub.services.annotations import AnnotationsService
from echoes_hub.settings import EchoesHub, absolute_sqlite_url


def test_default_paths_are_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in (
        *("ECHOES_STATE_DIR", "ECHOES_DATA_DIR", "ECHOES_HARVESTED_DIR"),
        *("ECHOES_DATABASE_URL", "ECHOES_LOG_FILE"),
    ):
        monkeypatch.delenv(name, raising=False)
    settings = EchoesHub()
    state = tmp_path / ".echoes"
    assert settings.state_dir == str(state)
    assert settings.data_dir == str(state / "heritage")
    assert settings.harvested_dir == str(state / "harvested")
    assert settings.log_file == str(state / "hub.log")
    assert settings.database_url == f"sqlite:///{state / 'jupyterhub.sqlite'}"


def test_relative_paths_from_the_environment_and_config_are_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECHOES_STATE_DIR", "state")
    monkeypatch.setenv("ECHOES_DATABASE_URL", "sqlite:///hub.db")
    c = Config()
    c.EchoesHub.data_dir = "data"
    c.EchoesHub.harvested_dir = "harvested"
    c.EchoesHub.log_file = "logs/hub.log"
    c.EchoesHub.proxy_command = "node_modules/.bin/configurable-http-proxy"
    settings = EchoesHub(config=c)
    assert settings.state_dir == str(tmp_path / "state")
    assert settings.database_url == f"sqlite:///{tmp_path / 'hub.db'}"
    assert settings.data_dir == str(tmp_path / "data")
    assert settings.harvested_dir == str(tmp_path / "harvested")
    assert settings.log_file == str(tmp_path / "logs" / "hub.log")
    assert settings.proxy_command == str(tmp_path / "node_modules/.bin/configurable-http-proxy")
    # A command name is looked up on PATH, not made a path.
    assert EchoesHub(proxy_command="configurable-http-proxy").proxy_command == (
        "configurable-http-proxy"
    )


def test_sqlite_urls_are_made_absolute_and_others_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert absolute_sqlite_url("sqlite:///a.sqlite") == f"sqlite:///{tmp_path / 'a.sqlite'}"
    for url in (
        "sqlite:////srv/a.sqlite",
        "sqlite://",
        "sqlite:///:memory:",
        "postgresql+psycopg://user:secret@db/annotations",
    ):
        assert absolute_sqlite_url(url) == url


def test_the_annotation_service_gets_an_absolute_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECHOES_STATE_DIR", raising=False)
    c = Config()
    c.EchoesHub.spawner = "local"  # a unit test does not ask the Docker engine
    settings = prepare_and_apply(c).settings
    service = next(s for s in c.JupyterHub.services if s["name"] == "annotations")
    url = f"sqlite:///{Path(settings.state_dir) / 'annotations.sqlite'}"
    given = json.loads(service["environment"]["ECHOES_SERVICE_CONFIG"])
    assert given["AnnotationsService"]["database_url"] == url
    assert url.startswith(f"sqlite:///{tmp_path}/")
    relative = AnnotationsService(database_url="sqlite:///notes.sqlite").database_url
    assert relative == f"sqlite:///{tmp_path / 'notes.sqlite'}"
