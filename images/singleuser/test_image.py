"""The image's contract, checked inside a container of it.

Run as ``python /opt/echoes-image/test_image.py [CHECK ...]`` with the shared data
mounted read-only at /srv/heritage; CHECK names some of user, data, imports,
singleuser, lab and terminal (default: all). Checks that the server runs as the non-root
user with its home, that the shared data is readable and not writable, that every package
in the lock imports, that ``jupyterhub-singleuser`` runs, that JupyterLab has the
project's extension and server extension (and its French and German messages), and
that a terminal finds the environment's
echoes, python and pip. Exit status 0 when all hold; every failure is printed.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import importlib.util
import os
import pwd
import re
import subprocess
import sys
import tempfile
from pathlib import Path

LOCK = Path("/opt/echoes-image/requirements.txt")
DATA = Path("/srv/heritage")

#: Top-level names that distributions ship but that are not meant to be imported
#: on their own, with the reason.
NOT_IMPORTABLE = {
    "_distutils_hack": "setuptools' import hook, active through a .pth file",
    "pkg_resources": "deprecated setuptools API that warns on import",
    "jupyter": "a namespace of Jupyter's command-line entry point, not a package",
}

failures: list[str] = []


def locked(text: str) -> dict[str, str]:
    """The pins of a lock that `make lock` wrote: each `name==version` line, followed by
    its hashes and `# via` comments."""
    return dict(re.findall(r"^([A-Za-z0-9][\w.-]*)==([^\s\\;]+)", text, re.M))


def check(condition: bool, message: str) -> None:
    print(("ok    " if condition else "FAIL  ") + message, flush=True)
    if not condition:
        failures.append(message)


def top_level_modules(dist: metadata.Distribution) -> set[str]:
    """The importable top-level names a distribution installs."""
    text = dist.read_text("top_level.txt")
    if text:
        names = {line.strip().replace("/", ".") for line in text.splitlines()}
    else:
        names = set()
        for file in dist.files or []:
            parts = file.parts
            if parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".data")):
                continue
            if len(parts) == 1 and file.suffix in (".py", ".so"):
                names.add(parts[0].split(".")[0])
            elif len(parts) > 1 and parts[1] == "__init__.py":
                names.add(parts[0])
    return {n for n in names if n and n.isidentifier() and n not in NOT_IMPORTABLE}


def check_user() -> None:
    uid = os.getuid()
    check(uid != 0, f"runs as a non-root user (uid {uid})")
    home = Path(os.environ.get("HOME", ""))
    check(home == Path(pwd.getpwuid(uid).pw_dir), f"HOME {home} is the user's home")
    check(home.is_dir() and os.access(home, os.W_OK), f"home {home} is writable")


def check_data() -> None:
    check(DATA.is_dir(), f"{DATA} exists")
    check(os.access(DATA, os.R_OK | os.X_OK), f"{DATA} is readable")
    try:
        with tempfile.NamedTemporaryFile(dir=DATA):
            writable = True
    except OSError:
        writable = False
    check(not writable, f"{DATA} is not writable")


def check_imports() -> None:
    pins = locked(LOCK.read_text())
    modules = 0
    for name, version in pins.items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            check(False, f"{name}=={version} is installed")
            continue
        check(dist.version == version, f"{name} {dist.version} is the pinned {version}")
        for module in sorted(top_level_modules(dist)):
            try:
                importlib.import_module(module)
                modules += 1
            except Exception as error:  # any import error is a broken package in the image
                check(False, f"import {module} (from {name}): {error!r}")
    check(modules > len(pins) // 2, f"imported {modules} modules from {len(pins)} pinned packages")
    importlib.import_module("echoes")
    check(True, "import echoes (the project's user-side package)")
    # The hub side (its secrets' code, its services) is never in a user's image.
    check(importlib.util.find_spec("echoes_hub") is None, "the hub package echoes_hub is absent")


def check_singleuser() -> None:
    result = subprocess.run(
        ["jupyterhub-singleuser", "--version"], capture_output=True, text=True, check=False
    )
    version = result.stdout.strip()
    expected = metadata.version("jupyterhub")
    check(
        result.returncode == 0 and bool(re.match(re.escape(expected), version)),
        f"jupyterhub-singleuser --version prints {version!r} (jupyterhub {expected})",
    )


def check_lab() -> None:
    """Our JupyterLab extension (prebuilt, from the wheel) and its server extension."""
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    result = subprocess.run(
        [jupyter, "labextension", "list"], capture_output=True, text=True, check=False
    )
    listed = result.stdout + result.stderr
    check(
        bool(re.search(r"echoes-vre-lab v\S+ .*enabled.*OK", listed)),
        "jupyter labextension list shows echoes-vre-lab enabled and OK",
    )
    result = subprocess.run(
        [jupyter, "server", "extension", "list"], capture_output=True, text=True, check=False
    )
    listed = result.stdout + result.stderr
    check(
        bool(re.search(r"echoes\.server\s.*enabled", listed))
        and bool(re.search(r"echoes\.server\s+\S*OK", listed)),
        "jupyter server extension list shows echoes.server enabled and OK",
    )
    # French and German: JupyterLab's language packs, and our extension's messages beside.
    from jupyterlab_server.translation_utils import get_language_pack

    for language, heading in (
        ("fr_FR", "Catalogues du patrimoine"),
        ("de_DE", "Kulturerbe-Kataloge"),
    ):
        pack, _ = get_language_pack(language)
        ours = pack.get("echoes_vre_lab", {}).get("Heritage catalogs")
        check(ours == [heading], f"JupyterLab in {language} has our messages ({ours})")
    overrides = Path(sys.prefix, "share/jupyter/lab/settings/overrides.json")
    check(
        overrides.is_file() and '"fetchNews": "false"' in overrides.read_text(),
        f"{overrides} turns JupyterLab's news and update questions off",
    )


def check_terminal() -> None:
    """A JupyterLab terminal keeps the image's PATH: the environment's server config runs a
    non-login bash (a login shell reads /etc/profile, which resets PATH)."""
    from jupyter_server.serverapp import ServerApp

    app = ServerApp()
    app.load_config_file()
    shell = app.terminado_settings.get("shell_command")
    check(shell == ["/bin/bash"], f"terminals run a non-login /bin/bash (they run {shell})")
    tools = ("echoes", "python", "pip")
    found = subprocess.run(
        [*(shell or ["/bin/bash", "-l"]), "-ic", "command -v " + " ".join(tools)],
        capture_output=True,
        text=True,
        check=False,
    )
    expected = [str(Path(sys.executable).with_name(name)) for name in tools]
    check(found.stdout.split() == expected, f"a terminal finds {expected}: {found.stdout}")


CHECKS = {
    "user": check_user,
    "data": check_data,
    "imports": check_imports,
    "singleuser": check_singleuser,
    "lab": check_lab,
    "terminal": check_terminal,
}


def main(names: list[str]) -> int:
    for name in names or CHECKS:
        CHECKS[name]()
    print(f"{len(failures)} failed" if failures else "image contract holds", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
