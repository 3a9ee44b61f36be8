"""Settings and their translation into JupyterHub configuration (no hub started)."""

from __future__ import annotations

import json
import re
import shutil
import stat
import tempfile
from pathlib import Path

from traitlets.config import Config

from echoes_hub.auth import USERNAME_PATTERN
from echoes_hub.config import apply, tell_servers_where_services_are
from echoes_hub.services.culler import CULLER_SCOPES
from echoes_hub.settings import EchoesHub
from echoes_hub.spawners.local import closed_to_others


def _config(state: Path, **echoes) -> Config:
    c = Config()
    c.EchoesHub.state_dir = str(state)
    for key, value in echoes.items():
        setattr(c.EchoesHub, key, value)
    return c


def test_defaults_follow_the_port_and_state_folder(tmp_path):
    settings = EchoesHub(config=_config(tmp_path, port=9000))
    assert (settings.ip, settings.proxy_api_port, settings.hub_port) == ("127.0.0.1", 9001, 9002)
    assert settings.database_url == f"sqlite:///{tmp_path / 'jupyterhub.sqlite'}"
    assert settings.data_dir == str(tmp_path / "heritage")
    assert settings.public_url == "http://localhost:9000/"


def test_environment_variables_are_read_when_settings_are_made(tmp_path, monkeypatch):
    monkeypatch.setenv("ECHOES_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("ECHOES_PORT", "8123")
    monkeypatch.setenv("ECHOES_CULL_IDLE_TIMEOUT", "600")
    monkeypatch.setenv("ECHOES_DATA_DIR", "/srv/elsewhere")
    settings = EchoesHub()
    assert settings.state_dir == str(tmp_path)
    assert settings.port == 8123
    assert settings.cull_idle_timeout == 600
    assert settings.cull_every == 60
    assert settings.data_dir == "/srv/elsewhere"


def test_config_file_values_win_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ECHOES_PORT", "8123")
    assert EchoesHub(config=_config(tmp_path, port=8500)).port == 8500


def test_every_setting_is_documented():
    for name, trait in EchoesHub.class_traits(config=True).items():
        assert len(trait.help) > 30, f"EchoesHub.{name} needs a real help string"


def test_apply_configures_the_hub_and_is_idempotent(tmp_path):
    c = _config(tmp_path, port=8200, named_server_limit=2, cull_idle_timeout=120)
    apply(c)
    first = repr(c)
    apply(c)
    assert repr(c) == first

    assert c.JupyterHub.bind_url == "http://127.0.0.1:8200"
    assert c.JupyterHub.subdomain_host == "http://localhost:8200"
    annotations = next(s for s in c.JupyterHub.services if s["name"] == "annotations")
    given = json.loads(annotations["environment"]["ECHOES_SERVICE_CONFIG"])
    assert given["ServiceApp"]["public_url"] == (
        "http://annotations--service.localhost:8200/services/annotations/"
    )
    assert c.JupyterHub.allow_named_servers is True
    assert c.JupyterHub.named_server_limit_per_user == 2
    assert c.Spawner.default_url == "/lab"
    assert c.Authenticator.admin_users == {"admin"}
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")
    assert "--timeout=120" in culler["command"]
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "idle-culler")
    assert role["scopes"] == CULLER_SCOPES and role["services"] == ["idle-culler"]

    token_file = tmp_path / "proxy_auth_token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert c.ConfigurableHTTPProxy.auth_token == token_file.read_text().strip()
    assert stat.S_IMODE((tmp_path / "heritage").stat().st_mode) == 0o755


def test_culler_can_be_switched_off(tmp_path):
    c = _config(tmp_path, cull_idle_timeout=0)
    apply(c)
    assert {s["name"] for s in c.JupyterHub.services} == {"annotations", "apps"}


def test_user_names_are_safe_for_system_users_and_volumes():
    allowed = ["ada", "b0b", "anna-maria", "x_y"]
    refused = ["Root", "../etc", "a b", "1abc", "a" * 31, "", "ümlaut", "alice;rm"]
    for name in allowed:
        assert re.fullmatch(USERNAME_PATTERN, name), name
    for name in refused:
        assert not re.fullmatch(USERNAME_PATTERN, name), name


def test_closed_folders_on_the_way_to_the_interpreter_are_found():
    base = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        base.chmod(0o755)
        private = base / "private"
        (private / "bin").mkdir(parents=True)
        tool = private / "bin" / "python"
        tool.write_text("")
        private.chmod(0o700)
        assert closed_to_others(tool) == private
        private.chmod(0o755)
        assert closed_to_others(tool) is None
    finally:
        shutil.rmtree(base)


def test_readme_lists_every_setting():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name in EchoesHub.class_traits(config=True):
        assert f"`EchoesHub.{name}`" in readme, f"README does not document EchoesHub.{name}"


def test_with_containers_the_services_listen_where_containers_reach_the_host():
    c = Config()
    c.JupyterHub.hub_connect_ip = "172.19.0.1"
    services = [
        {"name": "annotations", "url": "http://127.0.0.1:8004"},
        {"name": "apps", "url": "http://127.0.0.1:41234"},
        {"name": "idle-culler", "command": ["cull"]},
    ]
    tell_servers_where_services_are(c, services)
    assert [s.get("url") for s in services] == [
        "http://172.19.0.1:8004",
        "http://172.19.0.1:41234",
        None,
    ]
    assert c.EchoesDockerSpawner.environment == {
        "ECHOES_ANNOTATIONS_URL": "http://172.19.0.1:8004/services/annotations/",
        "ECHOES_APPS_URL": "http://172.19.0.1:41234/services/apps/",
    }


def test_without_containers_the_services_stay_on_loopback_and_servers_are_told():
    c = Config()
    services = [{"name": "annotations", "url": "http://127.0.0.1:8004"}]
    tell_servers_where_services_are(c, services)
    assert services[0]["url"] == "http://127.0.0.1:8004"
    assert "environment" not in c.EchoesDockerSpawner
    assert c.EchoesLocalSpawner.environment == {
        "ECHOES_ANNOTATIONS_URL": "http://127.0.0.1:8004/services/annotations/"
    }
