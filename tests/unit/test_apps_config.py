"""The hub configuration of the apps service: its entry, its roles and its settings."""

from __future__ import annotations

import asyncio
import json

from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from traitlets.config import Config

from echoes_hub.deployment import Deployment
from echoes_hub.prepare import prepare_and_apply
from echoes_hub.services.apps.config import EchoesApps, apps_service
from echoes_hub.services.apps.runner import Runner
from echoes_hub.services.apps.service import AppsApp
from echoes_hub.services.base.settings import CONFIG_VARIABLE
from echoes_hub.settings import EchoesHub


def test_apps_service_is_managed_tethered_and_minimally_privileged(tmp_path):
    c = Config()
    c.EchoesHub.state_dir = str(tmp_path)
    c.EchoesHub.spawner = "local"  # a unit test does not ask the Docker engine
    c.EchoesApps.pool_size = 2
    prepare_and_apply(c)
    [apps] = [s for s in c.JupyterHub.services if s["name"] == "apps"]
    assert apps["command"][1:3] == ["-m", "echoes_hub.services.tether"]
    assert apps["command"][-2:] == ["-m", "echoes_hub.services.apps.service"]
    assert apps["cwd"] == str(tmp_path)  # the service keeps its files in STATE_FOLDER there
    assert settings_of(apps)["pool_size"] == 2
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["apps-service"]["scopes"] == ["read:users", "read:groups"]
    assert "access:services!service=apps" in roles["user"]["scopes"]
    assert "self" in roles["user"]["scopes"]
    first_url = apps["url"]
    prepare_and_apply(c)  # the next start gives the same address
    assert next(s for s in c.JupyterHub.services if s["name"] == "apps")["url"] == first_url


def test_every_apps_setting_is_documented():
    for name, trait in EchoesApps.class_traits(config=True).items():
        assert len(trait.help) > 20, name


def settings_of(service: dict) -> dict:
    """The EchoesApps section the hub hands the service (the base's CONFIG_VARIABLE)."""
    return json.loads(service["environment"][CONFIG_VARIABLE])["EchoesApps"]


def deployment(tmp_path, servers="local", **kwargs) -> Deployment:
    settings = EchoesHub(config=Config({"EchoesHub": {"state_dir": str(tmp_path)}}))
    return Deployment(settings, servers, service_ports={"apps": 41234}, **kwargs)


def test_the_entry_only_reads_the_deployment(tmp_path):
    """Building the entry writes nothing, probes no engine and makes no network."""
    c = Config()
    before = sorted(tmp_path.rglob("*"))
    service, _roles, _scopes = apps_service(c, deployment(tmp_path, proxy_api_url="http://p:1"))
    assert sorted(tmp_path.rglob("*")) == before
    assert service["url"] == "http://127.0.0.1:41234"
    assert service["environment"]["ECHOES_PROXY_API_URL"] == "http://p:1"
    assert settings_of(service)["mode"] == "process"  # local servers: apps are processes


def test_apps_run_in_containers_of_the_servers_image_when_servers_are_containers(tmp_path):
    c = Config()
    c.EchoesApps.mem_limit = "768M"
    servers = deployment(
        tmp_path, "docker", image="img:1", network="net", container_prefix="echoes-t"
    )
    handed = settings_of(apps_service(c, servers)[0])
    wanted = {"mode": "docker", "image": "img:1", "network": "net", "container_prefix": "echoes-t"}
    assert {k: handed[k] for k in wanted} == wanted and handed["mem_limit"] == "768M"
    c.EchoesApps.mode = "process"  # EchoesApps.mode overrides what the servers do
    c.EchoesApps.port = 5000
    service = apps_service(c, servers)[0]
    assert settings_of(service)["mode"] == "process"
    assert service["url"] == "http://127.0.0.1:5000"
    c.EchoesApps.mode = "docker"
    c.EchoesApps.image = "apps:2"
    handed = settings_of(apps_service(c, deployment(tmp_path, image="img:1"))[0])
    assert (handed["mode"], handed["image"]) == ("docker", "apps:2")


def test_the_service_reads_the_settings_the_hub_hands_it(tmp_path, monkeypatch):
    """One declaration: what the hub resolved is what the service process runs with."""
    c = Config()
    c.EchoesApps.pool_size = 3
    servers = deployment(tmp_path, "docker", image="img:1", network="net")
    service = apps_service(c, servers)[0]
    monkeypatch.setenv(CONFIG_VARIABLE, service["environment"][CONFIG_VARIABLE])
    app = AppsApp()
    app.initialize([])
    assert (
        app.service_settings.pool_size,
        app.service_settings.mode,
        app.service_settings.image,
    ) == (3, "docker", "img:1")
    assert app.service_settings.auth_cache_max_age == 10


def test_the_service_asks_the_hub_again_after_its_short_cache_and_serves_one_table(
    tmp_path, monkeypatch
):
    """JupyterHub's shared HubOAuth kept "who is this" 300 s; the service's own follows
    EchoesApps.auth_cache_max_age (10 s), as its lookups by name do. An author's host gets
    only the apps' addresses, the service's host the gallery and the API too."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JUPYTERHUB_API_URL", "http://127.0.0.1:1/hub/api")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t" * 32)
    monkeypatch.setenv("JUPYTERHUB_HOST", "http://localhost:8000")
    monkeypatch.setenv(CONFIG_VARIABLE, json.dumps({"EchoesApps": {"cull_every": 3600}}))
    app = AppsApp()
    app.initialize([])

    async def build():
        await app.open()
        return app.make_web_app()

    web_app = asyncio.run(build())
    assert web_app.settings["hub_auth"].cache_max_age == 10
    assert app.apps.cache_seconds == 10
    assert (tmp_path / "apps" / "apps.sqlite").exists()  # in the hub's state folder

    def handler(host: str, path: str) -> str:
        line = RequestStartLine("GET", f"/services/apps/{path}", "HTTP/1.1")
        request = HTTPServerRequest(start_line=line, headers=HTTPHeaders(Host=host))
        return web_app.find_handler(request).handler_class.__name__

    assert handler("apps--service.localhost:8000", "api/apps") == "AppsApiHandler"
    assert handler("ann--app.localhost:8000", "api/apps") == "NotOnAuthorsHost"
    assert handler("ann--app.localhost:8000", "ann/pots/") == "AppProxyHandler"
    assert handler("apps--service.localhost:8000", "oauth_callback") == "OAuthCallbackHandler"


def test_voila_preheats_kernels_only_when_asked(tmp_path):
    """Voila 0.5's preheat can stall a page for good (hub/services/apps/README.md), so by
    default each page gets a kernel of its own; `pool_size` > 0 turns the pool on."""
    args = Runner(tmp_path, "/services/apps/").voila_args("app.ipynb", 1, "127.0.0.1", "/")
    assert not [a for a in args if "preheat" in a or "pool_size" in a], args
    assert EchoesApps().pool_size == 0
    preheated = Runner(tmp_path, "/services/apps/", pool_size=2)
    args = preheated.voila_args("app.ipynb", 1, "127.0.0.1", "/")
    assert {"--preheat_kernel=True", "--pool_size=2"} <= set(args), args
