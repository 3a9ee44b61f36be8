"""The hub runs the annotation service as a managed service, configured by traits."""

from __future__ import annotations

from traitlets.config import Config

from echoes_hub.prepare import prepare_and_apply


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


def test_defaults_sqlite_in_the_state_folder_and_users_may_use_it(tmp_path):
    c = hub_config(tmp_path)
    service = service_of(c)
    assert service["url"] == "http://127.0.0.1:18104"
    assert service["oauth_no_confirm"] is True
    command = " ".join(service["command"])
    assert "-m echoes_hub.services.annotations" in command
    database = f"sqlite:///{tmp_path}/annotations.sqlite"
    assert service["environment"]["ECHOES_ANNOTATIONS_DATABASE_URL"] == database
    # Never on the command line: every hub user may read the service's model, which has it.
    assert "database" not in command
    assert (
        "--AnnotationsApp.public_url=http://annotations--service.localhost:18100/services/annotations/"
        in command
    )
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
    assert "--AnnotationsApp.max_body_size=1000" in service["command"]
    # Group changes on the hub reach the service within this many seconds (default 10).
    assert "--AnnotationsApp.auth_cache_max_age=10" in service["command"]
    c = hub_config(tmp_path, auth_cache_max_age=3)
    assert "--AnnotationsApp.auth_cache_max_age=3" in service_of(c)["command"]
    assert service["environment"]["ECHOES_ANNOTATIONS_DATABASE_URL"] == url


def test_applying_twice_gives_the_same_configuration(tmp_path):
    c = hub_config(tmp_path)
    services, roles = list(c.JupyterHub.services), list(c.JupyterHub.load_roles)
    prepare_and_apply(c)  # the next start
    assert c.JupyterHub.services == services and c.JupyterHub.load_roles == roles


def test_the_service_asks_the_hub_again_after_its_auth_cache_age(tmp_path):
    from echoes_hub.services.annotations.app import AnnotationsApp
    from echoes_hub.services.annotations.store import Store

    store = Store(f"sqlite:///{tmp_path}/a.sqlite")
    web = AnnotationsApp(auth_cache_max_age=4).make_web_app(store)
    store.close()
    rules = web.default_router.rules[0].target.rules
    hub_auths = {id(rule.target_kwargs["hub_auth"]) for rule in rules}
    assert len(hub_auths) == 1, "every handler, the OAuth callback too, shares one HubOAuth"
    hub_auth = rules[0].target_kwargs["hub_auth"]
    assert hub_auth.cache_max_age == 4 and hub_auth.cache.max_age == 4
