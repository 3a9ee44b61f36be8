"""The JupyterLab extension's TypeScript unit tests (jest, extensions/labextension/test/)
and its packaging: the prebuilt labextension and the server extension's config."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LABEXT = ROOT / "extensions" / "labextension"
NAME = "echoes-vre-lab"


def test_typescript_unit_tests_pass():
    if not (LABEXT / "node_modules" / ".bin" / "jest").exists():
        pytest.fail("the extension's Node packages are missing: run `make install-dev`")
    npm = shutil.which("npm")
    assert npm, "npm is missing"
    result = subprocess.run(
        [npm, "test", "--silent", "--", "--ci"],
        cwd=LABEXT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Tests:" in result.stderr, result.stderr[-2000:]


def test_the_environment_has_the_prebuilt_labextension_and_the_server_extension():
    prefix = Path(sys.prefix)
    installed = prefix / "share" / "jupyter" / "labextensions" / NAME
    package = json.loads((installed / "package.json").read_text())
    assert package["name"] == NAME
    assert package["jupyterlab"]["_build"]["load"].startswith("static/remoteEntry.")
    assert (installed / package["jupyterlab"]["_build"]["load"]).is_file()
    assert json.loads((installed / "install.json").read_text())["packageName"] == "echoes-vre"
    config = prefix / "etc" / "jupyter" / "jupyter_server_config.d" / "echoes-vre.json"
    assert json.loads(config.read_text())["ServerApp"]["jpserver_extensions"]["echoes.server"]
    overrides = json.loads((prefix / "share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_the_server_extension_declares_its_routes():
    import echoes.server
    from echoes.server.handlers import ROUTES

    assert echoes.server._jupyter_server_extension_points() == [{"module": "echoes.server"}]
    assert {route for route, _ in ROUTES} >= {"catalog/tree", "annotations/(.*)", "apps/publish"}


def test_the_publish_dialog_checks_app_names_by_the_apps_services_rule():
    """The dialog refuses a name before sending it, by the service's own pattern."""
    from echoes_hub.services.apps.model import NAME_PATTERN

    source = (LABEXT / "src" / "publish.ts").read_text()
    found = re.search(r"export const NAME_PATTERN = /(.+)/;", source)
    assert found, "publish.ts has no NAME_PATTERN"
    assert found.group(1) == NAME_PATTERN.pattern


def test_publish_and_the_gallery_are_in_jupyterlabs_file_menu():
    """The README says "Publish as App…" is in the File menu (JupyterLab reads the menus
    of the plugin's settings schema, shipped in the prebuilt extension)."""
    installed = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / NAME
    schema = json.loads((installed / "schemas" / NAME / "plugin.json").read_text())
    menus = {menu["id"]: menu["items"] for menu in schema["jupyter.lab.menus"]["main"]}
    file_menu = {item.get("command") for item in menus["jp-mainmenu-file"]}
    assert {"echoes:publish-app", "echoes:open-gallery"} <= file_menu
    assert "echoes:open-gallery" in {item.get("command") for item in menus["jp-mainmenu-help"]}
