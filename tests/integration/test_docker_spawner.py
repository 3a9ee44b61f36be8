"""User servers in real containers: `echoes up --spawner docker` on a real Docker engine.

Each test module runs its own hub with a container prefix and network of its own, so
that its containers and home volumes are found and removed afterwards. Outside CI
the tests skip without an engine or the image; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from traitlets.config import Config

from echoes_hub.prepare import prepare, prepare_and_apply
from echoes_hub.settings import EchoesHub
from echoes_hub.spawners.docker import (
    DEFAULT_HOME_VOLUME,
    EchoesDockerSpawner,
    home_volume_name,
    safe_name,
)
from tests.hubclient import Hub, HubSession, Kernel, make_state_dir
from tests.integration.conftest import STATE_ROOT, add_user, login_admin

IMAGE = os.environ.get("ECHOES_IMAGE", "echoes/singleuser:latest")
NETWORK = "echoes-tests"

pytestmark = pytest.mark.slow


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=check, timeout=120
    )


def require_engine_and_image() -> None:
    problem = None
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode:
        problem = "no Docker engine answers (as root, `make docker-engine` starts one)"
    elif docker("image", "inspect", IMAGE, check=False).returncode:
        problem = f"image {IMAGE} is missing (`make image` builds it)"
    if problem and os.environ.get("CI") == "true":
        pytest.fail(f"CI needs the container tests: {problem}")
    if problem:
        pytest.skip(problem)


def remove_containers_and_volumes(prefix: str) -> None:
    names = docker("ps", "-aq", "--filter", f"name=^/{prefix}-").stdout.split()
    if names:
        docker("rm", "-f", *names, check=False)
    volumes = docker("volume", "ls", "-q", "--filter", f"name=^{prefix}-home-").stdout.split()
    if volumes:
        docker("volume", "rm", *volumes, check=False)


class DockerHub:
    """A hub spawning containers, with its shared data folder, prefix and admin session."""

    def __init__(self, hub: Hub, data_dir: Path, prefix: str) -> None:
        self.hub = hub
        self.data_dir = data_dir
        self.prefix = prefix
        self.admin = login_admin(hub)

    def user(self, prefix: str) -> HubSession:
        return add_user(self.hub, self.admin, prefix)

    def container_name(self, person: HubSession) -> str:
        return f"{self.prefix}-{safe_name(person.name)}"

    def volume_name(self, person: HubSession) -> str:
        return home_volume_name(DEFAULT_HOME_VOLUME, self.prefix, person.name)

    def container(self, person: HubSession) -> dict:
        return json.loads(docker("inspect", self.container_name(person)).stdout)[0]


#: The shared data file every container hub of the tests has.
DATA_FILE = "pottery.csv"


@contextmanager
def running_docker_hub(*args: str) -> Iterator[DockerHub]:
    """A hub spawning containers on the tests' network, with `args` and a shared data
    folder and container prefix of its own; stopped, its containers and volumes removed,
    even when a test fails."""
    require_engine_and_image()
    STATE_ROOT.mkdir(mode=0o711, exist_ok=True)
    state = make_state_dir(STATE_ROOT)
    data = state / "heritage"
    data.mkdir(mode=0o755)
    (data / DATA_FILE).write_text("kiln,Al2O3\nLlanedyrn,14.4\n")
    (data / DATA_FILE).chmod(0o644)
    prefix = f"echoes-t{uuid.uuid4().hex[:6]}"
    hub = Hub(
        state,
        args=[
            "--spawner",
            "docker",
            f"--EchoesDockerSpawner.prefix={prefix}",
            f"--EchoesDockerSpawner.network_name={NETWORK}",
            *args,
        ],
        env={"ECHOES_DATA_DIR": str(data)},
    )
    try:
        hub.start()
        yield DockerHub(hub, data, prefix)
    finally:
        hub.stop()
        hub.kill_leftovers()
        remove_containers_and_volumes(prefix)


@pytest.fixture(scope="module")
def docker_hub() -> Iterator[DockerHub]:
    with running_docker_hub() as hub:
        yield hub


def spawn_with_form(person: HubSession, profile: str) -> None:
    """Choose a profile on the spawn page and submit it, as a person does."""
    page = person.http.get(person.url("/hub/spawn"), timeout=30)
    assert page.status_code == 200, page.text[:500]
    assert f'name="profile" value="{profile}"' in page.text, "the spawn page offers no profiles"
    # The form posts to its action URL, which carries the XSRF token.
    action = html.unescape(re.search(r'id="spawn_form"\s+action="([^"]+)"', page.text).group(1))
    response = person.http.post(person.url(action), files={"profile": (None, profile)}, timeout=120)
    assert response.status_code == 200, response.text[:500]
    person.wait_ready()


def kernel_for(person: HubSession) -> Kernel:
    return Kernel(person.server_url(), person.new_token())


def memory_limit_code() -> str:
    # cgroup v2 names the limit memory.max, cgroup v1 memory.limit_in_bytes.
    return (
        "import pathlib\n"
        "v2 = pathlib.Path('/sys/fs/cgroup/memory.max')\n"
        "v1 = pathlib.Path('/sys/fs/cgroup/memory/memory.limit_in_bytes')\n"
        "print((v2 if v2.exists() else v1).read_text().strip())"
    )


def test_a_user_picks_a_profile_and_works_with_shared_data_and_home(
    docker_hub: DockerHub,
) -> None:
    person = docker_hub.user("dock-ada")
    spawn_with_form(person, "workshop")
    token = person.new_token()
    status = requests.get(
        person.server_url() + "api/status", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert status.status_code == 200 and "started" in status.json()

    container = docker_hub.container(person)
    assert container["Config"]["Image"] == IMAGE
    assert NETWORK in container["NetworkSettings"]["Networks"]
    assert container["HostConfig"]["Memory"] == 1024**3  # the workshop profile

    with kernel_for(person) as kernel:
        shared = kernel.execute(f"print(open('/srv/heritage/{DATA_FILE}').read())")
        assert "Llanedyrn,14.4" in shared
        kernel.execute(
            "import pathlib; pathlib.Path.home().joinpath('notes.txt').write_text('kiln notes')"
        )
        assert kernel.execute("import os; print(os.environ['HOME'])").strip() == "/home/jovyan"
    listing = docker("exec", docker_hub.container_name(person), "cat", "/home/jovyan/notes.txt")
    assert listing.stdout == "kiln notes"


def test_home_survives_server_and_hub_restarts(docker_hub: DockerHub) -> None:
    person = docker_hub.user("dock-bea")
    person.start_server(options={"profile": "standard"})
    with kernel_for(person) as kernel:
        kernel.execute("open('/home/jovyan/kept.txt', 'w').write('still here')")
    first_id = docker_hub.container(person)["Id"]

    person.stop_server()
    # Stopped containers are removed; the home volume stays.
    assert docker("inspect", first_id, check=False).returncode != 0
    assert docker("volume", "inspect", docker_hub.volume_name(person), check=False).returncode == 0

    person.start_server(options={"profile": "standard"})
    with kernel_for(person) as kernel:
        assert kernel.execute("print(open('/home/jovyan/kept.txt').read())").strip() == (
            "still here"
        )

    # The hub restarts; the container keeps running and stays reachable through the proxy.
    running_id = docker_hub.container(person)["Id"]
    docker_hub.hub.stop()
    docker_hub.hub.start()
    docker_hub.admin = login_admin(docker_hub.hub)
    assert person.is_logged_in()
    assert person.server_model()["ready"]
    assert docker_hub.container(person)["Id"] == running_id
    token = person.new_token()
    status = requests.get(
        person.server_url() + "api/status", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert status.status_code == 200
    with kernel_for(person) as kernel:
        assert kernel.execute("print(6 * 7)").strip() == "42"


def test_a_container_sees_neither_other_homes_nor_other_servers(docker_hub: DockerHub) -> None:
    alice, bob = docker_hub.user("dock-cyd"), docker_hub.user("dock-dan")
    alice.start_server(options={"profile": "workshop"})
    bob.start_server(options={"profile": "standard"})
    with kernel_for(bob) as bob_kernel:
        bob_kernel.execute("open('/home/jovyan/bob-secret.txt', 'w').write('private')")
    bob_ip = docker_hub.container(bob)["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
    bob_volume, alice_volume = docker_hub.volume_name(bob), docker_hub.volume_name(alice)

    with kernel_for(alice) as kernel:
        mounts = kernel.execute("print(open('/proc/self/mountinfo').read())")
        assert alice_volume in mounts and bob_volume not in mounts
        # Every file on the container's disks, apart from the kernel's /proc, /sys and /dev.
        found = kernel.execute(
            "import os\n"
            "hits = []\n"
            "for top in set(os.listdir('/')) - {'proc', 'sys', 'dev'}:\n"
            "    for folder, _, files in os.walk('/' + top):\n"
            "        hits += [folder for f in files if f == 'bob-secret.txt']\n"
            "print(hits)"
        )
        assert found.strip() == "[]"
        write = kernel.execute(
            "try:\n"
            "    open('/srv/heritage/forged.csv', 'w').write('x')\n"
            "    print('written')\n"
            "except OSError as error:\n"
            "    print('refused', error.errno)\n"
        )
        assert write.startswith("refused"), write
        assert int(kernel.execute(memory_limit_code()).strip()) == 1024**3
        reach = kernel.execute(
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(({bob_ip!r}, 8888), timeout=3).close()\n"
            "    print('reached')\n"
            "except OSError:\n"
            "    print('unreachable')\n"
        )
        assert reach.strip() == "unreachable"
    assert not (docker_hub.data_dir / "forged.csv").exists()


def test_three_users_spawn_at_once(docker_hub: DockerHub) -> None:
    people = [docker_hub.user(f"dock-{n}") for n in ("eve", "fay", "gil")]
    for person in people:
        response = person.start_server(options={"profile": "workshop"}, wait=False)
        assert response.status_code in (201, 202), response.text
    with ThreadPoolExecutor(len(people)) as pool:
        models = list(pool.map(lambda p: p.wait_ready(timeout=240), people))
    assert all(model["ready"] for model in models)
    for person in people:
        assert docker_hub.container(person)["State"]["Running"]


def test_an_unknown_profile_is_refused_with_a_400_naming_it(docker_hub: DockerHub) -> None:
    person = docker_hub.user("dock-hal")
    response = person.start_server(options={"profile": "huge"}, wait=False)
    assert response.status_code == 400
    assert "unknown profile 'huge'; choose one of: standard, workshop" in response.text
    assert person.server_model() is None
    assert docker("inspect", docker_hub.container_name(person), check=False).returncode != 0


def test_auto_picks_containers_only_when_the_engine_and_the_image_are_there(
    tmp_path: Path,
) -> None:
    require_engine_and_image()
    c = Config()
    c.EchoesHub.state_dir = str(tmp_path)
    c.EchoesHub.spawner = "auto"
    c.EchoesDockerSpawner.network_name = NETWORK
    deployment = prepare_and_apply(c)
    gateway = json.loads(docker("network", "inspect", NETWORK).stdout)[0]["IPAM"]["Config"][0]
    assert (deployment.servers, deployment.services_ip) == ("docker", gateway["Gateway"])
    assert c.JupyterHub.hub_ip == c.JupyterHub.hub_connect_ip == gateway["Gateway"]
    assert c.JupyterHub.spawner_class is EchoesDockerSpawner

    def servers() -> str:
        return prepare(EchoesHub(config=c), c).servers

    c.EchoesDockerSpawner.image = "echoes/no-such-image:missing"
    assert servers() == "local"
    c.EchoesHub.spawner = "docker"
    with pytest.raises(SystemExit, match="'echoes/no-such-image:missing' is missing; build it"):
        servers()
    c.EchoesHub.spawner = "local"
    assert servers() == "local"


def test_a_container_uses_the_annotation_and_apps_services(docker_hub: DockerHub) -> None:
    """The services listen where containers reach the host: the notebook client and the
    JupyterLab server extension inside a container both get through, as the owner."""
    person = docker_hub.user("dock-eve")
    person.start_server(options={"profile": "standard"})
    with kernel_for(person) as kernel:
        out = kernel.execute(
            "from echoes import annotations as a\n"
            "client = a.client()\n"
            "note = client.annotate(a.entry_item('images.coins'), 'seen from a container')\n"
            "print(client.whoami(), note['id'])"
        )
        kernel.execute(
            "import nbformat\n"
            "book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('print(6 * 7)')])\n"
            "nbformat.write(book, '/home/jovyan/answer.ipynb')"
        )
    user, iri = out.split()
    assert user == person.name
    headers = {"Authorization": f"token {person.new_token()}"}
    stored = requests.get(iri, headers=headers, timeout=30)
    assert stored.status_code == 200, stored.text
    assert stored.json()["creator"]["nickname"] == person.name

    # The server extension (JupyterLab's catalog, annotation and publish backend).
    base = person.server_url() + "echoes/"
    found = requests.get(
        base + "annotations/search",
        params={"target": "urn:echoes:catalog:heritage/images/coins"},
        headers=headers,
        timeout=60,
    )
    assert found.status_code == 200, found.text
    assert iri in [item["id"] for item in found.json()["items"]]
    published = requests.post(
        base + "apps/publish",
        json={"path": "answer.ipynb", "name": "answer", "share": "hub"},
        headers=headers,
        timeout=600,
    )
    assert published.status_code in (200, 201), published.text
    assert published.json()["url"].endswith(f"/services/apps/{person.name}/answer/")

    # And `echoes publish` in the container's terminal (ECHOES_APPS_URL, no --hub).
    with kernel_for(person) as kernel:
        done = kernel.execute(
            "import subprocess\n"
            "run = subprocess.run(['echoes', 'publish', '/home/jovyan/answer.ipynb', '--name',"
            " 'answer-cli'], capture_output=True, text=True)\n"
            "print(run.returncode, run.stdout, run.stderr)",
            timeout=600,
        )
    assert done.startswith("0 "), done
    assert f"published {person.name}/answer-cli version 1" in done
