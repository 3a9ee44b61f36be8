"""Published apps in containers: with `echoes up --spawner docker` each app's Voila (and
its trial run) runs in a container of the single-user image, with only its snapshot
mounted (read-only), as an unprivileged uid, and is removed when idle.

Outside CI the test skips without an engine or the image; in CI (CI=true) that fails.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.hubclient import Hub, wait_for
from tests.integration.conftest import add_user, login_admin
from tests.integration.test_apps_service import (
    POTTERY,
    app_url,
    assert_viewer_cannot_execute,
    probe_notebook,
    publish,
    publish_notebook,
    renders,
)
from tests.integration.test_docker_spawner import (
    DATA_FILE,
    IMAGE,
    NETWORK,
    docker,
    running_docker_hub,
)

pytestmark = pytest.mark.slow

IDLE_TIMEOUT = 15


@pytest.fixture(scope="module")
def docker_hub() -> Iterator[Hub]:
    with running_docker_hub(
        f"--EchoesApps.idle_timeout={IDLE_TIMEOUT}",
        "--EchoesApps.cull_every=3",
        "--EchoesApps.mem_limit=768M",
        "--EchoesApps.cpu_limit=0.75",
    ) as running:
        try:
            yield running.hub
        finally:
            leftovers = app_containers(running.hub)
            if leftovers:
                docker("rm", "-f", *leftovers, check=False)


def app_containers(hub: Hub) -> list[str]:
    """The names of this hub's app containers (the apps service labels them)."""
    label = f"org.echoes.apps={(hub.state_dir / 'apps').resolve()}"
    listing = docker("ps", "-a", "--filter", f"label={label}", "--format", "{{.Names}}")
    return listing.stdout.split()


def apps_service_pid(hub: Hub) -> int:
    """The process id of this hub's apps service: the one running in its state folder
    (the tether, its parent, starts it again when it dies)."""
    wanted = ["-m", "echoes_hub.services.apps.service"]
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace").split("\0")
            cwd = (cmdline.parent / "cwd").resolve()
        except OSError:  # the process ended meanwhile
            continue
        if args[1:3] == wanted and cwd == hub.state_dir.resolve():
            found.append(int(cmdline.parent.name))
    [pid] = found
    return pid


def test_apps_run_in_containers_of_the_user_image_and_go_when_idle(docker_hub, tmp_path):
    hub = docker_hub
    admin = login_admin(hub)
    author = add_user(hub, admin, "appd-author")
    viewer = add_user(hub, admin, "appd-viewer")

    # Published (the trial run happens in a container too), opened by another hub user.
    result = publish(hub, author, POTTERY, "pottery", "hub")
    assert result.returncode == 0, result.stderr
    url = app_url(hub, author.name, "pottery")
    assert renders(viewer.http, url), "the app's page does not render for a hub user"
    page = viewer.http.get(url, timeout=240).text
    # The notebook's output, made by its kernel: the widgets' view (their state comes
    # over the kernel's websocket; the probe app below checks printed output).
    assert "application/vnd.jupyter.widget-view+json" in page
    [name] = app_containers(hub)  # the trial run's container is gone

    # Voila and its kernels run in a container of the single-user image, not as root,
    # limited, on the user containers' network, seeing only its snapshot (read-only).
    info = json.loads(docker("inspect", name).stdout)[0]
    image = json.loads(docker("image", "inspect", IMAGE).stdout)[0]
    assert info["Image"] == image["Id"]
    assert info["Config"]["User"] == "1000:1000"
    assert info["HostConfig"]["ReadonlyRootfs"] is True
    assert info["HostConfig"]["Memory"] == 768 * 2**20
    assert info["HostConfig"]["NanoCpus"] == 750_000_000
    assert info["HostConfig"]["CapDrop"] == ["ALL"]
    assert list(info["NetworkSettings"]["Networks"]) == [NETWORK]
    top = docker("top", name, "-o", "pid,uid,args").stdout
    assert "voila" in top and "ipykernel_launcher" in top, top
    assert {line.split()[1] for line in top.splitlines()[1:]} == {"1000"}, top
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    snapshot = hub.state_dir / "apps" / "snapshots" / author.name / "pottery" / "v1"
    assert set(mounts) == {"/srv/app", "/srv/heritage"}, mounts
    assert mounts["/srv/app"]["Source"] == str(snapshot.resolve())
    assert mounts["/srv/app"]["RW"] is False and mounts["/srv/heritage"]["RW"] is False
    assert all(m["Type"] == "bind" for m in info["Mounts"])  # no volume: no home

    # What the app's code sees from inside: the image's Python, an unprivileged uid,
    # its own snapshot read-only, no other snapshot and no home.
    other = snapshot / "app.ipynb"  # the other app's snapshot, by its path on the host
    notebook = probe_notebook({"own": "/srv/app/app.ipynb", "other-host-path": str(other)})
    notebook["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": (
                "import os, sys, socket\n"
                "print('PROBE prefix:', sys.prefix)\n"
                "print('PROBE uid:', os.getuid())\n"
                "print('PROBE host:', socket.gethostname())\n"
                "print('PROBE data:', *sorted(os.listdir('/srv/heritage')))\n"
                "try:\n    open('/srv/app/new.txt', 'w')\n    print('PROBE write: done')\n"
                "except OSError as e:\n    print('PROBE write:', type(e).__name__)\n"
            ),
        }
    )
    publish_notebook(hub, author, notebook, tmp_path, "probe", "public")
    probe_url = app_url(hub, author.name, "probe")
    response = requests.get(probe_url, timeout=240)
    assert response.status_code == 200, response.text[:300]
    page = response.text
    probes = [line for line in page.splitlines() if "PROBE" in line]
    assert "PROBE own: read" in page, probes
    assert "PROBE other-host-path: FileNotFoundError" in page
    assert "PROBE prefix: /opt/echoes" in page
    assert "PROBE uid: 1000" in page
    assert f"PROBE data: {DATA_FILE}" in page  # the shared data, read-only
    assert "PROBE write: OSError" in page
    probe_container = next(n for n in app_containers(hub) if n != name)
    container_id = json.loads(docker("inspect", probe_container).stdout)[0]["Id"]
    assert f"PROBE host: {container_id[:12]}" in page  # the kernel runs in that container

    # Viewers still cannot run code in the app's kernel.
    assert_viewer_cannot_execute(probe_url, page)

    # Unused, both containers are removed after the idle timeout.
    wait_for(lambda: not app_containers(hub), IDLE_TIMEOUT + 60, "the idle apps' removal")
    # And opening the app again starts it afresh.
    assert renders(viewer.http, url)
    assert len(app_containers(hub)) == 1

    # A killed service leaves its container running: the hub starts the service again,
    # which removes it; the app still opens.
    os.kill(apps_service_pid(hub), signal.SIGKILL)
    wait_for(lambda: not app_containers(hub), 120, "the leftover container's removal")
    assert "removing the leftover app container" in hub.log()
    wait_for(lambda: renders(viewer.http, url), 120, "the app after the service's restart")
