"""Settings and their translation into JupyterHub configuration (no hub started).

A start first prepares the deployment (hub/prepare.py: the state folder, secrets, the
Docker engine and network, ports), once; the configuration is then built from it alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from traitlets.config import Config

from echoes_hub.app import EchoesUp
from echoes_hub.auth import USERNAME_PATTERN
from echoes_hub.config import apply, configure_services, tell_servers_where_services_are
from echoes_hub.deployment import Deployment
from echoes_hub.prepare import prepare_and_apply
from echoes_hub.services.culler import CULLER_SCOPES
from echoes_hub.settings import EchoesHub
from echoes_hub.spawners.docker import EchoesDockerSpawner
from echoes_hub.spawners.local import EchoesLocalSpawner, closed_to_others, open_for_traversal

#: Audit events (PEP 578) of what building the configuration must never do: change files
#: or folders, open sockets (the Docker engine, a free port), start processes.
SIDE_EFFECTS = {
    *("os.mkdir", "os.chmod", "os.chown", "os.rename", "os.remove", "os.rmdir", "os.symlink"),
    *("os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move"),
    *("socket.__new__", "socket.bind", "socket.connect", "socket.getaddrinfo"),
    *("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.fork"),
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_recorders: list[list[tuple[str, tuple]]] = []


def _audit(event: str, args: tuple) -> None:
    if _recorders and (event in SIDE_EFFECTS or (event == "open" and args[2] & WRITE_FLAGS)):
        _recorders[-1].append((event, args))


sys.addaudithook(_audit)  # hooks stay for the process; it records only inside `recorded`


@contextmanager
def recorded() -> Iterator[list[tuple[str, tuple]]]:
    """What the block does to files, folders, sockets and processes (audit events)."""
    events: list[tuple[str, tuple]] = []
    _recorders.append(events)
    try:
        yield events
    finally:
        _recorders.remove(events)


@pytest.fixture
def no_engine(tmp_path, monkeypatch) -> Path:
    """DOCKER_HOST names a socket nothing listens on: a probe of the engine fails."""
    socket_path = tmp_path / "no-engine.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{socket_path}")
    return socket_path


def by_hand(c: Config, servers: str, services_ip: str = "127.0.0.1") -> Deployment:
    """A Deployment as `prepare` would make it, made without preparing anything."""
    return Deployment(
        settings=EchoesHub(config=c),
        servers=servers,
        services_ip=services_ip,
        image="echoes/singleuser:latest",
        network="echoes",
        home_volume="{prefix}-home-{username}",
        proxy_api_url="http://127.0.0.1:8001",
        proxy_auth_token="f" * 64,
        service_ports={
            "annotations": 8004,
            "apps": 41234,
            "iiif": 41235,
            "twins": 41236,
            "workshops": 41240,
        },
    )


def _config(state: Path, **echoes) -> Config:
    c = Config()
    c.EchoesHub.state_dir = str(state)
    c.EchoesHub.spawner = "local"  # unless a test says otherwise: no Docker engine asked
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


def test_a_start_prepares_then_configures_and_applying_is_idempotent(tmp_path):
    c = _config(tmp_path, port=8200, named_server_limit=2, cull_idle_timeout=120)
    deployment = prepare_and_apply(c)
    first = repr(c)
    apply(c, deployment)
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
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o711
    assert stat.S_IMODE((tmp_path / "heritage").stat().st_mode) == 0o755
    # The next start keeps the token and the ports (the proxy that kept running knows them).
    again = prepare_and_apply(_config(tmp_path, port=8200))
    assert (again.proxy_auth_token, again.service_ports) == (
        deployment.proxy_auth_token,
        deployment.service_ports,
    )
    assert deployment.service_ports["annotations"] == 8204


def test_applying_the_configuration_touches_nothing(tmp_path, no_engine):
    """With containers and no engine answering, building the configuration twice creates no
    file or folder, opens no socket and starts nothing; both give the same configuration."""
    state = tmp_path / "fresh-state"
    c = _config(state, spawner="docker")
    deployment = by_hand(c, servers="docker", services_ip="172.19.0.1")
    with recorded() as events:
        apply(c, deployment)
        first = repr(c)
        apply(c, deployment)
    assert events == []
    assert not state.exists()
    assert repr(c) == first
    assert c.JupyterHub.spawner_class is EchoesDockerSpawner
    assert c.JupyterHub.hub_ip == c.JupyterHub.hub_connect_ip == "172.19.0.1"
    assert c.ConfigurableHTTPProxy.auth_token == "f" * 64
    apps = next(s for s in c.JupyterHub.services if s["name"] == "apps")
    assert apps["url"] == "http://172.19.0.1:41234"
    assert (
        json.loads(apps["environment"]["ECHOES_SERVICE_CONFIG"])["EchoesApps"]["mode"] == "docker"
    )


@pytest.mark.parametrize(("asked", "servers"), [("docker", "local"), ("local", "docker")])
def test_sections_follow_the_mode_of_the_deployment_not_the_setting(
    tmp_path, no_engine, asked, servers
):
    """EchoesHub.spawner is read once, by `prepare`: the sections read Deployment.servers."""
    c = _config(tmp_path / "state", spawner=asked)
    gateway = "172.19.0.1" if servers == "docker" else "127.0.0.1"
    with recorded() as events:
        apply(c, by_hand(c, servers=servers, services_ip=gateway))
    assert events == []
    spawner = {"local": EchoesLocalSpawner, "docker": EchoesDockerSpawner}[servers]
    assert c.JupyterHub.spawner_class is spawner
    assert c.JupyterHub.hub_ip == gateway
    assert ("hub_connect_ip" in c.JupyterHub) == (servers == "docker")
    urls = {s["name"]: s.get("url") for s in c.JupyterHub.services}
    assert urls == {
        "annotations": f"http://{gateway}:8004",
        "apps": f"http://{gateway}:41234",
        "iiif": f"http://{gateway}:41235",
        "twins": f"http://{gateway}:41236",
        "workshops": f"http://{gateway}:41240",
        "idle-culler": None,
    }
    assert c[spawner.__name__].environment["ECHOES_APPS_URL"] == (
        f"http://{gateway}:41234/services/apps/"
    )
    apps = next(s for s in c.JupyterHub.services if s["name"] == "apps")
    given = json.loads(apps["environment"]["ECHOES_SERVICE_CONFIG"])["EchoesApps"]
    assert given["mode"] == ("docker" if servers == "docker" else "process")


@pytest.mark.parametrize("servers", ["local", "docker"])
def test_user_servers_and_the_twins_service_are_given_the_harvested_catalog(tmp_path, servers):
    """The harvested collections' catalog (EchoesHub.harvested_dir): the twins service
    writes it, local servers are told where it is, containers get it mounted read-only."""
    c = _config(tmp_path / "state")
    apply(c, by_hand(c, servers=servers))
    folder = EchoesHub(config=c).harvested_dir
    assert folder == str(tmp_path / "state" / "harvested")
    twins = next(s for s in c.JupyterHub.services if s["name"] == "twins")
    assert twins["environment"]["ECHOES_HARVESTED_DIR"] == folder
    spawner = {"local": EchoesLocalSpawner, "docker": EchoesDockerSpawner}[servers]
    assert c[spawner.__name__].harvested_dir == folder
    if servers == "docker":
        mounted = EchoesDockerSpawner(config=c).read_only_volumes
        assert mounted[folder] == "/srv/harvested"
        assert mounted[EchoesHub(config=c).data_dir] == "/srv/heritage"


def test_a_start_decides_the_mode_once(tmp_path, no_engine):
    """`echoes up` reads its configuration, prepares once (asking the engine once: none
    answers, so `auto` means local processes) and builds the configuration from that."""
    app = EchoesUp(config=_config(tmp_path / "state", spawner="auto"))
    app.terminal = sys.stderr  # keep this process's output where it is
    with recorded() as events:
        app.load_config_file(app.config_file)
    engine_calls = [args for event, args in events if event == "socket.connect"]
    assert [address for _, address in engine_calls] == [str(no_engine)]
    assert app.deployment.servers == "local"
    assert app.config.JupyterHub.spawner_class is EchoesLocalSpawner
    assert app.config.JupyterHub.hub_ip == "127.0.0.1"


def test_culler_can_be_switched_off(tmp_path):
    c = _config(tmp_path, cull_idle_timeout=0)
    prepare_and_apply(c)
    assert {s["name"] for s in c.JupyterHub.services} == {
        "annotations",
        "apps",
        "iiif",
        "twins",
        "workshops",
    }


def test_user_names_are_safe_for_system_users_and_volumes():
    allowed = ["ada", "b0b", "anna-maria", "x_y"]
    refused = ["Root", "../etc", "a b", "1abc", "a" * 31, "", "ümlaut", "alice;rm"]
    for name in allowed:
        assert re.fullmatch(USERNAME_PATTERN, name), name
    for name in refused:
        assert not re.fullmatch(USERNAME_PATTERN, name), name


@pytest.mark.skipif(os.geteuid() != 0, reason="only root opens folders for system users")
def test_root_opens_its_closed_folders_for_passing_through_never_for_listing():
    base = Path(tempfile.mkdtemp(dir="/tmp"))  # 0700, like a clone under /root
    try:
        tools = base / "clone" / ".venv" / "bin"
        tools.mkdir(parents=True)
        (base / "clone").chmod(0o750)
        assert open_for_traversal(tools) == [base / "clone", base]
        assert stat.S_IMODE(base.stat().st_mode) == 0o711
        assert stat.S_IMODE((base / "clone").stat().st_mode) == 0o751
        assert closed_to_others(tools / "python") is None
        assert open_for_traversal(tools) == []  # nothing left to open
    finally:
        shutil.rmtree(base)


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


def test_with_containers_the_services_listen_where_containers_reach_the_host(tmp_path):
    c = _config(tmp_path)
    deployment = by_hand(c, servers="docker", services_ip="172.19.0.1")
    configure_services(c, deployment)
    assert {s["name"]: s["url"] for s in c.JupyterHub.services if "url" in s} == {
        "annotations": "http://172.19.0.1:8004",
        "apps": "http://172.19.0.1:41234",
        "iiif": "http://172.19.0.1:41235",
        "twins": "http://172.19.0.1:41236",
        "workshops": "http://172.19.0.1:41240",
    }
    assert c.EchoesDockerSpawner.environment == {
        "ECHOES_ANNOTATIONS_URL": "http://172.19.0.1:8004/services/annotations/",
        "ECHOES_APPS_URL": "http://172.19.0.1:41234/services/apps/",
        "ECHOES_IIIF_URL": "http://172.19.0.1:41235/services/iiif/",
        "ECHOES_TWINS_URL": "http://172.19.0.1:41236/services/twins/",
        "ECHOES_WORKSHOPS_URL": "http://172.19.0.1:41240/services/workshops/",
    }
    # The workshops service finds homes in volumes named by the spawner's rule (homes.py).
    [workshops] = [s for s in c.JupyterHub.services if s["name"] == "workshops"]
    assert workshops["environment"]["ECHOES_HOME_VOLUME"] == "{prefix}-home-{username}"
    assert workshops["environment"]["ECHOES_CONTAINER_PREFIX"] == "echoes"
    assert "ECHOES_HOMES_DIR" not in workshops["environment"]


def test_without_containers_the_services_stay_on_loopback_and_servers_are_told(tmp_path):
    c = Config()
    services = [{"name": "annotations", "url": "http://127.0.0.1:8004"}]
    tell_servers_where_services_are(c, by_hand(_config(tmp_path), servers="local"), services)
    assert services[0]["url"] == "http://127.0.0.1:8004"
    assert "environment" not in c.EchoesDockerSpawner
    assert c.EchoesLocalSpawner.environment == {
        "ECHOES_ANNOTATIONS_URL": "http://127.0.0.1:8004/services/annotations/"
    }


def test_help_all_documents_our_settings_beside_jupyterhubs(capsys):
    EchoesUp().print_help(classes=True)
    shown = capsys.readouterr().out
    for option in (
        "--EchoesHub.spawner",
        "--EchoesDockerSpawner.profiles",
        "--EchoesLocalSpawner.home_root",
        "--AnnotationsService.max_body_size",
        "--Spawner.default_url",
        "--ConfigurableHTTPProxy.api_url",
    ):
        assert option in shown, option


def test_a_start_keeps_published_runs_readable_and_closes_the_rest(tmp_path):
    """docs/reproduce.md: administrators publish runs in <state>/published/ for reviewers;
    a restart must not close that folder as it closes the hub's own files."""
    from echoes_hub.prepare import prepare_state

    run = tmp_path / "published" / "alice" / "analysis.out.run.json"
    run.parent.mkdir(parents=True, mode=0o755)
    (tmp_path / "published").chmod(0o755)
    run.write_text("{}")
    run.chmod(0o644)
    (tmp_path / "old-hub.log").write_text("left world-readable by an older version")
    (tmp_path / "old-hub.log").chmod(0o644)
    (tmp_path / "harvested").mkdir(mode=0o755)  # the harvested collections' catalog
    (tmp_path / "harvested").chmod(0o755)
    prepare_state(tmp_path, tmp_path / "heritage", tmp_path / "harvested")
    assert stat.S_IMODE((tmp_path / "published").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "harvested").stat().st_mode) == 0o755
    assert stat.S_IMODE(run.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "old-hub.log").stat().st_mode) == 0o600


def test_the_iiif_service_serves_the_data_folder_and_links_the_public_annotations(tmp_path):
    """The IIIF service gets the shared data folder, the annotation service's public URL
    (its manifests link there) and its own settings; users need no scope for it."""
    c = _config(tmp_path, port=8000)
    c.IIIFService.max_area = 1_000_000
    configure_services(c, by_hand(c, servers="local"))
    iiif = next(s for s in c.JupyterHub.services if s["name"] == "iiif")
    environment = iiif["environment"]
    assert environment["ECHOES_DATA_DIR"] == EchoesHub(config=c).data_dir
    assert environment["ECHOES_ANNOTATIONS_PUBLIC_URL"] == (
        "http://annotations--service.localhost:8000/services/annotations/"
    )
    given = json.loads(environment["ECHOES_SERVICE_CONFIG"])
    assert given["IIIFService"]["max_area"] == 1_000_000
    assert given["ServiceApp"]["public_url"] == "http://iiif--service.localhost:8000/services/iiif/"
    user = next(r for r in c.JupyterHub.load_roles if r["name"] == "user")
    assert not [scope for scope in user["scopes"] if "iiif" in scope]
