"""The hub configuration of the apps service: its entry, its roles and its settings."""

from __future__ import annotations

from traitlets.config import Config

from echoes_hub.prepare import prepare_and_apply
from echoes_hub.services.apps.config import EchoesApps


def test_apps_service_is_managed_tethered_and_minimally_privileged(tmp_path):
    c = Config()
    c.EchoesHub.state_dir = str(tmp_path)
    c.EchoesHub.spawner = "local"  # a unit test does not ask the Docker engine
    c.EchoesApps.pool_size = 2
    prepare_and_apply(c)
    [apps] = [s for s in c.JupyterHub.services if s["name"] == "apps"]
    assert apps["command"][1:3] == ["-m", "echoes_hub.services.tether"]
    assert "--pool-size=2" in apps["command"]
    assert f"--state={tmp_path / 'apps'}" in apps["command"]
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
