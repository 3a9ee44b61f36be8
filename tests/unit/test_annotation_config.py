"""The hub runs the annotation service as a managed service, configured by traits."""

from __future__ import annotations

import json

from traitlets.config import Config

from echoes_hub.prepare import prepare_and_apply
from echoes_hub.services.base.settings import CONFIG_VARIABLE


def hub_config(tmp_path, **annotations) -> Config:
    c = Config()
    c.EchoesHub.state_dir = str(tmp_path)
    c.EchoesHub.port = 18100
    c.EchoesHub.spawner = "local"  # docker mode moves the services (test_hub_config.py)
    for name, value in annotations.items():
        setattr(c.AnnotationsService, name, value)
    prepare_and_apply(c)
    return c


def service_of(c: Config) -> dict:
    return next(s for s in c.JupyterHub.services if s["name"] == "annotations")


def settings_of(service: dict) -> dict:
    """The service's settings as the hub hands them to its process."""
    return json.loads(service["environment"][CONFIG_VARIABLE])["AnnotationsService"]


def test_defaults_sqlite_in_the_state_folder_and_users_may_use_it(tmp_path):
    c = hub_config(tmp_path)
    service = service_of(c)
    assert service["url"] == "http://127.0.0.1:18104"
    assert service["oauth_no_confirm"] is True
    command = " ".join(service["command"])
    assert "-m echoes_hub.services.annotations" in command
    database = f"sqlite:///{tmp_path}/annotations.sqlite"
    assert settings_of(service)["database_url"] == database
    # Never on the command line: every hub user may read the service's model, which has it.
    assert "database" not in command
    public_url = json.loads(service["environment"][CONFIG_VARIABLE])["ServiceApp"]["public_url"]
    assert public_url == "http://annotations--service.localhost:18100/services/annotations/"
    user_role = next(r for r in c.JupyterHub.load_roles if r["name"] == "user")
    assert "self" in user_role["scopes"]
    assert "access:services!service=annotations" in user_role["scopes"]
    # The API token of a user's server (notebooks, agents) may call the service too.
    assert "access:services!service=annotations" in c.Spawner.server_token_scopes
    assert "access:servers!server" in c.Spawner.server_token_scopes


def test_port_body_limit_and_database_are_settings(tmp_path):
    url = "postgresql+psycopg://echoes@db.example/annotations"
    c = hub_config(tmp_path, port=18555, max_body_size=1000, database_url=url)
    service = service_of(c)
    assert service["url"] == "http://127.0.0.1:18555"
    assert settings_of(service)["max_body_size"] == 1000
    # Group changes on the hub reach the service within this many seconds (default 10).
    assert settings_of(service)["auth_cache_max_age"] == 10
    c = hub_config(tmp_path, auth_cache_max_age=3)
    assert settings_of(service_of(c))["auth_cache_max_age"] == 3
    assert settings_of(service)["database_url"] == url


def test_applying_twice_gives_the_same_configuration(tmp_path):
    c = hub_config(tmp_path)
    services, roles = list(c.JupyterHub.services), list(c.JupyterHub.load_roles)
    prepare_and_apply(c)  # the next start
    assert c.JupyterHub.services == services and c.JupyterHub.load_roles == roles


def test_the_service_reads_the_settings_the_hub_resolved(tmp_path, monkeypatch):
    """One declaration (AnnotationsService): what the hub configured is what the service
    process runs with, defaults resolved on the hub (the database in the state folder)."""
    from echoes_hub.services.annotations.app import AnnotationsApp

    c = hub_config(tmp_path, max_body_size=1234, max_imports_per_hour=7, page_size=5)
    service = service_of(c)
    monkeypatch.setenv(CONFIG_VARIABLE, service["environment"][CONFIG_VARIABLE])
    app = AnnotationsApp()
    app.initialize([])
    assert (
        app.service_settings.max_body_size == 1234
        and app.service_settings.max_imports_per_hour == 7
    )
    assert app.service_settings.page_size == 5 and app.service_settings.auth_cache_max_age == 10
    assert app.service_settings.database_url == f"sqlite:///{tmp_path}/annotations.sqlite"
    assert app.public_url == "http://annotations--service.localhost:18100/services/annotations/"
    # The command line still wins (running the service by hand).
    app = AnnotationsApp()
    app.initialize(["--AnnotationsService.max_body_size=99"])
    assert app.service_settings.max_body_size == 99 and app.service_settings.page_size == 5


def test_the_service_asks_the_hub_again_after_its_auth_cache_age(tmp_path):
    from echoes_hub.services.annotations.app import AnnotationsApp

    app = AnnotationsApp(config=Config({"AnnotationsService": {"auth_cache_max_age": 4}}))
    # Its own HubOAuth, which every handler (the OAuth callback too) reads from the settings.
    hub_auth = app.make_web_app().settings["hub_auth"]
    assert hub_auth.cache_max_age == 4 and hub_auth.cache.max_age == 4
